#include "calo3dgan/event/DatasetLayout.hh"

#include "calo3dgan/base/Error.hh"

namespace calo::event
{
Layout parse_layout(std::string const& name)
{
    if (name == "a")
        return Layout::fixed_angle;
    if (name == "b")
        return Layout::variable_angle;
    throw UsageError("unknown data format '" + name +
                     "' — use a (fixed angle, 25x25x25, GeV) or b (variable angle, 51x51x25, GeV x 50)");
}

std::string to_string(Layout layout)
{
    return layout == Layout::fixed_angle ? "a" : "b";
}

geo::ImageShape default_shape(Layout layout)
{
    return layout == Layout::fixed_angle ? geo::kFixedAngleShape : geo::kVariableAngleShape;
}

std::optional<Layout> layout_for_shape(geo::ImageShape shape)
{
    if (shape == geo::kFixedAngleShape)
        return Layout::fixed_angle;
    if (shape == geo::kVariableAngleShape)
        return Layout::variable_angle;
    return std::nullopt;
}

double cell_unit_gev(Layout layout)
{
    // The LCD converter multiplies Geant4 MeV by 50/1000 for the angle files;
    // the 3DGAN analysis divides by dscale = 50 to get GeV (docs/preprocessing.md, "Data layouts").
    return layout == Layout::fixed_angle ? 1.0 : 1.0 / 50.0;
}

std::string describe_units(Layout layout)
{
    return layout == Layout::fixed_angle ? "GeV" : "GeV x 50";
}
}  // namespace calo::event
