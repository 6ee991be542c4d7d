#include "GflashParameters.hh"

#include <algorithm>
#include <cmath>

namespace calo::mc
{
namespace
{
//! min(0.5, 1/(a + b ln y)), also 0.5 where the fit's denominator is <= 2
//! (y below the fitted range).
double capped_sigma(double a, double b, double ln_y)
{
    double const denominator = a + b * ln_y;
    return denominator > 2 ? 1 / denominator : 0.5;
}
}  // namespace

double gflash_e_over_mip(double z_passive, double z_active)
{
    return 1 / (1 + 0.007 * (z_passive - z_active));
}

LongitudinalParameters gflash_longitudinal(double energy_gev, geo::EffectiveMedium const& medium, double e_over_mip)
{
    double const ln_y = std::log(energy_gev * 1000 / medium.critical_energy_mev);
    double const z = medium.atomic_number;
    double const layer_x0 = medium.thickness_x0;  // F_s^-1

    // Homogeneous means, GVFlashHomoShowerTuning (Geant4 floors the arguments).
    double const tmax_hom = std::max(ln_y - 0.812, 0.1);
    double const alpha_hom = std::max(0.81 + (0.458 + 2.26 / z) * ln_y, 0.1);

    // Sampling shifts, GFlashSamplingShowerTuning; the floor on the log keeps
    // the mean alpha above 1 so that tau = t/T stays finite.
    double const tmax_sam = tmax_hom - 0.55 * layer_x0 - 0.69 * (1 - e_over_mip);
    double const alpha_sam = alpha_hom - 0.476 * layer_x0;

    LongitudinalParameters result;
    result.mean_ln_tmax = std::max(std::log(std::max(tmax_sam, 1e-300)), 0.1);
    result.mean_ln_alpha = std::max(std::log(std::max(alpha_sam, 1e-300)), 0.1);
    result.sigma_ln_tmax = capped_sigma(-2.5, 1.25, ln_y);
    result.sigma_ln_alpha = capped_sigma(-0.82, 0.79, ln_y);
    result.correlation = std::clamp(0.784 - 0.023 * ln_y, -1.0, 1.0);
    return result;
}

GflashRadialProfile::GflashRadialProfile(double energy_gev, geo::EffectiveMedium const& medium, double e_over_mip)
{
    double const ln_e = std::log(energy_gev);
    double const z = medium.atomic_number;
    core_z1_ = 0.0251 + 0.00319 * ln_e;
    core_z2_ = 0.1162 - 0.000381 * z;
    tail_k1_ = 0.659 - 0.00309 * z;
    tail_k4_ = 0.3585 + 0.0412 * ln_e;
    weight_p1_ = 2.632 - 0.00094 * z;
    weight_p2_ = 0.401 + 0.00187 * z;
    weight_inv_p3_ = 1 / (1.313 - 0.0686 * ln_e);
    one_minus_ehat_ = 1 - e_over_mip;
    layer_x0_ = medium.thickness_x0;
}

RadialShape GflashRadialProfile::operator()(double tau) const
{
    constexpr double k2 = 0.645;
    constexpr double k3 = -2.59;
    double const exp_minus_tau = std::exp(-tau);
    double const g = (weight_p2_ - tau) * weight_inv_p3_;

    double core = core_z1_ + core_z2_ * tau;
    double tail = tail_k1_ * (std::exp(k3 * (tau - k2)) + std::exp(tail_k4_ * (tau - k2)));
    double weight = weight_p1_ * std::exp(g - std::exp(g));

    // Sampling corrections (GFlashSamplingShowerTuning: ParsRC*, ParsRT*, ParsWC*).
    core += -0.0203 * one_minus_ehat_ + 0.0397 * layer_x0_ * exp_minus_tau;
    tail += -0.14 * one_minus_ehat_ - 0.495 * layer_x0_ * exp_minus_tau;
    weight += one_minus_ehat_ * (0.348 - 0.642 * layer_x0_ * std::exp(-(tau - 1) * (tau - 1)));

    RadialShape shape;
    shape.core_radius = std::max(core, 1e-3);
    shape.tail_radius = std::max(tail, shape.core_radius);
    shape.core_probability = std::clamp(weight, 0.0, 1.0);
    return shape;
}
}  // namespace calo::mc
