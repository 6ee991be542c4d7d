// Dropout masks from the counter-based hash: the keep probability, scaling,
// independence and reproducibility that torch's dropout has.
#include "calo3dgan/nn/detail/Dropout.hh"

#include <gtest/gtest.h>

#include <cmath>

namespace calo::nn::detail
{
namespace
{
constexpr std::int64_t kValues = 1 << 20;

TEST(Dropout, KeepsOneMinusPScaledByItsInverse)
{
    for (double p : {0.2, 0.5})
    {
        auto const mask = dropout_mask({kValues}, p, 12345, torch::TensorOptions());
        float const scale = static_cast<float>(1.0 / (1.0 - p));
        auto const kept = mask.eq(scale);
        // Every value is 0 or exactly the scale.
        EXPECT_EQ((kept | mask.eq(0)).sum().item<std::int64_t>(), kValues);
        // Binomial count of kept values: standard deviation
        // sqrt(n p (1 - p)) <= 512 for n = 2^20; 5 of them.
        double const expected = (1.0 - p) * kValues;
        double const sigma = std::sqrt(kValues * p * (1.0 - p));
        EXPECT_NEAR(static_cast<double>(kept.sum().item<std::int64_t>()), expected, 5 * sigma) << p;
    }
}

TEST(Dropout, NeighboursAndSeedsAreIndependent)
{
    // The correlation of two independent 0/1 sequences of n values has a
    // standard deviation of 1/sqrt(n) ~ 1e-3 for n = 2^20: bound 5e-3.
    auto const a = dropout_mask({kValues}, 0.2, 7, torch::TensorOptions()).to(torch::kDouble);
    auto const b = dropout_mask({kValues}, 0.2, 8, torch::TensorOptions()).to(torch::kDouble);
    auto const correlation = [](torch::Tensor const& x, torch::Tensor const& y)
    {
        auto const xc = x - x.mean(), yc = y - y.mean();
        return ((xc * yc).mean() / (xc.std(false) * yc.std(false))).item<double>();
    };
    EXPECT_LT(std::abs(correlation(a.narrow(0, 0, kValues - 1), a.narrow(0, 1, kValues - 1))), 5e-3);
    EXPECT_LT(std::abs(correlation(a, b)), 5e-3);
    // Seeds differing in the high word only give other masks too.
    auto const c = dropout_mask({kValues}, 0.2, 7 + (std::uint64_t(1) << 32), torch::TensorOptions());
    EXPECT_LT(std::abs(correlation(a, c.to(torch::kDouble))), 5e-3);
}

TEST(Dropout, SameSeedSameMaskWhateverTheThreads)
{
    auto const threads = torch::get_num_threads();
    torch::set_num_threads(1);
    auto const one = dropout_mask({3, 50000}, 0.2, 99, torch::TensorOptions());
    torch::set_num_threads(std::max(2, threads));
    auto const many = dropout_mask({3, 50000}, 0.2, 99, torch::TensorOptions());
    torch::set_num_threads(threads);
    EXPECT_TRUE(torch::equal(one, many));
}

TEST(Dropout, KeyedByTorchsSeedWithTheMaskAsGradient)
{
    auto const x = torch::randn({4, 8, 5, 5, 5}).requires_grad_(true);
    torch::manual_seed(5);
    auto const y1 = detail::dropout(x, 0.2, true);
    torch::manual_seed(5);
    auto const y2 = detail::dropout(x, 0.2, true);
    EXPECT_TRUE(torch::equal(y1, y2));
    EXPECT_FALSE(torch::equal(y1, detail::dropout(x, 0.2, true)));  // the next draw differs
    y1.sum().backward();
    // dy/dx is the mask: 0 or 1/(1 - p), and y = x * mask.
    auto const mask = x.grad();
    EXPECT_TRUE(torch::allclose(y1, x * mask));
    EXPECT_EQ((mask.eq(0) | mask.eq(1.25f)).sum().item<std::int64_t>(), mask.numel());
    // Inference: the identity.
    EXPECT_TRUE(torch::equal(detail::dropout(x, 0.2, false), x));
}
}  // namespace
}  // namespace calo::nn::detail
