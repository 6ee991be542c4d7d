// P(a, x) against closed forms (integer and half-integer a) and the
// recurrence P(a+1, x) = P(a, x) - x^a e^-x / Gamma(a+1) for the shapes the
// shower uses; both the series (x < a + 1) and continued-fraction branches.
#include "calo3dgan/mc/detail/IncompleteGamma.hh"

#include <gtest/gtest.h>

#include <cmath>

namespace calo::mc::detail
{
namespace
{
constexpr double kPi = 3.14159265358979323846;
double const kPoints[] = {1e-3, 0.01, 0.5, 1, 2, 3.5, 5, 10, 30, 80};

//! 1 - e^-x sum_{k<n} x^k/k!: P(n, x) for integer n.
double integer_shape(int n, double x)
{
    double term = 1;
    double sum = 0;
    for (int k = 0; k < n; ++k)
    {
        sum += term;
        term *= x / (k + 1);
    }
    return 1 - std::exp(-x) * sum;
}
}  // namespace

TEST(IncompleteGamma, IntegerShapes)
{
    for (int n : {1, 2, 3, 6, 12})
        for (double x : kPoints)
            EXPECT_NEAR(regularized_gamma_p(n, x), integer_shape(n, x), 1e-13) << "a = " << n << ", x = " << x;
}

TEST(IncompleteGamma, HalfIntegerShapes)
{
    for (double x : kPoints)
    {
        double const erf = std::erf(std::sqrt(x));
        EXPECT_NEAR(regularized_gamma_p(0.5, x), erf, 1e-13) << x;
        EXPECT_NEAR(regularized_gamma_p(1.5, x), erf - 2 * std::sqrt(x / kPi) * std::exp(-x), 1e-13) << x;
    }
}

TEST(IncompleteGamma, Recurrence)
{
    for (double a : {1.1, 3.17, 5.87, 20.3})
        for (double x : kPoints)
        {
            double const step = std::exp(a * std::log(x) - x - std::lgamma(a + 1));
            EXPECT_NEAR(regularized_gamma_p(a + 1, x), regularized_gamma_p(a, x) - step, 1e-13)
                << "a = " << a << ", x = " << x;
        }
}

TEST(IncompleteGamma, LimitsAndDomain)
{
    EXPECT_EQ(regularized_gamma_p(3.0, 0.0), 0.0);
    EXPECT_NEAR(regularized_gamma_p(3.0, 200.0), 1.0, 1e-15);
    EXPECT_TRUE(std::isnan(regularized_gamma_p(0.0, 1.0)));
    EXPECT_TRUE(std::isnan(regularized_gamma_p(2.0, -1.0)));
    // Monotonic in x.
    double previous = 0;
    for (double x = 0.05; x < 40; x += 0.05)
    {
        double const p = regularized_gamma_p(5.87, x);
        ASSERT_GE(p, previous);
        previous = p;
    }
}
}  // namespace calo::mc::detail
