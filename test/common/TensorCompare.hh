#pragma once
// Relative L2 distance of tensors, for tests that compare a computation with
// a reference (header-only: only torch-using tests include it).
#include <torch/torch.h>

namespace calo::test
{
//! |a - b| / |b| in double, whatever the tensors' types.
inline double relative_error(torch::Tensor const& a, torch::Tensor const& b)
{
    auto const ad = a.to(torch::kDouble), bd = b.to(torch::kDouble);
    return ((ad - bd).norm() / bd.norm()).item<double>();
}
}  // namespace calo::test
