// Fréchet and kernel physics distances on samples with known answers.
#include "calo3dgan/physval/FeatureDistances.hh"

#include <gtest/gtest.h>

#include <array>
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

TEST(FeatureDistances, FrechetDistanceOfGaussiansMatchesTheFormula)
{
    // Independent features: FPD = Σ (μ_r - μ_c)² + (σ_r - σ_c)² = 0.25 + 0.25 + 0 + 1 = 1.5.
    auto const r = gaussian_sample(40000, {0, 1}, {1, 2}, 1);
    auto const c = gaussian_sample(40000, {0.5, 1}, {1.5, 1}, 2);
    DistanceEstimate const d = frechet_distance(r, c, 20, 3);
    // Sampling spread, N = 40000 per side, to first order: the mean term
    // 2 δμ (ε_r - ε_c) has variance 4 δμ² (σ_r² + σ_c²)/N = 3.25/N, each
    // sigma term 2 δσ (ε_r - ε_c) with var(σ̂) = σ²/(2N) has 4 δσ² (σ_r² + σ_c²)/(2N):
    // 1.625/N and 10/N. Sum 14.9/N: sigma 0.0193; 0.05 is 2.6 sigma.
    double const sigma = std::sqrt(14.875 / 40000);
    EXPECT_NEAR(d.value, 1.5, 0.05);
    // The bootstrap spread estimates that sigma; from 20 resamplings its
    // relative error is 1/sqrt(2 x 19) = 16 %: within 3 of those (48 %).
    EXPECT_NEAR(d.error, sigma, 0.48 * sigma);
    // Same distribution: only the finite-sample bias. Each mean term
    // (μ̂_r - μ̂_c)² is (2σ²/N) χ²₁ and each sigma term (σ̂_r - σ̂_c)² is
    // (σ²/N) χ²₁: expected (2 + 8 + 1 + 4)/N = 3.75e-4, standard deviation
    // sqrt(2 (2² + 8² + 1² + 4²))/N = 3.3e-4. A distance cannot be negative.
    DistanceEstimate const same = frechet_distance(r, gaussian_sample(40000, {0, 1}, {1, 2}, 4), 0, 3);
    EXPECT_GT(same.value, -1e-12);
    EXPECT_LT(same.value, 3.75e-4 + 4 * 3.3e-4);
}

//! n events of a two-feature Gaussian with mean `mean` and covariance L Lᵀ
//! (L lower triangular: l00, l10, l11).
InputMatrix correlated_sample(std::size_t n, std::array<double, 2> mean, std::array<double, 3> l, std::uint64_t seed)
{
    InputMatrix m;
    m.rows = n;
    m.cols = 2;
    Rng rng(seed);
    for (std::size_t r = 0; r < n; ++r)
    {
        double const z0 = standard_normal(rng), z1 = standard_normal(rng);
        m.values.push_back(static_cast<float>(mean[0] + l[0] * z0));
        m.values.push_back(static_cast<float>(mean[1] + l[1] * z0 + l[2] * z1));
    }
    return m;
}

TEST(FeatureDistances, FrechetDistanceOfCorrelatedGaussians)
{
    // Σ_r = [[1, 0.8], [0.8, 1]] and Σ_c = diag(0.25, 4) do not commute: the
    // matrix square root matters. For 2 x 2 matrices, Tr(M^½) =
    // sqrt(Tr M + 2 sqrt(det M)) (the eigenvalues' square roots s1, s2 have
    // (s1 + s2)² = Tr M + 2 sqrt(det M)); with M = Σ_r Σ_c, Tr M = 4.25 and
    // det M = 0.36: FPD = 0.5² + 2 + 4.25 - 2 sqrt(5.45) = 1.83095. Taking
    // Σ_r^½ Σ_c^½ instead would give 2.02786.
    double const expected = 0.25 + 2 + 4.25 - 2 * std::sqrt(4.25 + 2 * std::sqrt(0.36));
    auto const r = correlated_sample(40000, {0, 0}, {1, 0.8, 0.6}, 21);
    auto const c = correlated_sample(40000, {0.5, 0}, {0.5, 0, 2}, 22);
    DistanceEstimate const d = frechet_distance(r, c, 0, 3);
    // Spread over 60 simulated pairs of samples of 40000 (closed form above,
    // plain Python): 0.019, bias below 0.003. 4 sigma = 0.076, well short of
    // the 0.197 that the wrong square root would add.
    EXPECT_NEAR(d.value, expected, 0.076);
}

TEST(FeatureDistances, ExtrapolationRemovesTheFiniteSampleBias)
{
    // 20 standard-normal features, N = 2000 events per side. The plain FPD
    // of one distribution is a sum of chi-squares: d mean terms
    // (μ̂_r - μ̂_c)² ~ (2/N) χ²₁ and, to second order, the covariance term
    // ¼ |Σ̂_r - Σ̂_c|²_F: d(d+1)/2 terms ~ (1/N) χ²₁. Expected
    // (2d + d(d+1)/2)/N = 0.125, standard deviation
    // sqrt(2 (d 2² + d(d+1)/2))/N = 0.012. The extrapolated one is 0 within
    // its spread, 0.021 over 40 such pairs of samples: about twice the fit's
    // standard error (0.011 on average), which does not see the fluctuation
    // that all subsets share with the full samples. A shift δ = 0.5 in one
    // feature adds δ² = 0.25 and the cross term 2 δ (ε_r - ε_c), with
    // variance 4 δ² 2/N: spread sqrt(0.021² + 8 δ²/N) = 0.038.
    std::vector<double> const zeros(20, 0.0), ones(20, 1.0);
    std::vector<double> shifted = zeros;
    shifted[0] = 0.5;
    auto const r = gaussian_sample(2000, zeros, ones, 11);
    DistanceEstimate const finite = frechet_distance(r, gaussian_sample(2000, zeros, ones, 12), 0, 1);
    DistanceEstimate const same = frechet_distance_infinite(r, gaussian_sample(2000, zeros, ones, 12), 6, 3, 13);
    DistanceEstimate const apart = frechet_distance_infinite(r, gaussian_sample(2000, shifted, ones, 14), 6, 3, 13);
    std::printf("finite %.4f, extrapolated %.4f +- %.4f, shifted %.4f +- %.4f\n", finite.value, same.value, same.error,
                apart.value, apart.error);
    EXPECT_NEAR(finite.value, 0.125, 4 * 0.012);
    // 4 x 0.021 = 0.084: a plain FPD (0.125 +- 0.012) fails it.
    EXPECT_LT(std::abs(same.value), 4 * 0.021);
    EXPECT_NEAR(apart.value, 0.25, 4 * 0.038);
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
