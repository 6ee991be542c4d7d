#pragma once
// Dropout with masks from a counter-based hash, computed in parallel: libtorch
// 1.13's CPU bernoulli_ draws every mask value serially from one Mersenne
// Twister, which took 13 % of a model-A training step. The keep probability
// and scaling are those of torch's dropout; the random values differ.
#include <torch/torch.h>

namespace calo::nn::detail
{
/*!
 * 1/(1-p) where a value is kept and 0 where it is dropped, with probability
 * p, as a tensor of `sizes` in `options`; value i depends only on `seed` and
 * i (not on the thread count).
 */
torch::Tensor dropout_mask(torch::IntArrayRef sizes, double p, std::uint64_t seed, torch::TensorOptions options);

/*!
 * x * mask while training (p > 0), x otherwise. On the CPU the mask's seed
 * is drawn from torch's default generator, so torch::manual_seed keys it;
 * other devices use torch's own dropout.
 */
torch::Tensor dropout(torch::Tensor const& x, double p, bool training);
}  // namespace calo::nn::detail
