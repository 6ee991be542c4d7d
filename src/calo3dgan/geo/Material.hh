#pragma once
// Bulk material constants for the W/Si sampling calorimeter.
//
// Values are the PDG "Atomic and nuclear properties" tables (docs/mc.md,
// table "Material constants"). Critical
// energies are the PDG (Rossi-definition) values for electrons, not the
// Geant4 GFLASH formula, which evaluates 2.66 (X0 Z/A)^1.1 with X0 in mm
// instead of g/cm^2 and gets W wrong by a factor of two.
#include <string>

namespace calo::geo
{
//! One homogeneous material. Units are given per field.
struct Material
{
    std::string name;
    double atomic_number = 0;           //!< Z
    double mass_number = 0;             //!< A [g/mol]
    double density_g_cm3 = 0;           //!< rho [g/cm^3]
    double radiation_length_g_cm2 = 0;  //!< X0 [g/cm^2]
    double critical_energy_mev = 0;     //!< E_c for electrons [MeV]
    double mip_dedx_mev_cm2_g = 0;      //!< minimum-ionising stopping power [MeV cm^2/g]

    //! Radiation length [mm].
    double radiation_length_mm() const { return 10 * radiation_length_g_cm2 / density_g_cm3; }
    //! Mean energy loss of a minimum-ionising particle crossing a slab of
    //! `thickness_mm` at normal incidence [MeV].
    double mip_loss_mev(double thickness_mm) const { return mip_dedx_mev_cm2_g * density_g_cm3 * thickness_mm / 10; }
};

//! Tungsten, the absorber (PDG: X0 = 6.76 g/cm^2 = 3.504 mm, E_c = 7.97 MeV).
inline Material tungsten()
{
    return {"W", 74, 183.84, 19.30, 6.76, 7.97, 1.145};
}

//! Silicon, the active medium (PDG: X0 = 21.82 g/cm^2 = 93.70 mm, E_c = 40.19 MeV).
//! dE/dx_min = 1.664 MeV cm^2/g gives 0.194 MeV mean MIP loss in 0.5 mm.
inline Material silicon()
{
    return {"Si", 14, 28.0855, 2.329, 21.82, 40.19, 1.664};
}

//! Low-density "services" (PCB, glue, air, support) between the sensor and
//! the next absorber of preset "lcd". A guess (docs/mc.md, "Material
//! constants"): rho = 1.0 g/cm^3, X0 = 33 g/cm^2, E_c = 60 MeV, Z = 9,
//! dE/dx = 1.8 MeV cm^2/g. A = 2Z (Z/A = 0.5 as for plastics) only enters
//! A_eff, which nothing uses.
inline Material services()
{
    return {"services", 9, 18, 1.0, 33, 60, 1.8};
}
}  // namespace calo::geo
