#pragma once
// Dropout with masks from a counter-based hash, computed in parallel: libtorch
// 1.13's CPU bernoulli_ draws every mask value serially from one Mersenne
// Twister, which took 13 % of a model-A training step. The keep probability
// and scaling are those of torch's dropout; the random values differ.
#include <torch/torch.h>

#include <cmath>
#include <cstdint>

namespace calo::nn::detail
{
//! MurmurHash3's 32-bit finaliser: every input bit affects every output bit.
inline std::uint32_t mix32(std::uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/*!
 * The mask of one dropout call: value i is 1/(1-p) (kept) or 0 (dropped),
 * with probability p, and depends only on the seed and i, so any thread, and
 * the backward pass, can compute it again without storing it.
 */
class DropoutMask
{
  public:
    DropoutMask(double p, std::uint64_t seed)
        : key_low_(static_cast<std::uint32_t>(seed)),
          key_high_(static_cast<std::uint32_t>(seed >> 32)),
          // Keep where the top 24 bits, as a uniform value in [0, 1), are >= p.
          threshold_(static_cast<std::uint32_t>(std::ceil(p * 16777216.0))),
          scale_(static_cast<float>(1.0 / (1.0 - p)))
    {
    }

    float operator()(std::int64_t index) const
    {
        // Two rounds over (index, key): one independent value per index.
        auto const h = mix32(mix32(static_cast<std::uint32_t>(index) ^ key_low_) + key_high_);
        // A product, not a branch, so that loops over i vectorise.
        return static_cast<float>((h >> 8) >= threshold_) * scale_;
    }

  private:
    std::uint32_t key_low_;
    std::uint32_t key_high_;
    std::uint32_t threshold_;
    float scale_;
};

//! A mask seed from torch's default CPU generator (torch::manual_seed keys it).
std::uint64_t draw_dropout_seed();

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
