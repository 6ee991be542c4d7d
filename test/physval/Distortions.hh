#pragma once
// Known distortions of Monte Carlo showers, to check that validation sees them.
#include "calo3dgan/physval/ShowerSample.hh"

namespace calo::test
{
//! Every cell times `factor`.
void scale_energy(physval::ShowerSample& s, float factor);
//! Every shower moved `layers` layers deeper; energy pushed past the last
//! layer leaks out, the first layers become empty.
void shift_deeper(physval::ShowerSample& s, int layers);
//! Each layer stretched transversely by `factor` about the window centre,
//! energy-conserving (cell overlap), separately along x and y.
void widen(physval::ShowerSample& s, double factor);
}  // namespace calo::test
