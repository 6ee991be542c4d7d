#pragma once
// Expected ECAL sum of a shower, used as the target for model-A fakes.
namespace calo::train
{
/*!
 * 3DGAN GetEcalFit, mod 1 (svalleco/3Dgan Energy-gan:keras/EcalEnergyTrain.py):
 * sampling fraction in percent, ratio(y) = 0.0018 y^4 - 0.023 y^3 + 0.11 y^2
 * - 0.28 y + 2.21 with y = E_p / 100 GeV, and the target ECAL sum in network
 * units is ratio(y) * y * xscale (cells in GeV times xscale).
 */
inline double ecal_fit(double y, double xscale)
{
    double const ratio = (((0.0018 * y - 0.023) * y + 0.11) * y - 0.28) * y + 2.21;
    return ratio * y * xscale;
}
}  // namespace calo::train
