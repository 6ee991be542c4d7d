#pragma once
// Nearest upsampling + zero padding + convolution computed as one convolution
// on the low-resolution input with phase-stacked kernels and a depth-to-space
// shuffle (exact algebra, derived in docs/inference.md, "Exact rewrites").
// The phase kernels are computed from the stored kernel inside the autograd
// graph, so gradients, checkpoints and parameter counts stay those of the
// block as written.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"

namespace calo::nn::detail
{
//! Geometry of the rewrite along one axis.
struct PhaseAxis
{
    std::int64_t upsample = 1;  //!< s
    std::int64_t taps = 1;  //!< M = floor((s - 1 + k - 1) / s) + 1
    std::int64_t pad_before = 0;  //!< zeros before the low-resolution input (-q_min)
    std::int64_t pad_after = 0;  //!< zeros after it (negative: cropped)
    std::int64_t crop_first = 0;  //!< first kept index of the shuffled axis
    std::int64_t out_length = 0;  //!< L - k + 1: the block's output length
};

//! The axis of a block with upsampling `s`, `zeros` (before, after) around
//! the upsampled input, kernel `k`, on an input of length `n`.
PhaseAxis make_phase_axis(int s, std::pair<int, int> zeros, int k, std::int64_t n);

/*!
 * (s * M, k) matrix of zeros and ones: row r * M + m sums the kernel taps t
 * with floor((r + t) / s) = m.
 */
torch::Tensor phase_matrix(PhaseAxis const& axis, int kernel, torch::TensorOptions options);

/*!
 * upsample(x) -> zero padding -> conv(weight, bias), with the block's
 * upsampling, zero padding and padding mode, as one stacked convolution.
 * (N, C_in, X, Y, Z) -> (N, C_out, X', Y', Z').
 */
torch::Tensor phase_convolution(torch::Tensor const& x, ConvBlockConfig const& block, torch::Tensor const& weight,
                                torch::Tensor const& bias);
}  // namespace calo::nn::detail
