#pragma once
// The element-wise end of a convolution block, activation -> [batch
// normalisation] -> [dropout], as one autograd function on the CPU. The
// separate operators pass over the block's output about ten times and keep
// three copies of it for the backward pass (plus casts under bf16); the
// fused function reads it twice forward and twice backward, keeps only its
// input, and recomputes the dropout mask from its seed
// (docs/training-performance.md).
#include <torch/torch.h>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn::detail
{
struct BlockTail
{
    Activation activation = Activation::linear;
    double leaky_slope = 0.0;
    double dropout = 0.0;  //!< rate, applied while training
    bool training = false;
    //! The next layer is a convolution: under CPU autocast, the fused
    //! function writes its result in the autocast type, which that
    //! convolution would cast it to (the same rounding, one pass less).
    bool feeds_convolution = false;
};

/*!
 * dropout(batchnorm(activation(x))), batchnorm optional (an empty holder),
 * with torch's BatchNorm3d semantics (batch statistics and running averages
 * while the module trains, running averages otherwise) and the masks of
 * detail::dropout (the seed drawn from torch's generator at the same point).
 * The result is in the batch normalisation's parameter type (fp32) after
 * batch normalisation, in x's type otherwise (or see feeds_convolution).
 *
 * fp32 or bf16 tensors on the CPU go through the fused function; anything
 * else through block_tail_composed.
 */
torch::Tensor block_tail(torch::Tensor const& x, BlockTail const& tail, torch::nn::BatchNorm3d batchnorm);

//! The same with torch's operators and detail::dropout: the reference for
//! tests, and the path off the CPU.
torch::Tensor block_tail_composed(torch::Tensor const& x, BlockTail const& tail, torch::nn::BatchNorm3d batchnorm);
}  // namespace calo::nn::detail
