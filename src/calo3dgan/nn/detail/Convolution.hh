#pragma once
// The 3D convolution of training: stride 1, symmetric zero padding, with a
// forward pass and, per gradient, a backward pass in the formulation measured
// faster on CPUs (docs/training-performance.md), running in bf16 under
// autocast with fp32 gradients for the fp32 master weights.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"

namespace calo::nn::detail
{
//! How a convolution and its gradients are computed. Fixed for a shape (never
//! timed at run time) so that runs repeat bit for bit.
struct ConvolutionFormulation
{
    //! y as one convolution with stride 2 along the first spatial axis and
    //! k + 1 taps there, whose 2 C_out outputs are y's odd and even planes
    //! along that axis, interleaved afterwards: for C_out <= 8, which fills
    //! at most half of oneDNN's 16-channel blocks, the stacked output fills
    //! more of them (20 % more multiply-adds for a 5-tap kernel). Chosen on
    //! the CPU only.
    bool forward_by_phases = false;
    //! dL/dx as a forward convolution of dL/dy with the flipped, transposed
    //! kernel, instead of oneDNN's backward-data primitive.
    bool data_as_forward = false;
    //! That forward convolution by phases, as forward_by_phases does for y
    //! (its outputs are the C_in channels of x). Chosen on the CPU only.
    bool data_as_forward_by_phases = false;
    //! dL/dw as a forward convolution with the batch as channels (input
    //! (C_in, N, ...) with "kernel" dL/dy (C_out, N, ...)), instead of
    //! oneDNN's backward-weights primitive.
    bool weights_as_forward = false;
    //! dL/dw with oneDNN's backward-weights primitive on x padded beforehand
    //! (and no padding in the primitive): oneDNN 2.6's direct kernels for 8
    //! or fewer channels take little padding and fall back to a GEMM-based
    //! implementation, 2 to 4 times slower in fp32, for the 'same' padding
    //! of a 5-tap kernel. Chosen on the CPU only.
    bool weights_padded_first = false;
};

//! The formulations chosen for a convolution C_in -> C_out that runs in
//! `compute_type` (float or bfloat16) on `device`.
ConvolutionFormulation choose_formulation(std::int64_t in_channels, std::int64_t out_channels,
                                          torch::ScalarType compute_type, c10::DeviceType device);

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
                            Int3 padding, ConvolutionFormulation formulation);
}  // namespace calo::nn::detail
