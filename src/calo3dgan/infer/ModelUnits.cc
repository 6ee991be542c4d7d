#include "calo3dgan/infer/ModelUnits.hh"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::infer
{
namespace
{
bool inside(double lo, double hi, double range_lo, double range_hi)
{
    double const tolerance = 1e-6 * std::max(std::abs(range_lo), std::abs(range_hi));
    return lo >= range_lo - tolerance && hi <= range_hi + tolerance;
}

std::string format_number(double value)
{
    std::ostringstream os;
    os.precision(4);
    os << value;
    return os.str();
}
}  // namespace

std::string range_warning(TrainedRange const& range, double energy_lo_gev, double energy_hi_gev, double theta_lo_rad,
                          double theta_hi_rad)
{
    std::string message;
    if (!inside(energy_lo_gev, energy_hi_gev, range.energy_min_gev, range.energy_max_gev))
    {
        message = "energies " + format_number(energy_lo_gev) + " .. " + format_number(energy_hi_gev) +
                  " GeV reach outside the range model " + range.model + " was trained on (" +
                  format_number(range.energy_min_gev) + " .. " + format_number(range.energy_max_gev) + " GeV)";
    }
    if (range.has_angle && !inside(theta_lo_rad, theta_hi_rad, range.angle_min_rad, range.angle_max_rad))
    {
        double const deg = 180.0 / kPi;
        message += std::string(message.empty() ? "" : "; ") + "angles " + format_number(theta_lo_rad * deg) + " .. " +
                   format_number(theta_hi_rad * deg) + " deg reach outside the trained range (" +
                   format_number(range.angle_min_rad * deg) + " .. " + format_number(range.angle_max_rad * deg) +
                   " deg)";
    }
    return message;
}
io::Layout layout_for(geo::ImageShape shape, std::string const& model)
{
    auto const layout = io::layout_for_shape(shape);
    CALO_VALIDATE(layout.has_value(), "model " + model + " makes " + shape.to_string() +
                                          " images, which fit no dataset layout (25x25x25 or 51x51x25) — use a "
                                          "3DGAN model with a standard window");
    return *layout;
}

io::Layout layout_for(nn::ArchitectureConfig const& config)
{
    return layout_for(config.image_shape, config.name);
}

}  // namespace calo::infer
