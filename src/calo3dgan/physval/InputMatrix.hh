#pragma once
// Per-event input vectors of a two-sample comparison (feature distances,
// classifier test).
#include <cstddef>
#include <vector>

namespace calo::physval
{
//! Row-major events x inputs.
struct InputMatrix
{
    std::vector<float> values;
    std::size_t rows = 0, cols = 0;
    float const* row(std::size_t r) const { return values.data() + r * cols; }
};
}  // namespace calo::physval
