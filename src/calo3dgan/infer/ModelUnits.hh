#pragma once
// How a model's network units relate to the dataset files (torch-free).
#include <string>

#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::infer
{
/*!
 * The dataset layout whose window is the model's image shape: 25x25x25 ->
 * layout a (cells in GeV), 51x51x25 -> layout b (GeV x 50). InputError for a
 * model whose images fit neither.
 */
event::Layout layout_for(nn::ArchitectureConfig const& config);
//! The same for a model known by name and image shape (an exported model file).
event::Layout layout_for(geo::ImageShape shape, std::string const& model);

//! The range a model was trained on: energies [GeV] and (variable-angle models) polar angles [rad].
struct TrainedRange
{
    std::string model;  //!< model name, for messages
    double energy_min_gev = 0, energy_max_gev = 0;
    double angle_min_rad = 0, angle_max_rad = 0;
    bool has_angle = false;
};

/*!
 * Empty if energies in [energy_lo, energy_hi] GeV and (with an angle) angles
 * in [theta_lo, theta_hi] rad lie inside `range`; otherwise one line saying
 * what lies outside. Float32 inputs may sit an ulp outside a double range.
 */
std::string range_warning(TrainedRange const& range, double energy_lo_gev, double energy_hi_gev, double theta_lo_rad,
                          double theta_hi_rad);
}  // namespace calo::infer
