#include "calo3dgan/train/Losses.hh"

namespace calo::train
{
namespace
{
// Keras backend epsilon.
constexpr double kEpsilon = 1e-7;
}  // namespace

torch::Tensor clipped_binary_cross_entropy(torch::Tensor const& probability, torch::Tensor const& target)
{
    auto const p = probability.clamp(kEpsilon, 1.0 - kEpsilon);
    return -(target * p.log() + (1 - target) * (1 - p).log()).mean();
}

torch::Tensor mean_absolute_percentage_error(torch::Tensor const& prediction, torch::Tensor const& target)
{
    return 100.0 * ((target - prediction).abs() / target.abs().clamp_min(kEpsilon)).mean();
}

torch::Tensor mean_absolute_error(torch::Tensor const& prediction, torch::Tensor const& target)
{
    return (target - prediction).abs().mean();
}
}  // namespace calo::train
