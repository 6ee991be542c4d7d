#pragma once
// GFLASH effective medium of a sampling structure.
#include <vector>

#include "Material.hh"

namespace calo::geo
{
//! A slab of material in one sampling layer.
struct Slab
{
    Material material;
    double thickness_mm = 0;
};

//! Homogeneous stand-in for a repeated sampling layer, as used by the GFLASH
//! sampling parametrisation (Grindhammer & Peters, hep-ex/0001020, sec. 3;
//! Geant4 GFlashSamplingShowerParameterisation).
struct EffectiveMedium
{
    double atomic_number = 0;        //!< Z_eff: mass-weighted mean Z
    double mass_number = 0;          //!< A_eff: mass-weighted mean A [g/mol]
    double density_g_cm3 = 0;        //!< rho_eff: mass per volume of the layer [g/cm^3]
    double radiation_length_mm = 0;  //!< X0_eff [mm]
    double critical_energy_mev = 0;  //!< E_c,eff [MeV]
    double moliere_radius_mm = 0;    //!< R_M,eff [mm]
    double thickness_mm = 0;         //!< sum of slab thicknesses (layer pitch) [mm]
    double thickness_x0 = 0;         //!< F_s^-1 = pitch / X0_eff: one layer in X0
};

//! Mix the slabs of one layer (GFLASH sec. 3, eqs. for the effective medium):
//! mass fractions w_i = d_i rho_i / sum d_j rho_j; Z_eff = sum w_i Z_i;
//! 1/X0_eff = rho_eff sum w_i/(X0_i rho_i); E_c,eff = X0_eff sum w_i E_c,i/X0_i;
//! R_M,eff = E_s / sum (w_i E_c,i/X0_i) with E_s = 21.2 MeV.
//! Throws calo::InputError for an empty list or non-positive thicknesses.
EffectiveMedium mix_materials(std::vector<Slab> const& slabs);

//! Multiple-scattering energy scale E_s of the Moliere radius [MeV]
//! (PDG; Geant4 >= 11.3 GFLASH uses the same value).
inline constexpr double kScatteringEnergyMev = 21.2;
}  // namespace calo::geo
