// Moments of the portable samplers. Each check allows 5 standard errors of
// the estimator: sqrt(var/n) for a mean and sigma^2 sqrt((kurtosis - 1)/n)
// for a variance, with the distribution's exact variance and kurtosis.
// Seeds are fixed, so the tests are deterministic.
#include "calo3dgan/mc/Distributions.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <vector>

#include "calo3dgan/mc/detail/IncompleteGamma.hh"

namespace calo::mc
{
namespace
{
struct Moments
{
    double mean = 0;
    double variance = 0;
};

Moments moments(int n, std::function<double()> const& draw)
{
    // Welford's update: stable for large means (Poisson 28000).
    Moments m;
    double m2 = 0;
    for (int i = 1; i <= n; ++i)
    {
        double const x = draw();
        double const delta = x - m.mean;
        m.mean += delta / i;
        m2 += delta * (x - m.mean);
    }
    m.variance = m2 / (n - 1);
    return m;
}

//! Check mean and variance against the exact values; `kurtosis` is the
//! (non-excess) fourth standardised moment.
void expect_moments(Moments const& m, int n, double mean, double variance, double kurtosis)
{
    EXPECT_NEAR(m.mean, mean, 5 * std::sqrt(variance / n));
    EXPECT_NEAR(m.variance, variance, 5 * variance * std::sqrt((kurtosis - 1) / n));
}

constexpr int kSamples = 400000;
}  // namespace

TEST(Distributions, Normal)
{
    Rng rng(1);
    expect_moments(moments(kSamples, [&] { return sample_normal(rng); }), kSamples, 0, 1, 3);
    // The pair is uncorrelated: E[z1 z2] = 0 with variance 1.
    Moments const product = moments(kSamples,
                                    [&]
                                    {
                                        auto const [a, b] = sample_normal_pair(rng);
                                        return a * b;
                                    });
    EXPECT_NEAR(product.mean, 0, 5 / std::sqrt(kSamples));
    NormalSource source;
    expect_moments(moments(kSamples, [&] { return source(rng); }), kSamples, 0, 1, 3);
    // Consecutive values of the source (first and spare of a pair) are
    // uncorrelated too.
    Moments const lagged = moments(kSamples, [&] { return source(rng) * source(rng); });
    EXPECT_NEAR(lagged.mean, 0, 5 / std::sqrt(kSamples));
}

TEST(Distributions, UnitCircle)
{
    Rng rng(2);
    double max_error = 0;
    Moments const cos_moments = moments(kSamples,
                                        [&]
                                        {
                                            auto const [c, s] = sample_unit_circle(rng);
                                            max_error = std::max(max_error, std::fabs(c * c + s * s - 1));
                                            return c;
                                        });
    EXPECT_LT(max_error, 1e-14);
    // cos(phi), phi ~ U(0, 2pi): mean 0, variance 1/2, kurtosis 3/2.
    expect_moments(cos_moments, kSamples, 0, 0.5, 1.5);
    // sin(phi) cos(phi) = sin(2 phi)/2: mean 0, variance 1/8; and the
    // quadrants are equally likely.
    int upper = 0;
    Moments const cross = moments(kSamples,
                                  [&]
                                  {
                                      auto const [c, s] = sample_unit_circle(rng);
                                      upper += s > 0;
                                      return c * s;
                                  });
    EXPECT_NEAR(cross.mean, 0, 5 * std::sqrt(0.125 / kSamples));
    EXPECT_NEAR(upper, kSamples / 2.0, 5 * std::sqrt(kSamples / 4.0));
}

TEST(Distributions, SquaredNormalProduct)
{
    // z1^2 z2^2: mean 1, variance E[z^4]^2 - 1 = 8; and E[ln] = 2 E[ln z^2] =
    // -2 (gamma_E + ln 2) = -2 kMoyalMean, with variance 2 pi^2/2 and
    // kurtosis 3 + 4/2 = 5 (a sum of two Moyal variables of excess 4).
    Rng rng(3);
    Moments const m = moments(kSamples, [&] { return sample_squared_normal_product(rng); });
    EXPECT_NEAR(m.mean, 1, 5 * std::sqrt(8.0 / kSamples));
    Moments const log_m = moments(kSamples, [&] { return std::log(sample_squared_normal_product(rng)); });
    expect_moments(log_m, kSamples, -2 * kMoyalMean, 2 * kMoyalVariance, 5);
}

TEST(Distributions, Exponential)
{
    Rng rng(4);
    double const mean = 9.0 / 7.0;
    expect_moments(moments(kSamples, [&] { return sample_exponential(rng, mean); }), kSamples, mean, mean * mean, 9);
}

TEST(Distributions, Gamma)
{
    Rng rng(5);
    for (double shape : {0.5, 1.0, 1.1, 3.17, 5.9, 50.0})
    {
        SCOPED_TRACE("shape " + std::to_string(shape));
        NormalSource normal;
        int below = 0;
        Moments const m = moments(kSamples,
                                  [&]
                                  {
                                      double const x = sample_gamma(rng, shape, normal);
                                      below += x < shape;
                                      return x;
                                  });
        expect_moments(m, kSamples, shape, shape, 3 + 6 / shape);
        // The CDF at x = shape against the incomplete gamma function:
        // binomial standard error sqrt(P(1-P)/n).
        double const p = detail::regularized_gamma_p(shape, shape);
        EXPECT_NEAR(static_cast<double>(below) / kSamples, p, 5 * std::sqrt(p * (1 - p) / kSamples));
    }
    // The stateless overload draws the same distribution.
    expect_moments(moments(kSamples, [&] { return sample_gamma(rng, 2.5); }), kSamples, 2.5, 2.5, 3 + 6 / 2.5);
}

TEST(Distributions, PoissonMoments)
{
    Rng rng(6);
    for (double mean : {0.3, 3.0, 9.99, 10.0, 30.0, 1000.0, 28000.0})
    {
        SCOPED_TRACE("mean " + std::to_string(mean));
        expect_moments(moments(kSamples, [&] { return static_cast<double>(sample_poisson(rng, mean)); }), kSamples,
                       mean, mean, 3 + 1 / mean);
    }
    EXPECT_EQ(sample_poisson(rng, 0.0), 0);
    EXPECT_EQ(sample_poisson(rng, -1.0), 0);
}

TEST(Distributions, PoissonProbabilities)
{
    // Frequencies of k against the Poisson pmf for a mean on each side of
    // the algorithm switch at 10, each within 5 binomial standard errors.
    Rng rng(7);
    for (double mean : {4.5, 30.0})
    {
        SCOPED_TRACE("mean " + std::to_string(mean));
        std::vector<int> counts(200, 0);
        for (int i = 0; i < kSamples; ++i)
        {
            auto const k = sample_poisson(rng, mean);
            ASSERT_GE(k, 0);
            if (k < 200)
                ++counts[k];
        }
        for (int k = 0; k < 2 * mean + 10; ++k)
        {
            double const p = std::exp(k * std::log(mean) - mean - std::lgamma(k + 1.0));
            EXPECT_NEAR(static_cast<double>(counts[k]) / kSamples, p, 5 * std::sqrt(p * (1 - p) / kSamples) + 1e-6)
                << "k = " << k;
        }
    }
}

TEST(Distributions, Geometric)
{
    Rng rng(8);
    EXPECT_EQ(sample_geometric(rng, 1.0), 1);
    for (double mean : {1.5, 2.7151, 16.0, 40.0})
    {
        SCOPED_TRACE("mean " + std::to_string(mean));
        double const p = 1 / mean;
        double const variance = (1 - p) / (p * p);
        double const kurtosis = 9 + p * p / (1 - p);
        std::int64_t smallest = 1000;
        Moments const m = moments(kSamples,
                                  [&]
                                  {
                                      auto const k = sample_geometric(rng, mean);
                                      smallest = std::min(smallest, k);
                                      return static_cast<double>(k);
                                  });
        EXPECT_EQ(smallest, 1);
        expect_moments(m, kSamples, mean, variance, kurtosis);
    }
}

TEST(Distributions, Moyal)
{
    // mpv + xi (-ln z^2): mean mpv + 1.2704 xi, variance (pi^2/2) xi^2,
    // kurtosis 7 (excess 4); the mode is at mpv.
    Rng rng(9);
    double const mpv = 0.140;
    double const xi = 0.009;
    expect_moments(moments(kSamples, [&] { return sample_moyal(rng, mpv, xi); }), kSamples, mpv + kMoyalMean * xi,
                   kMoyalVariance * xi * xi, 7);
    // Mode: the histogram bin at mpv is the most populated one.
    std::vector<int> bins(40, 0);
    for (int i = 0; i < kSamples; ++i)
    {
        int const bin = static_cast<int>(std::floor((sample_moyal(rng, mpv, xi) - mpv) / (0.5 * xi) + 20.5));
        if (bin >= 0 && bin < 40)
            ++bins[bin];
    }
    EXPECT_EQ(std::max_element(bins.begin(), bins.end()) - bins.begin(), 20);
}

TEST(Distributions, SameStateSameNumbers)
{
    Rng a(42);
    Rng b(42);
    for (int i = 0; i < 1000; ++i)
    {
        ASSERT_EQ(sample_gamma(a, 4.2), sample_gamma(b, 4.2));
        ASSERT_EQ(sample_poisson(a, 5000.0), sample_poisson(b, 5000.0));
    }
}
}  // namespace calo::mc
