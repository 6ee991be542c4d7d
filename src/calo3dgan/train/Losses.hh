#pragma once
// The Keras 2.2.4 losses used by 3DGAN (docs/training.md, "Losses and weights").
#include <torch/torch.h>

namespace calo::train
{
//! Binary cross-entropy of probabilities clipped to [1e-7, 1 - 1e-7], batch mean.
torch::Tensor clipped_binary_cross_entropy(torch::Tensor const& probability, torch::Tensor const& target);

//! Mean absolute percentage error: 100 * mean(|t - p| / max(|t|, 1e-7)).
torch::Tensor mean_absolute_percentage_error(torch::Tensor const& prediction, torch::Tensor const& target);

//! Mean absolute error.
torch::Tensor mean_absolute_error(torch::Tensor const& prediction, torch::Tensor const& target);
}  // namespace calo::train
