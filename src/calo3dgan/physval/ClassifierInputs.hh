#pragma once
// What the two classifiers of the two-sample test see (docs/validation.md,
// "Classifier two-sample test"); the high-level inputs also feed the feature
// distances.
#include <cstddef>

#include "calo3dgan/physval/EventFeatures.hh"
#include "calo3dgan/physval/InputMatrix.hh"
#include "calo3dgan/physval/ShowerSample.hh"

namespace calo::physval
{
//! High-level inputs: every feature of the table (they include log10 E_p and,
//! with angles, θ), first `max_events` events.
InputMatrix feature_inputs(FeatureTable const& table, std::size_t max_events);

//! Low-level inputs: log10 E_p, θ [rad] when present, then every cell divided
//! by E_p, with cells below `readout_threshold_gev` set to zero; first
//! `max_events` events.
InputMatrix image_inputs(ShowerSample const& sample, double readout_threshold_gev, std::size_t max_events);
}  // namespace calo::physval
