#pragma once
// Nearest upsampling + zero padding + convolution computed as one convolution
// on the low-resolution input with phase-stacked kernels and a depth-to-space
// shuffle (exact algebra, derived in docs/inference.md, "Exact rewrites").
// The phase kernels are computed from the stored kernel inside the autograd
// graph, so gradients, checkpoints and parameter counts stay those of the
// block as written.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"
#include "calo3dgan/base/PhaseGeometry.hh"

namespace calo::nn::detail
{
/*!
 * (s * M, k) matrix of zeros and ones for one axis of the rewrite: row
 * r * M + m sums the kernel taps t with floor((r + t) / s) = m.
 */
torch::Tensor phase_matrix(PhaseGeometry const& axis, torch::TensorOptions options);

/*!
 * upsample(x) -> zero padding -> conv(weight, bias), with the block's
 * upsampling, zero padding and padding mode, as one stacked convolution.
 * (N, C_in, X, Y, Z) -> (N, C_out, X', Y', Z').
 */
torch::Tensor phase_convolution(torch::Tensor const& x, ConvBlockConfig const& block, torch::Tensor const& weight,
                                torch::Tensor const& bias);
}  // namespace calo::nn::detail
