#pragma once
// Expected ECAL sum of a shower, used as the target for model-A fakes.
#include "calo3dgan/event/SamplingFraction.hh"

namespace calo::train
{
/*!
 * Target ECAL sum in network units (cells in GeV times xscale) of a shower of
 * y = E_p / yscale: ratio(y) * y * xscale with ratio the sampling fraction in
 * percent (train.sampling_fraction; by default 3DGAN's GetEcalFit, mod 1:
 * 0.0018 y^4 - 0.023 y^3 + 0.11 y^2 - 0.28 y + 2.21). See docs/training.md,
 * "ECAL targets".
 */
inline double ecal_fit(double y, double xscale, event::Polynomial const& sampling_fraction)
{
    return event::evaluate(sampling_fraction, y) * y * xscale;
}
}  // namespace calo::train
