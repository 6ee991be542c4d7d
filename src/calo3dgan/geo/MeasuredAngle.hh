#pragma once
// The 3DGAN measured polar angle of a shower image.
#include "calo3dgan/geo/ImageShape.hh"

namespace calo::geo
{
//! Value returned for an image without energy (as in the reference code).
inline constexpr double kEmptyImageAngle = 100.0;

//! 3DGAN measured polar angle [rad] of one image (docs/preprocessing.md, "Measured angle";
//! `measPython` in svalleco/3Dgan Anglegan keras/analysis/utils/GANutils.py):
//! - event barycentre (x̄, ȳ, z̄) with cell centres at index + 0.5;
//! - for each layer z with energy, its barycentre (x_z, y_z);
//! - d_z = sqrt((x_z - x̄)² + (z + 0.5 - z̄)²), m_z = (y_z - ȳ)/d_z, with the
//!   sign of m_z flipped for layers before the barycentre (z + 0.5 < z̄);
//! - θ_z = π/2 - atan(m_z); the result is Σ θ_z (z+0.5) / Σ (z+0.5) over the
//!   layers with energy.
//! Returns kEmptyImageAngle (100) for an image without energy. Cells (shape
//! nx*ny*nz, layer fastest) may be in any energy unit: only ratios matter.
//!
//! Where d_z is exactly zero (a layer barycentre on the event barycentre),
//! measPython divides by zero (NaN); like the Keras lambda `ecal_angle`
//! (AngleArch3dGAN.py), d_z² is clamped at 1e-7 instead.
//! Angles are in cell-index units: θ < π/2 means y grows with depth.
double measured_angle(float const* cells, ImageShape shape);
}  // namespace calo::geo
