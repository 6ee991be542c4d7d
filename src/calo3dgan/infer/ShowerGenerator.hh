#pragma once
// Generate calorimeter showers with a trained (or imported) 3DGAN generator.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/event/EventBatch.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/Generator.hh"

namespace calo::infer
{
//! Tuning options: they never change the generated showers.
struct ShowerGeneratorOptions
{
    torch::Device device = torch::kCPU;
    std::int64_t batch_size = 64;  //!< events per forward pass
};

//! Generator inputs of N events, on the host.
struct GeneratorInputs
{
    std::vector<float> noise;       //!< (N, noise_size) row-major, z ~ N(0, 1)
    std::vector<float> energy_gev;  //!< (N) primary energy [GeV]
    std::vector<float> theta_rad;   //!< (N) polar angle [rad] for model B; empty for model A

    std::size_t size() const { return energy_gev.size(); }
};

//! Draws one value (an energy [GeV] or an angle [rad]) from an event's stream.
using ValueSampler = std::function<double(Rng&)>;

/*!
 * Runs the generator in eval mode (BatchNorm moving statistics) without
 * gradients and returns showers in the dataset layout of the model: layout a
 * (25x25x25, GeV) for model A, layout b (51x51x25, GeV x 50) for model B.
 *
 * Network output is turned into file units with io::postprocess_in_place
 * (undo the power, divide by xscale; docs/preprocessing.md, "Generated showers"), using the
 * xscale, yscale and power stored in the model's config.
 */
class ShowerGenerator
{
  public:
    //! Use `generator` (moved to options.device, switched to eval mode).
    ShowerGenerator(nn::Generator generator, ShowerGeneratorOptions options);

    //! Load the generator of a checkpoint file or run folder (nn::load_checkpoint).
    static ShowerGenerator load(std::string const& checkpoint, ShowerGeneratorOptions options);

    nn::ArchitectureConfig const& config() const { return generator_->config(); }
    //! Dataset layout of the generated showers.
    event::Layout layout() const { return layout_; }
    int noise_size() const { return config().noise_size(); }

    /*!
     * Inputs of events [first, first + count): event i draws, from its own
     * stream Rng(derive_seed(seed, i)), its energy [GeV], then (model B) its
     * angle [rad], then noise_size() standard normals. The result for an event
     * depends only on the seed and its index, never on batching.
     */
    GeneratorInputs sample_inputs(std::uint64_t seed, std::size_t first, std::size_t count,
                                  ValueSampler const& energy_gev, ValueSampler const& theta_rad) const;

    /*!
     * Generate one shower per input event, options.batch_size events per
     * forward pass. Throws InputError for inputs of the wrong size, a missing
     * (B) or superfluous (A) angle, and non-finite or non-positive energies.
     * Conditions are y = E / yscale and (B) theta [rad].
     */
    event::EventBatch generate(GeneratorInputs const& inputs);

    /*!
     * Empty if energies in [energy_lo, energy_hi] GeV and (model B) angles in
     * [theta_lo, theta_hi] rad lie inside the range the model was trained on
     * (config.train energy_min..energy_max x yscale, angle_min..angle_max);
     * otherwise one line saying what lies outside.
     */
    std::string range_warning(double energy_lo_gev, double energy_hi_gev, double theta_lo_rad,
                              double theta_hi_rad) const;

    //! Trained energy range [GeV]: config.train.energy_min/max x yscale.
    std::pair<double, double> trained_energy_range_gev() const;
    //! Trained angle range [rad] (model B); (pi/2, pi/2) for model A.
    std::pair<double, double> trained_angle_range_rad() const;

  private:
    nn::Generator generator_;
    ShowerGeneratorOptions options_;
    event::Layout layout_;
    io::PreprocessOptions units_;
};
}  // namespace calo::infer
