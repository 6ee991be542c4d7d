#pragma once
// Portable random samplers on top of calo::Rng.
//
// The std:: distributions are implementation-defined (libstdc++ and libc++
// give different numbers for the same engine state), so the shower Monte
// Carlo uses these instead: results then depend only on the Rng state and on
// IEEE arithmetic with log/exp/sqrt. No trigonometric functions are used.
// All functions are stateless: concurrent use with one Rng per thread is safe.
#include <cmath>
#include <cstdint>
#include <utility>

#include "calo3dgan/base/Random.hh"

namespace calo::mc
{
//! A point uniform on the unit circle: (cos phi, sin phi) with phi ~ U(0, 2pi).
//! From a point (u, v) uniform in the unit disk, (u^2 - v^2, 2uv)/(u^2 + v^2)
//! is the direction at twice its polar angle (von Neumann 1951), which avoids
//! sin/cos. Rejects 21.5% of pairs.
inline std::pair<double, double> sample_unit_circle(Rng& rng)
{
    for (;;)
    {
        double const u = 2 * rng.uniform() - 1;
        double const v = 2 * rng.uniform() - 1;
        double const s = u * u + v * v;
        if (s < 1 && s > 0)
        {
            double const inverse = 1 / s;
            return {(u * u - v * v) * inverse, 2 * u * v * inverse};
        }
    }
}

//! Two independent standard normal deviates (Marsaglia polar method,
//! Marsaglia & Bray 1964).
inline std::pair<double, double> sample_normal_pair(Rng& rng)
{
    for (;;)
    {
        double const u = 2 * rng.uniform() - 1;
        double const v = 2 * rng.uniform() - 1;
        double const s = u * u + v * v;
        if (s < 1 && s > 0)
        {
            double const f = std::sqrt(-2 * std::log(s) / s);
            return {u * f, v * f};
        }
    }
}

//! One standard normal deviate (the polar method's second value is dropped).
inline double sample_normal(Rng& rng)
{
    return sample_normal_pair(rng).first;
}

//! The product z1^2 z2^2 of two independent squared standard normals, from
//! one polar-method pair: z_i^2 = u_i^2 (-2 ln s)/s. Used for Moyal deposits,
//! whose sum needs only the log of the product.
inline double sample_squared_normal_product(Rng& rng)
{
    for (;;)
    {
        double const u = 2 * rng.uniform() - 1;
        double const v = 2 * rng.uniform() - 1;
        double const s = u * u + v * v;
        if (s < 1 && s > 0)
        {
            double const f = -2 * std::log(s) / s;
            return (u * u * f) * (v * v * f);
        }
    }
}

//! Exponential deviate with mean `mean` (inversion).
inline double sample_exponential(Rng& rng, double mean)
{
    return -mean * std::log(rng.uniform_open());
}

//! Standard normal deviates from the polar method, two per accepted pair:
//! the second is handed out by the next call. Holds state, so keep one per
//! random stream (e.g. a local in the function that owns the Rng).
class NormalSource
{
  public:
    double operator()(Rng& rng)
    {
        if (has_spare_)
        {
            has_spare_ = false;
            return spare_;
        }
        auto const [first, second] = sample_normal_pair(rng);
        spare_ = second;
        has_spare_ = true;
        return first;
    }

  private:
    double spare_ = 0;
    bool has_spare_ = false;
};

//! Gamma deviate with shape `shape` > 0 and unit scale (Marsaglia & Tsang
//! 2000, ACM TOMS 26, 363), normals from `normal`. For shape < 1 uses
//! Gamma(shape + 1) U^(1/shape) (same paper, sec. 6).
inline double sample_gamma(Rng& rng, double shape, NormalSource& normal)
{
    double boost = 1;
    if (shape < 1)
    {
        boost = std::pow(rng.uniform_open(), 1 / shape);
        shape += 1;
    }
    double const d = shape - 1.0 / 3;
    double const c = 1 / std::sqrt(9 * d);
    for (;;)
    {
        double x;
        double v;
        do
        {
            x = normal(rng);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double const u = rng.uniform_open();
        double const x2 = x * x;
        // Squeeze first: accepts ~98% without a logarithm.
        if (u < 1 - 0.0331 * x2 * x2)
            return boost * d * v;
        if (std::log(u) < 0.5 * x2 + d * (1 - v + std::log(v)))
            return boost * d * v;
    }
}

//! Gamma deviate with shape `shape` > 0 and unit scale (see above).
inline double sample_gamma(Rng& rng, double shape)
{
    NormalSource normal;
    return sample_gamma(rng, shape, normal);
}

//! Poisson deviate with mean `mean` >= 0. Below mean 10: multiplication of
//! uniforms (Knuth, TAOCP vol. 2, 3.4.1). From 10 up: the transformed
//! rejection with squeeze "PTRS" of W. Hoermann, Insurance: Mathematics and
//! Economics 12 (1993) 39, exact for any mean.
inline std::int64_t sample_poisson(Rng& rng, double mean)
{
    if (!(mean > 0))
        return 0;
    if (mean < 10)
    {
        double const limit = std::exp(-mean);
        double product = rng.uniform();
        std::int64_t k = 0;
        while (product > limit)
        {
            ++k;
            product *= rng.uniform();
        }
        return k;
    }
    double const sqrt_mean = std::sqrt(mean);
    double const log_mean = std::log(mean);
    double const b = 0.931 + 2.53 * sqrt_mean;
    double const a = -0.059 + 0.02483 * b;
    double const inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    double const v_r = 0.9277 - 3.6224 / (b - 2);
    for (;;)
    {
        double const u = rng.uniform() - 0.5;
        double const v = rng.uniform_open();
        double const us = 0.5 - std::fabs(u);
        double const k = std::floor((2 * a / us + b) * u + mean + 0.43);
        if (us >= 0.07 && v <= v_r)
            return static_cast<std::int64_t>(k);
        if (k < 0 || (us < 0.013 && v > us))
            continue;
        if (std::log(v) + std::log(inv_alpha) - std::log(a / (us * us) + b) <=
            -mean + k * log_mean - std::lgamma(k + 1))
            return static_cast<std::int64_t>(k);
    }
}

//! Geometric deviate on {1, 2, ...} with mean `mean` >= 1 (success
//! probability p = 1/mean). Small means count Bernoulli trials, which is
//! cheaper than a logarithm; large means invert the CDF,
//! 1 + floor(ln U / ln(1 - p)).
inline std::int64_t sample_geometric(Rng& rng, double mean)
{
    if (!(mean > 1))
        return 1;
    double const failure = 1 - 1 / mean;
    if (mean <= 16)
    {
        std::int64_t k = 1;
        while (rng.uniform() < failure) ++k;
        return k;
    }
    return 1 + static_cast<std::int64_t>(std::log(rng.uniform_open()) / std::log1p(-1 / mean));
}

//! Mean of the standard Moyal variable -ln(z^2), z ~ N(0,1): gamma_E + ln 2.
inline constexpr double kMoyalMean = 1.2703628454614782;
//! Variance of the standard Moyal variable: pi^2/2.
inline constexpr double kMoyalVariance = 4.934802200544679;

//! Moyal deviate with mode `mpv` and width `xi` (Moyal 1955): mpv + xi(-ln z^2)
//! with z ~ N(0,1), a closed-form stand-in for the Landau distribution of
//! energy loss in thin silicon.
inline double sample_moyal(Rng& rng, double mpv, double xi)
{
    double const z = sample_normal(rng);
    return mpv - xi * std::log(z * z);
}
}  // namespace calo::mc
