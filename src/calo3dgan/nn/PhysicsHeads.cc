#include "PhysicsHeads.hh"

#include <cmath>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
namespace
{
//! Keras K.epsilon(), the floor of d_z^2.
constexpr double kKerasEpsilon = 1e-7;

//! `denominator` with zeros replaced by ones.
torch::Tensor safe(torch::Tensor const& denominator, torch::Tensor const& is_zero)
{
    return torch::where(is_zero, torch::ones_like(denominator), denominator);
}
}  // namespace

torch::Tensor undo_power(torch::Tensor const& image, double power)
{
    if (power == 1.0)
        return image;
    return image.pow(1.0 / power);
}

torch::Tensor ecal_sum(torch::Tensor const& energies)
{
    CALO_VALIDATE(energies.dim() == 5 && energies.size(1) == 1,
                  "ecal_sum expects images (N, 1, X, Y, Z), got " + std::to_string(energies.dim()) + " dimensions");
    return energies.sum({2, 3, 4});
}

torch::Tensor ecal_angle(torch::Tensor const& energies)
{
    CALO_VALIDATE(energies.dim() == 5 && energies.size(1) == 1,
                  "ecal_angle expects images (N, 1, X, Y, Z), got " + std::to_string(energies.dim()) + " dimensions");
    auto const image = energies.squeeze(1);  // (N, X, Y, Z)
    auto const opts = image.options();
    auto const nx = image.size(1), ny = image.size(2), nz = image.size(3);
    auto const x = torch::arange(nx, opts) + 0.5;  // cell centres
    auto const y = torch::arange(ny, opts) + 0.5;
    auto const z = (torch::arange(nz, opts) + 0.5).unsqueeze(0);  // (1, Z)

    // Event barycentre; Keras puts 1 there for empty events
    auto const total = image.sum({1, 2, 3});  // (N)
    auto const empty = total == 0;
    auto const safe_total = safe(total, empty);
    auto barycentre = [&](torch::Tensor const& profile, torch::Tensor const& centres)
    {
        auto const mean = (profile * centres).sum(1) / safe_total;
        return torch::where(empty, torch::ones_like(mean), mean).unsqueeze(1);  // (N, 1)
    };
    auto const x0 = barycentre(image.sum({2, 3}), x);
    auto const y0 = barycentre(image.sum({1, 3}), y);
    auto const z0 = barycentre(image.sum({1, 2}), z.squeeze(0));

    // Layer barycentres (zero for empty layers)
    auto const layer_sum = image.sum({1, 2});  // (N, Z)
    auto const empty_layer = layer_sum == 0;
    auto const safe_layer_sum = safe(layer_sum, empty_layer);
    auto const zeros = torch::zeros_like(layer_sum);
    auto const x_layer = torch::where(empty_layer, zeros, (image.sum(2) * x.view({1, nx, 1})).sum(1) / safe_layer_sum);
    auto const y_layer = torch::where(empty_layer, zeros, (image.sum(1) * y.view({1, ny, 1})).sum(1) / safe_layer_sum);

    auto const distance = torch::sqrt(torch::clamp_min((x_layer - x0).pow(2) + (z - z0).pow(2), kKerasEpsilon));
    auto slope = (y_layer - y0) / distance;
    slope = torch::where(z < z0, -slope, slope);
    auto const mask = (~empty_layer).to(image.scalar_type());
    auto const weights = z * mask;  // (N, Z)
    auto const angle_sum = ((kPi / 2 - torch::atan(slope)) * weights).sum(1);
    auto const weight_sum = weights.sum(1);
    auto const angle = angle_sum / safe(weight_sum, weight_sum == 0);
    return torch::where(empty, torch::full_like(angle, kEmptyEventAngle), angle).unsqueeze(1);
}
}  // namespace calo::nn
