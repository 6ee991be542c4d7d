#pragma once
// The calorimeter's sampling fraction as a polynomial in the primary energy.
//
// Model-A training needs the expected ECAL sum of a generated shower of
// primary energy E (its fakes are drawn at energies no real shower has).
// 3DGAN takes it from a polynomial fit of the sampling fraction
// ratio(y) = sum E_cell / E_p in percent, with y = E_p / 100 GeV, made on its
// Geant4 data (docs/training.md, "ECAL targets"). A model
// trained on other data needs the fit of that data: fit_sampling_fraction makes
// it from showers, and `calo3dgan inspect --fit-sampling-fraction` prints it.
#include <cstddef>
#include <vector>

namespace calo::event
{
//! Polynomial coefficients, highest degree first: c[0] y^n + ... + c[n].
using Polynomial = std::vector<double>;

//! The 3DGAN fit (GetEcalFit, mod 1): 0.0018 y^4 - 0.023 y^3 + 0.11 y^2 - 0.28 y + 2.21 [%].
Polynomial reference_sampling_fraction();

//! Value of a polynomial at x (Horner).
double evaluate(Polynomial const& coefficients, double x);

//! Least-squares polynomial of `degree` through the points (x[i], v[i]).
//! Throws calo::ValidationError when there are fewer distinct x than
//! coefficients or the sizes differ.
Polynomial fit_polynomial(std::vector<double> const& x, std::vector<double> const& v, int degree);

//! Result of a sampling-fraction fit on showers.
struct SamplingFractionFit
{
    Polynomial coefficients;  //!< ratio [%] against y = E_p / yscale, highest degree first
    double rms_residual = 0;  //!< r.m.s. of (ratio - fit) over the showers [%]
    double yscale = 100;      //!< GeV per unit of y
    std::size_t showers = 0;
};

//! Fits ratio = 100 * visible / primary against y = primary / yscale.
SamplingFractionFit fit_sampling_fraction(std::vector<double> const& primary_gev,
                                          std::vector<double> const& visible_gev, int degree, double yscale);
}  // namespace calo::event
