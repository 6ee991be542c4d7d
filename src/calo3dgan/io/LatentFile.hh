#pragma once
// The explicit generator inputs of `generate --latent FILE`: HDF5 datasets
// `z` (N, noise) standard-normal noise, `energy` (N,) or (N, 1) [GeV] and,
// for angle-conditioned models, `theta` (N,) or (N, 1) [rad].
#include <cstddef>
#include <string>
#include <vector>

namespace calo::io
{
struct LatentInputs
{
    std::vector<float> noise;  //!< (N, noise_size) row-major
    std::vector<float> energy_gev;  //!< (N)
    std::vector<float> theta_rad;  //!< (N) with an angle; empty otherwise
    bool ignored_theta = false;  //!< the file had `theta` and the model has no angle

    std::size_t size() const { return energy_gev.size(); }
};

/*!
 * Read and check a latent file for a model with `noise_size` noise values
 * per event; `with_angle` asks for `theta`. InputError naming the dataset,
 * the shapes and `model_name` when the file does not fit.
 */
LatentInputs read_latent_file(std::string const& path, std::size_t noise_size, bool with_angle,
                              std::string const& model_name);
}  // namespace calo::io
