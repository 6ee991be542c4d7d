#pragma once
// Parameter-free discriminator heads of 3DGAN (Keras Lambda layers).
//
// Inputs are images (N, 1, X, Y, Z) of cell energies in the networks' units
// (file units times xscale); outputs are (N, 1).
#include <torch/torch.h>

namespace calo::nn
{
//! Undo the power transform of model B: image^(1/power); identity for power 1.
torch::Tensor undo_power(torch::Tensor const& image, double power);

//! Total energy per event, sum over x, y, z: (N, 1, X, Y, Z) -> (N, 1).
//! Keras `ecal_sum` (svalleco/3Dgan Energy-gan:keras/EcalEnergyGan.py).
torch::Tensor ecal_sum(torch::Tensor const& energies);

/*!
 * Differentiable measured polar angle [rad] of each shower, (N, 1, X, Y, Z) ->
 * (N, 1); events without energy give 100.
 *
 * Keras `ecal_angle` (svalleco/3Dgan Anglegan:keras/AngleArch3dGAN.py), with
 * cell centres at index + 0.5:
 *  1. event barycentre (x0, y0, z0);
 *  2. per layer z with energy, barycentre (x_z, y_z);
 *  3. d_z = sqrt(max((x_z - x0)^2 + (z - z0)^2, 1e-7)),
 *     m_z = (y_z - y0) / d_z, negated for layers with z < z0,
 *     theta_z = pi/2 - atan(m_z);
 *  4. theta = sum_z theta_z z mask_z / sum_z z mask_z.
 * Divisions that Keras guards with tf.where use safe denominators here as
 * well, so empty layers and events give finite gradients (the forward values
 * are the same).
 */
torch::Tensor ecal_angle(torch::Tensor const& energies);

//! Value of ecal_angle for an event without energy.
inline constexpr double kEmptyEventAngle = 100.0;
}  // namespace calo::nn
