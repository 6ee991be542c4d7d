#pragma once
// Random generator inputs: Gaussian noise and sampled conditions.
#include <torch/torch.h>

#include <cstdint>

#include "ArchitectureConfig.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::nn
{
//! One batch of generator inputs, as forward(noise, conditions) takes them.
struct LatentBatch
{
    torch::Tensor noise;       //!< (N, noise_size), z ~ N(0, 1)
    torch::Tensor conditions;  //!< (N, 1) = y (a) or (N, 2) = [y, theta_rad] (b)
};

/*!
 * Draws generator inputs from a seeded xoshiro stream on the host and moves
 * them to the requested device: the same seed gives the same batch on CPU
 * and GPU and with any libtorch version.
 *
 * Model A samples y ~ U(energy_min, energy_max) (Energy-gan:keras/
 * EcalEnergyTrain.py: np.random.uniform(0.1, 5, ...)); model B usually takes
 * the real batch's (y, theta) and only needs noise(), but sample() draws
 * y ~ U(energy range) and theta ~ U(angle range) for standalone generation.
 */
class LatentSampler
{
  public:
    LatentSampler(ArchitectureConfig const& config, std::uint64_t seed);

    //! (batch, noise_size) standard normal noise, float32 on `device`.
    torch::Tensor noise(std::int64_t batch, torch::Device device = torch::kCPU);

    //! (batch, num_conditions) uniformly sampled conditions, float32.
    torch::Tensor conditions(std::int64_t batch, torch::Device device = torch::kCPU);

    //! Noise and conditions for `batch` events.
    LatentBatch sample(std::int64_t batch, torch::Device device = torch::kCPU);

    //! Noise for the given conditions (model B: the real batch's [y, theta]).
    LatentBatch sample_for(torch::Tensor const& conditions);

  private:
    int noise_size_;
    int num_conditions_;
    double energy_min_, energy_max_;
    double angle_min_, angle_max_;
    Rng rng_;
};
}  // namespace calo::nn
