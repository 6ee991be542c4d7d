#include "calo3dgan/base/Random.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <set>
#include <vector>

namespace calo
{
TEST(Random, SameSeedSameStream)
{
    Rng a(derive_seed(42, 7));
    Rng b(derive_seed(42, 7));
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(a(), b());
}

TEST(Random, DerivedSeedsDifferByStreamDomainAndMaster)
{
    std::set<std::uint64_t> seeds;
    for (std::uint64_t master : {0ull, 1ull, 2ull})
        for (std::uint64_t domain : {0ull, 1ull})
            for (std::uint64_t stream = 0; stream < 1000; ++stream)
                seeds.insert(derive_seed(master, stream, domain));
    EXPECT_EQ(seeds.size(), 3u * 2u * 1000u);
}

TEST(Random, UniformMomentsAndRange)
{
    // Mean 1/2 and variance 1/12; with n = 1e6 the standard error of the mean
    // is 0.29/1000 = 2.9e-4, so 5 sigma is 1.5e-3.
    Rng rng(123);
    constexpr int n = 1000000;
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n; ++i)
    {
        double const u = rng.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        sum += u;
        sum_sq += u * u;
    }
    double const mean = sum / n;
    EXPECT_NEAR(mean, 0.5, 1.5e-3);
    EXPECT_NEAR(sum_sq / n - mean * mean, 1.0 / 12, 1e-3);
}

TEST(Random, UniformOpenNeverZero)
{
    Rng rng(5);
    for (int i = 0; i < 100000; ++i)
    {
        double const u = rng.uniform_open();
        ASSERT_GT(u, 0.0);
        ASSERT_LT(u, 1.0);
        ASSERT_TRUE(std::isfinite(std::log(u)));
    }
}

TEST(Random, UniformIndexCoversTheRangeEvenly)
{
    // 70,000 draws into 7 bins: 10,000 expected each, sigma about 93.
    Rng rng(9);
    std::vector<int> counts(7, 0);
    for (int i = 0; i < 70000; ++i)
    {
        auto const k = uniform_index(rng, 7);
        ASSERT_LT(k, 7u);
        ++counts[k];
    }
    for (int c : counts)
        EXPECT_NEAR(c, 10000, 500);
}
}  // namespace calo
