#pragma once
// Regularised lower incomplete gamma function P(a, x).
//
// The GFLASH longitudinal profile is a Gamma density, so P(alpha, beta t) is
// the fraction of the shower energy released before depth t (GP93). The
// simulator samples depths directly; P is used for expected layer fractions
// (tests, the normal-incidence analytic profile in the docs).
#include <cmath>
#include <limits>

namespace calo::mc::detail
{
//! P(a, x) = gamma(a, x)/Gamma(a) for a > 0, x >= 0: the series for
//! x < a + 1 and the Lentz continued fraction for Q = 1 - P otherwise, as in
//! Numerical Recipes (3rd ed., sec. 6.2), to about 1e-14 relative (Geant4's
//! Gamma.cc stops at 3e-7).
inline double regularized_gamma_p(double a, double x)
{
    if (!(a > 0) || !(x >= 0))
        return std::numeric_limits<double>::quiet_NaN();
    if (x == 0)
        return 0;
    constexpr double eps = 1e-15;
    constexpr int max_iterations = 10000;
    double const log_prefactor = a * std::log(x) - x - std::lgamma(a);
    if (x < a + 1)
    {
        // gamma(a, x) = e^-x x^a sum_n x^n / (a (a+1) ... (a+n))
        double term = 1 / a;
        double sum = term;
        for (int n = 1; n < max_iterations; ++n)
        {
            term *= x / (a + n);
            sum += term;
            if (std::fabs(term) < std::fabs(sum) * eps)
                break;
        }
        return sum * std::exp(log_prefactor);
    }
    // Q(a, x) = e^-x x^a / Gamma(a) * 1/(x + 1 - a - 1(1-a)/(x + 3 - a - ...))
    constexpr double tiny = 1e-300;
    double b = x + 1 - a;
    double c = 1 / tiny;
    double d = 1 / b;
    double h = d;
    for (int i = 1; i < max_iterations; ++i)
    {
        double const an = -i * (i - a);
        b += 2;
        d = an * d + b;
        if (std::fabs(d) < tiny)
            d = tiny;
        c = b + an / c;
        if (std::fabs(c) < tiny)
            c = tiny;
        d = 1 / d;
        double const delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1) < eps)
            break;
    }
    return 1 - std::exp(log_prefactor) * h;
}
}  // namespace calo::mc::detail
