#include "EffectiveMedium.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::geo
{
EffectiveMedium mix_materials(std::vector<Slab> const& slabs)
{
    CALO_VALIDATE(!slabs.empty(), "effective medium: no slabs given — a layer needs at least one material");
    double areal_mass = 0;  // [g/cm^2]
    double thickness_mm = 0;
    for (auto const& slab : slabs)
    {
        CALO_VALIDATE(slab.thickness_mm >= 0 && std::isfinite(slab.thickness_mm),
                      "effective medium: slab '" + slab.material.name + "' has thickness " +
                          std::to_string(slab.thickness_mm) + " mm — use a finite value >= 0");
        CALO_VALIDATE(
            slab.material.density_g_cm3 > 0 && slab.material.radiation_length_g_cm2 > 0,
            "effective medium: material '" + slab.material.name + "' needs a positive density and radiation length");
        areal_mass += slab.material.density_g_cm3 * slab.thickness_mm / 10;
        thickness_mm += slab.thickness_mm;
    }
    CALO_VALIDATE(areal_mass > 0, "effective medium: the layer has no mass — give a slab a positive thickness");

    EffectiveMedium result;
    double inverse_x0 = 0;  // sum w_i / X0_i [cm^2/g]
    double ec_over_x0 = 0;  // sum w_i E_c,i / X0_i [MeV cm^2/g]
    for (auto const& slab : slabs)
    {
        Material const& m = slab.material;
        double const w = m.density_g_cm3 * slab.thickness_mm / 10 / areal_mass;
        result.atomic_number += w * m.atomic_number;
        result.mass_number += w * m.mass_number;
        inverse_x0 += w / m.radiation_length_g_cm2;
        ec_over_x0 += w * m.critical_energy_mev / m.radiation_length_g_cm2;
    }
    result.density_g_cm3 = areal_mass / (thickness_mm / 10);
    double const x0_g_cm2 = 1 / inverse_x0;
    result.radiation_length_mm = 10 * x0_g_cm2 / result.density_g_cm3;
    result.critical_energy_mev = x0_g_cm2 * ec_over_x0;
    result.moliere_radius_mm = 10 * (kScatteringEnergyMev / ec_over_x0) / result.density_g_cm3;
    result.thickness_mm = thickness_mm;
    result.thickness_x0 = thickness_mm / result.radiation_length_mm;
    return result;
}
}  // namespace calo::geo
