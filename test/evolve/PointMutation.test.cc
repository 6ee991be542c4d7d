#include "calo3dgan/evolve/PointMutation.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
std::size_t changed(std::vector<float> const& a, std::vector<float> const& b)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
        n += a[i] != b[i];
    return n;
}
}  // namespace

TEST(PointMutation, ChangesExactlyTheRateOfTheWeightsWithinThePower)
{
    PointMutation const mutation({0.1, MutationDistribution::uniform});
    std::vector<float> const before(1000, 1.0f);
    auto after = before;
    mutation.apply(after, 42, 0.01);
    // A zero change has probability ~2^-53 per draw.
    EXPECT_EQ(changed(before, after), 100u);
    for (std::size_t i = 0; i < after.size(); ++i)
        EXPECT_LE(std::abs(after[i] - before[i]), 0.01f + 1e-7f);
    EXPECT_EQ(mutation.mutated_count(1000), 100u);
    EXPECT_EQ(mutation.mutated_count(3), 1u);  // a positive rate changes at least one weight
    EXPECT_EQ(PointMutation({0.0, MutationDistribution::uniform}).mutated_count(1000), 0u);
    EXPECT_EQ(PointMutation({1.0, MutationDistribution::uniform}).mutated_count(1000), 1000u);
}

TEST(PointMutation, IsAFunctionOfTheSeed)
{
    PointMutation const mutation({0.5, MutationDistribution::uniform});
    std::vector<float> a(200, 0.0f), b(200, 0.0f), c(200, 0.0f);
    mutation.apply(a, 7, 0.1);
    mutation.apply(b, 7, 0.1);
    mutation.apply(c, 8, 0.1);
    EXPECT_EQ(a, b);
    EXPECT_NE(a, c);
}

TEST(PointMutation, UniformAndGaussianChangesHaveTheirMoments)
{
    // Rate 1 on n = 20000 zeros: every entry is one draw.
    constexpr std::size_t n = 20000;
    double const power = 0.5;
    for (auto distribution : {MutationDistribution::uniform, MutationDistribution::gaussian})
    {
        std::vector<float> x(n, 0.0f);
        PointMutation({1.0, distribution}).apply(x, 3, power);
        double sum = 0, sum2 = 0;
        for (float v : x)
        {
            sum += v;
            sum2 += static_cast<double>(v) * v;
        }
        double const mean = sum / n;
        double const var = sum2 / n - mean * mean;
        // Expected variance: power^2/3 (uniform on [-p, p]) or power^2.
        double const expected_var = distribution == MutationDistribution::uniform ? power * power / 3 : power * power;
        // Tolerances: 5 standard errors. SE(mean) = sqrt(var/n); SE(var) =
        // var sqrt(2/n) (normal) and smaller for the uniform.
        EXPECT_NEAR(mean, 0.0, 5 * std::sqrt(expected_var / n)) << to_string(distribution);
        EXPECT_NEAR(var, expected_var, 5 * expected_var * std::sqrt(2.0 / n)) << to_string(distribution);
        if (distribution == MutationDistribution::uniform)
            for (float v : x)
                ASSERT_LE(std::abs(v), power + 1e-6);
    }
}

TEST(PointMutation, RejectsRatesOutsideTheUnitInterval)
{
    EXPECT_THROW(PointMutation({-0.1, MutationDistribution::uniform}), InputError);
    EXPECT_THROW(PointMutation({1.5, MutationDistribution::uniform}), InputError);
    EXPECT_THROW(parse_mutation_distribution("cauchy"), UsageError);
    EXPECT_EQ(parse_mutation_distribution("gaussian"), MutationDistribution::gaussian);
}
}  // namespace calo::evolve
