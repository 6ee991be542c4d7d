#pragma once
// The seeded random draws of the training loop. Every draw is keyed by
// (master seed, step, stream, sample), so a resumed run draws exactly what an
// uninterrupted one would, and a batch split over ranks draws as one.
#include <cstdint>

#include <torch/torch.h>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::train
{
//! Seed domains of the trainer under the master seed. The values key every
//! recorded run: never renumber them.
enum class SeedDomain : std::uint64_t
{
    step = 1,  //!< a step's uniform draws (label flips, sampled energies)
    noise = 2,  //!< latent noise (plus the draw index)
    dropout = 3,  //!< torch's generator, reseeded per step and rank (dropout masks)
    test = 4,  //!< test-time fakes
    init = 5,  //!< weight initialisation
};

//! The draws of one step. Draw 0 makes the fakes of the discriminator step,
//! draw 1 + k those of generator update k; the label flips have their own.
enum class StepDraw : std::uint64_t
{
    discriminator_fakes = 0,
    first_generator_update = 1,
    real_labels = 10,
    fake_labels = 11,
};

//! Dropout masks: torch's generator is reseeded per step in the dropout
//! domain, offset by this stride per rank so that ranks draw different masks.
inline constexpr std::uint64_t kDropoutRankStride = 16;

//! Uniform draws of sample j use the stream kUniformStreamBase + draw.
inline constexpr std::uint64_t kUniformStreamBase = 100;

std::uint64_t seed_of(std::uint64_t master, std::uint64_t index, SeedDomain domain);

/*!
 * Random draws keyed by the sample's index in the global batch: sample j of
 * draw `draw` in step `step` has its own stream, whether the batch is on one
 * rank or split over many.
 */
class SampleStreams
{
  public:
    SampleStreams(std::uint64_t seed, std::int64_t step, std::int64_t first_sample, torch::Device device);

    //! Column (n, 1) of values U[lo, hi) for draw `draw`.
    torch::Tensor uniform(std::uint64_t draw, std::int64_t n, double lo, double hi) const;

    //! 3DGAN BitFlip: (n, 1) hard labels `label`, each flipped with probability p.
    torch::Tensor labels(StepDraw draw, std::int64_t n, float label, double p) const;

    //! (n, noise_size) standard normal noise for draw `draw`.
    torch::Tensor noise(nn::ArchitectureConfig const& config, std::uint64_t draw, std::int64_t n) const;

  private:
    std::uint64_t stream(std::int64_t j) const { return static_cast<std::uint64_t>(first_ + j); }
    torch::Tensor column(std::vector<float>& values) const;
    double uniform_value(std::uint64_t draw, std::int64_t j) const;

    std::uint64_t seed_;
    std::int64_t first_;
    torch::Device device_;
};
}  // namespace calo::train
