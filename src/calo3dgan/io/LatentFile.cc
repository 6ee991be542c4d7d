#include "calo3dgan/io/LatentFile.hh"

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::io
{
namespace
{
//! The FloatDataset called `name`, or nullptr.
FloatDataset const* find_dataset(std::vector<FloatDataset> const& datasets, char const* name)
{
    for (auto const& d : datasets)
    {
        if (d.path == name)
            return &d;
    }
    return nullptr;
}
}  // namespace

LatentInputs read_latent_file(std::string const& path, std::size_t noise_size, bool with_angle,
                              std::string const& model_name)
{
    auto const datasets = read_float_datasets(path);
    auto const* z = find_dataset(datasets, "z");
    auto const* energy = find_dataset(datasets, "energy");
    auto const* theta = find_dataset(datasets, "theta");
    std::string const layout_hint =
        with_angle ? "z (N, " + std::to_string(noise_size) + ") noise, energy (N,) [GeV] and theta (N,) [rad]"
                   : "z (N, " + std::to_string(noise_size) + ") noise and energy (N,) [GeV]";
    CALO_VALIDATE(z && energy && (!with_angle || theta), std::string("latent file lacks dataset `") +
                                                             (!z        ? "z"
                                                              : !energy ? "energy"
                                                                        : "theta") +
                                                             "` (where: " + path + ") — give " + layout_hint);
    CALO_VALIDATE(z->shape.size() == 2 && z->shape[1] == noise_size,
                  "dataset `z` has " + std::to_string(z->shape.size() == 2 ? z->shape[1] : 0) + " columns, model " +
                      model_name + " needs " + std::to_string(noise_size) + " noise values per event (where: " + path +
                      ") — give " + layout_hint);
    std::size_t const n = z->shape[0];
    auto const is_vector = [n](FloatDataset const& d)
    { return (d.shape.size() == 1 && d.shape[0] == n) || (d.shape.size() == 2 && d.shape[0] == n && d.shape[1] == 1); };
    CALO_VALIDATE(is_vector(*energy), "dataset `energy` does not have one value for each of the " + std::to_string(n) +
                                          " rows of `z` (where: " + path + ") — give " + layout_hint);
    LatentInputs inputs;
    inputs.noise = z->values;
    inputs.energy_gev = energy->values;
    if (with_angle)
    {
        CALO_VALIDATE(is_vector(*theta), "dataset `theta` does not have one value for each of the " +
                                             std::to_string(n) + " rows of `z` (where: " + path + ") — give " +
                                             layout_hint);
        inputs.theta_rad = theta->values;
    }
    inputs.ignored_theta = !with_angle && theta;
    return inputs;
}
}  // namespace calo::io
