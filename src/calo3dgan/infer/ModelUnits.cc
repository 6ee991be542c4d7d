#include "calo3dgan/infer/ModelUnits.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Format.hh"

namespace calo::infer
{
namespace
{
bool inside(double lo, double hi, double range_lo, double range_hi)
{
    double const tolerance = 1e-6 * std::max(std::abs(range_lo), std::abs(range_hi));
    return lo >= range_lo - tolerance && hi <= range_hi + tolerance;
}
}  // namespace

std::string range_warning(TrainedRange const& range, double energy_lo_gev, double energy_hi_gev, double theta_lo_rad,
                          double theta_hi_rad)
{
    std::string message;
    if (!inside(energy_lo_gev, energy_hi_gev, range.energy_min_gev, range.energy_max_gev))
    {
        message = "energies " + format_significant(energy_lo_gev, 4) + " .. " + format_significant(energy_hi_gev, 4) +
                  " GeV reach outside the range model " + range.model + " was trained on (" +
                  format_significant(range.energy_min_gev, 4) + " .. " + format_significant(range.energy_max_gev, 4) +
                  " GeV)";
    }
    if (range.has_angle && !inside(theta_lo_rad, theta_hi_rad, range.angle_min_rad, range.angle_max_rad))
    {
        double const deg = 180.0 / kPi;
        message += std::string(message.empty() ? "" : "; ") + "angles " + format_significant(theta_lo_rad * deg, 4) +
                   " .. " + format_significant(theta_hi_rad * deg, 4) + " deg reach outside the trained range (" +
                   format_significant(range.angle_min_rad * deg, 4) + " .. " +
                   format_significant(range.angle_max_rad * deg, 4) + " deg)";
    }
    return message;
}
event::Layout layout_for(geo::ImageShape shape, std::string const& model)
{
    auto const layout = event::layout_for_shape(shape);
    CALO_VALIDATE(layout.has_value(), "model " + model + " makes " + shape.to_string() +
                                          " images, which fit no dataset layout (25x25x25 or 51x51x25) — use a "
                                          "3DGAN model with a standard window");
    return *layout;
}

event::Layout layout_for(nn::ArchitectureConfig const& config)
{
    return layout_for(config.image_shape, config.name);
}

}  // namespace calo::infer
