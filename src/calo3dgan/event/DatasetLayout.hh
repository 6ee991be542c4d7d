#pragma once
// The two 3DGAN/LCD HDF5 data layouts: image window and cell-energy units.
//
// Layout a (fixed angle, model A; docs/preprocessing.md, "Data layouts"): `ECAL` (N,25,25,25)
// with cell energies in GeV. Layout b (variable angle, model B): `ECAL`
// (N,51,51,25) with cell energies in "GeV x 50", the LCD converter's unit
// (docs/preprocessing.md, "The LCD converter"), so that the ECAL sum in file units is about E_p.
#include <optional>
#include <string>

#include "calo3dgan/geo/ImageShape.hh"

namespace calo::event
{
enum class Layout
{
    fixed_angle,    //!< 'a': (N,25,25,25), cells in GeV, energy from `energy` or `target[:,1]`
    variable_angle  //!< 'b': (N,51,51,25), cells in GeV x 50, plus `theta` and `mtheta` [rad]
};

//! "a" or "b" (as on the command line); throws calo::UsageError otherwise.
Layout parse_layout(std::string const& name);

//! "a" or "b".
std::string to_string(Layout layout);

//! The image window of a layout: 25x25x25 (a) or 51x51x25 (b).
geo::ImageShape default_shape(Layout layout);

//! The layout whose window is `shape`, if any.
std::optional<Layout> layout_for_shape(geo::ImageShape shape);

//! GeV per file unit of cell energy: multiply file cells by this to get GeV
//! (1 for layout a, 1/50 for layout b).
double cell_unit_gev(Layout layout);

//! Human-readable cell unit: "GeV" (a) or "GeV x 50" (b).
std::string describe_units(Layout layout);
}  // namespace calo::event
