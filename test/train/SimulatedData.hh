#pragma once
// Small Monte Carlo datasets written to disk for training tests.
#include <string>

#include "calo3dgan/event/DatasetLayout.hh"

namespace calo::test
{
//! Write `events` showers (E uniform in [lo, hi] GeV; for layout b theta in
//! 60-120 deg) into `path` with seed `seed`.
void write_simulated_dataset(std::string const& path, event::Layout layout, int events, double energy_lo_gev,
                             double energy_hi_gev, unsigned long long seed);
}  // namespace calo::test
