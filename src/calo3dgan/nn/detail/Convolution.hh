#pragma once
// The 3D convolution of training: stride 1, symmetric zero padding, with a
// backward pass that picks, per gradient, the formulation measured faster on
// CPUs (docs/training-performance.md), and that runs in bf16 under autocast
// with fp32 gradients for the fp32 master weights.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"

namespace calo::nn::detail
{
//! How a convolution's gradients are computed. Fixed for a shape (never timed
//! at run time) so that runs repeat bit for bit.
struct ConvolutionBackward
{
    //! dL/dx as a forward convolution of dL/dy with the flipped, transposed
    //! kernel, instead of oneDNN's backward-data primitive.
    bool data_as_forward = false;
    //! dL/dx of a one-channel input as a convolution on the 2x2x2
    //! space-to-depth of dL/dy with 8 outputs (one per output phase), so that
    //! oneDNN's kernels have channels to vectorise over (oneDNN's
    //! backward-data runs at a tenth of its forward speed for one channel).
    bool data_by_phases = false;
    //! dL/dw as a forward convolution with the batch as channels (input
    //! (C_in, N, ...) with "kernel" dL/dy (C_out, N, ...)), instead of
    //! oneDNN's backward-weights primitive.
    bool weights_as_forward = false;
};

//! The formulations chosen for a convolution C_in -> C_out.
ConvolutionBackward choose_backward(std::int64_t in_channels, std::int64_t out_channels);

/*!
 * y = conv3d(x, weight, bias) with `padding` zeros on both sides of each
 * axis; `bias` may be undefined. Under CPU or CUDA autocast the convolution
 * runs in the autocast type; gradients come back in the types of x, weight
 * and bias. Equal to torch::conv3d up to float reassociation.
 */
torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding);

//! The same with the formulations given (tests compare them).
torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding, ConvolutionBackward backward);
}  // namespace calo::nn::detail
