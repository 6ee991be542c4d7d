#pragma once
// GFLASH parametrisation of electromagnetic showers in a sampling calorimeter.
//
// G. Grindhammer, S. Peters, "The parameterized simulation of electromagnetic
// showers in homogeneous and sampling calorimeters", hep-ex/0001020 (GP93).
// Constants are the Geant4 GFLASH values (GVFlashHomoShowerTuning,
// GFlashSamplingShowerTuning), which match the original Fortran. Depths are
// in radiation lengths X0 of the effective medium, radii in its Moliere
// radius, energies in GeV unless a name says otherwise.
#include "calo3dgan/geo/EffectiveMedium.hh"

namespace calo::mc
{
//! GFLASH e/mip of a sampling structure (GP93, sampling calorimeters;
//! Geant4 GFlashSamplingShowerParameterisation):
//! e_hat = 1/(1 + 0.007 (Z_passive - Z_active)); 0.704 for W/Si.
double gflash_e_over_mip(double z_passive, double z_active);

//! Distribution of one shower's longitudinal shape: ln T and ln alpha of
//! the Gamma profile f(t) = beta (beta t)^(alpha-1) e^(-beta t)/Gamma(alpha),
//! T = (alpha - 1)/beta the depth of the maximum [X0], are bivariate normal.
struct LongitudinalParameters
{
    double mean_ln_tmax = 0;    //!< <ln T_sam>, T in X0
    double mean_ln_alpha = 0;   //!< <ln alpha_sam>
    double sigma_ln_tmax = 0;   //!< sigma(ln T_sam)
    double sigma_ln_alpha = 0;  //!< sigma(ln alpha_sam)
    double correlation = 0;     //!< rho(ln T, ln alpha)
};

//! GP93 sampling-calorimeter means and fluctuations (Geant4
//! GFlashSamplingShowerParameterisation::ComputeLongitudinalParameters,
//! without its bug of integrating the homogeneous pair), with the floors: the
//! homogeneous means <ln T_hom> = ln(ln y - 0.812) and <ln alpha_hom> =
//! ln(0.81 + (0.458 + 2.26/Z_eff) ln y) take their arguments >= 0.1; the
//! sampling shifts T_hom - 0.55 F_s^-1 - 0.69 (1 - e_hat) and
//! alpha_hom - 0.476 F_s^-1 are made before the log, which is floored at 0.1;
//! sigma(ln T) = min(0.5, 1/(-2.5 + 1.25 ln y)), sigma(ln alpha) =
//! min(0.5, 1/(-0.82 + 0.79 ln y)), rho = 0.784 - 0.023 ln y; y = E/E_c,eff.
LongitudinalParameters gflash_longitudinal(double energy_gev, geo::EffectiveMedium const& medium, double e_over_mip);

//! Lateral shape at one depth: f(r) = p f_C(r) + (1 - p) f_T(r), with
//! f_i(r) = 2 r R_i^2/(r^2 + R_i^2)^2 and r in Moliere radii.
struct RadialShape
{
    double core_radius = 0;       //!< R_C [R_M]
    double tail_radius = 0;       //!< R_T [R_M]
    double core_probability = 0;  //!< p in [0, 1]
};

//! GP93 radial profile for homogeneous media with the sampling corrections
//! (Geant4 GFlashSamplingShowerParameterisation::ComputeRadialParameters),
//! for one energy and medium. Z is Z_eff and F_s^-1 the layer thickness in X0.
class GflashRadialProfile
{
  public:
    GflashRadialProfile(double energy_gev, geo::EffectiveMedium const& medium, double e_over_mip);

    //! Shape at scaled depth tau = t/T (t from the shower start). Clamped so
    //! that p is in [0, 1], R_C >= 1e-3 R_M and R_T >= R_C: the Gumbel-like
    //! p(tau) and the shrinking radii leave their ranges at extreme tau.
    RadialShape operator()(double tau) const;

  private:
    double core_z1_;
    double core_z2_;
    double tail_k1_;
    double tail_k4_;
    double weight_p1_;
    double weight_p2_;
    double weight_inv_p3_;
    double one_minus_ehat_;
    double layer_x0_;
};
}  // namespace calo::mc
