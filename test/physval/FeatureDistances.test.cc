// Fréchet and kernel physics distances on samples with known answers.
#include "calo3dgan/physval/FeatureDistances.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "calo3dgan/base/Random.hh"

namespace calo::physval
{
namespace
{
//! n events of d independent normal features, feature i ~ N(mean[i], sigma[i]²).
InputMatrix gaussian_sample(std::size_t n, std::vector<double> const& mean, std::vector<double> const& sigma,
                            std::uint64_t seed)
{
    InputMatrix m;
    m.rows = n;
    m.cols = mean.size();
    Rng rng(seed);
    for (std::size_t r = 0; r < n; ++r)
    {
        for (std::size_t i = 0; i < m.cols; ++i)
        {
            double const z = std::sqrt(-2 * std::log(rng.uniform_open())) * std::cos(2 * M_PI * rng.uniform());
            m.values.push_back(static_cast<float>(mean[i] + sigma[i] * z));
        }
    }
    return m;
}

TEST(FeatureDistances, EigenvaluesAndVectorsOfASymmetricMatrix)
{
    std::vector<double> const a{4, 1, 2, 1, 3, 0, 2, 0, 5};
    std::vector<double> v;
    auto const values = symmetric_eigen(a, 3, &v);
    // Trace and determinant are the sum and product of the eigenvalues.
    EXPECT_NEAR(values[0] + values[1] + values[2], 12.0, 1e-10);
    EXPECT_NEAR(values[0] * values[1] * values[2], 4 * 15 - 1 * 5 + 2 * (0 - 6), 1e-9);
    EXPECT_LE(values[0], values[1]);
    EXPECT_LE(values[1], values[2]);
    // A v_k = λ_k v_k for each column.
    for (int k = 0; k < 3; ++k)
        for (int i = 0; i < 3; ++i)
        {
            double av = 0;
            for (int j = 0; j < 3; ++j)
                av += a[i * 3 + j] * v[j * 3 + k];
            EXPECT_NEAR(av, values[k] * v[i * 3 + k], 1e-9);
        }
    auto const two = symmetric_eigen({2, 1, 1, 2}, 2, nullptr);
    EXPECT_NEAR(two[0], 1.0, 1e-12);
    EXPECT_NEAR(two[1], 3.0, 1e-12);
}

TEST(FeatureDistances, FrechetDistanceOfGaussiansMatchesTheFormula)
{
    // Independent features: FPD = Σ (μ_r - μ_c)² + (σ_r - σ_c)² = 0.25 + 0.25 + 0 + 1 = 1.5.
    auto const r = gaussian_sample(40000, {0, 1}, {1, 2}, 1);
    auto const c = gaussian_sample(40000, {0.5, 1}, {1.5, 1}, 2);
    DistanceEstimate const d = frechet_distance(r, c, 5, 3);
    // Sampling error of the variances at N = 40000 is about 1 %: 0.05 is generous.
    EXPECT_NEAR(d.value, 1.5, 0.05);
    EXPECT_GT(d.error, 0);
    EXPECT_LT(d.error, 0.05);
    // Same distribution: only the finite-sample bias, about d/N per term.
    DistanceEstimate const same = frechet_distance(r, gaussian_sample(40000, {0, 1}, {1, 2}, 4), 0, 3);
    EXPECT_LT(same.value, 0.005);
}

TEST(FeatureDistances, ExtrapolationRemovesTheFiniteSampleBias)
{
    // 20 standard-normal features, 2000 events per side: the finite-sample
    // FPD of one distribution is about 2 d / N = 0.02 here, the extrapolated
    // one zero within its error; a shift of 0.2 in one feature gives 0.04.
    std::vector<double> const zeros(20, 0.0), ones(20, 1.0);
    std::vector<double> shifted = zeros;
    shifted[0] = 0.2;
    auto const r = gaussian_sample(2000, zeros, ones, 11);
    DistanceEstimate const finite = frechet_distance(r, gaussian_sample(2000, zeros, ones, 12), 0, 1);
    DistanceEstimate const same = frechet_distance_infinite(r, gaussian_sample(2000, zeros, ones, 12), 6, 3, 13);
    DistanceEstimate const apart = frechet_distance_infinite(r, gaussian_sample(2000, shifted, ones, 14), 6, 3, 13);
    std::printf("finite %.4f, extrapolated %.4f +- %.4f, shifted %.4f +- %.4f\n", finite.value, same.value, same.error,
                apart.value, apart.error);
    EXPECT_GT(finite.value, 0.01);
    EXPECT_LT(std::abs(same.value), 3 * same.error + 0.003);
    EXPECT_LT(std::abs(same.value), finite.value / 2);
    EXPECT_NEAR(apart.value, 0.04, 3 * apart.error + 0.01);
}

TEST(FeatureDistances, KernelDistanceIsZeroOnlyForTheSameDistribution)
{
    auto const r = gaussian_sample(4000, {0, 0, 0}, {1, 1, 1}, 5);
    auto const same = gaussian_sample(4000, {0, 0, 0}, {1, 1, 1}, 6);
    auto const shifted = gaussian_sample(4000, {0.3, 0, 0}, {1, 1, 1}, 7);
    DistanceEstimate const d0 = kernel_distance(r, same, 10, 1000, 8, 1);
    DistanceEstimate const d1 = kernel_distance(r, shifted, 10, 1000, 8, 1);
    // Unbiased estimator: the null value scatters around 0 within its error.
    EXPECT_LT(std::abs(d0.value), 4 * d0.error + 1e-4);
    EXPECT_GT(d1.value, 10 * d1.error);
    EXPECT_GT(d1.value, 10 * std::abs(d0.value));
}

TEST(FeatureDistances, StandardisationDropsConstantFeatures)
{
    InputMatrix r{{1, 5, 2, 5, 3, 5}, 3, 2};
    InputMatrix c{{2, 5, 4, 7}, 2, 2};
    EXPECT_EQ(standardise_like_reference(r, c), 1);
    ASSERT_EQ(r.cols, 1u);
    EXPECT_NEAR(r.values[0], -1.0, 1e-6);  // (1 - 2) / 1
    EXPECT_NEAR(c.values[1], 2.0, 1e-6);   // (4 - 2) / 1
}
}  // namespace
}  // namespace calo::physval
