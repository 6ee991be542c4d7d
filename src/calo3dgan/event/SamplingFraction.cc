#include "calo3dgan/event/SamplingFraction.hh"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>

#include "calo3dgan/base/Error.hh"

namespace calo::event
{
Polynomial reference_sampling_fraction()
{
    return {0.0018, -0.023, 0.11, -0.28, 2.21};
}

double evaluate(Polynomial const& coefficients, double x)
{
    double value = 0;
    for (double c : coefficients) value = value * x + c;
    return value;
}

Polynomial fit_polynomial(std::vector<double> const& x, std::vector<double> const& v, int degree)
{
    CALO_VALIDATE(degree >= 0 && degree <= 8, "polynomial degree " + std::to_string(degree) + " is not in 0..8");
    CALO_VALIDATE(x.size() == v.size(), "fit_polynomial: " + std::to_string(x.size()) + " x values but " +
                                            std::to_string(v.size()) + " values");
    auto const n = static_cast<std::size_t>(degree) + 1;
    CALO_VALIDATE(std::set<double>(x.begin(), x.end()).size() >= n,
                  "a degree-" + std::to_string(degree) + " fit needs at least " + std::to_string(n) +
                      " distinct energies, got " + std::to_string(std::set<double>(x.begin(), x.end()).size()));

    // Normal equations in the scaled variable t = x / s with s = max |x|, so
    // every power lies in [-1, 1] and the Gram matrix stays well conditioned
    // for the low degrees used here; solved by Gaussian elimination with
    // partial pivoting in long double.
    double scale = 0;
    for (double xi : x) scale = std::max(scale, std::abs(xi));
    if (scale == 0)
        scale = 1;
    std::vector<long double> gram(n * n, 0), rhs(n, 0), powers(n);
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        long double const t = x[i] / scale;
        powers[0] = 1;
        for (std::size_t k = 1; k < n; ++k) powers[k] = powers[k - 1] * t;
        for (std::size_t r = 0; r < n; ++r)
        {
            rhs[r] += powers[r] * v[i];
            for (std::size_t c = 0; c < n; ++c) gram[r * n + c] += powers[r] * powers[c];
        }
    }
    for (std::size_t col = 0; col < n; ++col)
    {
        std::size_t pivot = col;
        for (std::size_t r = col + 1; r < n; ++r)
            if (std::abs(gram[r * n + col]) > std::abs(gram[pivot * n + col]))
                pivot = r;
        CALO_VALIDATE(gram[pivot * n + col] != 0, "fit_polynomial: the energies do not determine the polynomial");
        for (std::size_t c = 0; c < n; ++c) std::swap(gram[col * n + c], gram[pivot * n + c]);
        std::swap(rhs[col], rhs[pivot]);
        for (std::size_t r = col + 1; r < n; ++r)
        {
            long double const f = gram[r * n + col] / gram[col * n + col];
            for (std::size_t c = col; c < n; ++c) gram[r * n + c] -= f * gram[col * n + c];
            rhs[r] -= f * rhs[col];
        }
    }
    std::vector<long double> scaled(n);
    for (std::size_t r = n; r-- > 0;)
    {
        long double acc = rhs[r];
        for (std::size_t c = r + 1; c < n; ++c) acc -= gram[r * n + c] * scaled[c];
        scaled[r] = acc / gram[r * n + r];
    }
    // Coefficient of t^k is a_k s^k; return highest degree first in x.
    Polynomial coefficients(n);
    for (std::size_t k = 0; k < n; ++k)
        coefficients[n - 1 - k] = static_cast<double>(scaled[k] / std::pow(static_cast<long double>(scale), k));
    return coefficients;
}

SamplingFractionFit fit_sampling_fraction(std::vector<double> const& primary_gev,
                                          std::vector<double> const& visible_gev, int degree, double yscale)
{
    CALO_VALIDATE(yscale > 0, "the energy scale of y must be > 0");
    CALO_VALIDATE(primary_gev.size() == visible_gev.size(),
                  "fit_sampling_fraction: primary and visible energies differ in number");
    std::vector<double> y, ratio;
    y.reserve(primary_gev.size());
    ratio.reserve(primary_gev.size());
    for (std::size_t i = 0; i < primary_gev.size(); ++i)
    {
        if (!(primary_gev[i] > 0))
            continue;  // no primary energy, no sampling fraction
        y.push_back(primary_gev[i] / yscale);
        ratio.push_back(100.0 * visible_gev[i] / primary_gev[i]);
    }
    SamplingFractionFit fit;
    fit.coefficients = fit_polynomial(y, ratio, degree);
    fit.yscale = yscale;
    fit.showers = y.size();
    double sum_sq = 0;
    for (std::size_t i = 0; i < y.size(); ++i)
    {
        double const r = ratio[i] - evaluate(fit.coefficients, y[i]);
        sum_sq += r * r;
    }
    fit.rms_residual = std::sqrt(sum_sq / static_cast<double>(y.size()));
    return fit;
}
}  // namespace calo::event
