// Effective-medium numbers against the table in docs/mc.md, "Effective
// medium", which was derived by hand from the PDG constants. Tolerances are
// half a unit of the table's last digit plus a
// little for the table's own rounding of intermediate values.
#include "calo3dgan/geo/EffectiveMedium.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::geo
{
namespace
{
std::vector<Slab> layer(double tungsten_mm, double services_mm)
{
    return {{tungsten(), tungsten_mm}, {silicon(), 0.5}, {services(), services_mm}};
}

struct Expected
{
    double tungsten_mm;
    double services_mm;
    double layer_x0;
    double z_eff;
    double critical_energy_mev;
    double x0_mm;
    double moliere_mm;
};

void check(Expected const& e)
{
    SCOPED_TRACE("W " + std::to_string(e.tungsten_mm) + " mm, services " + std::to_string(e.services_mm) + " mm");
    EffectiveMedium const m = mix_materials(layer(e.tungsten_mm, e.services_mm));
    EXPECT_NEAR(m.thickness_x0, e.layer_x0, 0.006);
    EXPECT_NEAR(m.atomic_number, e.z_eff, 0.06);
    EXPECT_NEAR(m.critical_energy_mev, e.critical_energy_mev, 0.006);
    EXPECT_NEAR(m.radiation_length_mm, e.x0_mm, 0.006);
    EXPECT_NEAR(m.moliere_radius_mm, e.moliere_mm, 0.06);
    EXPECT_NEAR(m.thickness_mm, e.tungsten_mm + 0.5 + e.services_mm, 1e-12);
}
}  // namespace

TEST(EffectiveMedium, CompactPresetMatchesSpecTable)
{
    check({2.4, 0.0, 0.690, 72.5, 8.22, 4.20, 10.8});
    check({4.8, 0.0, 1.375, 73.3, 8.10, 3.85, 10.1});
}

TEST(EffectiveMedium, LcdPresetMatchesSpecTable)
{
    check({2.4, 1.5, 0.695, 70.6, 8.56, 6.33, 15.7});
    check({4.8, 1.5, 1.380, 72.2, 8.27, 4.93, 12.6});
}

TEST(EffectiveMedium, SingleMaterialIsItself)
{
    // Pure tungsten: X0 = 6.76 g/cm^2 / 19.30 g/cm^3 = 3.5026 mm and
    // R_M = 21.2 MeV X0 / E_c = 21.2/7.97 * 3.5026 mm = 9.317 mm (PDG: 9.327
    // mm with its own E_s and rounding).
    EffectiveMedium const w = mix_materials({{tungsten(), 3.0}});
    EXPECT_DOUBLE_EQ(w.atomic_number, 74);
    EXPECT_NEAR(w.radiation_length_mm, 3.5026, 1e-4);
    EXPECT_NEAR(w.critical_energy_mev, 7.97, 1e-12);
    EXPECT_NEAR(w.moliere_radius_mm, 21.2 / 7.97 * 3.50259, 1e-4);
    EXPECT_NEAR(w.density_g_cm3, 19.30, 1e-12);
    EXPECT_NEAR(w.thickness_x0, 3.0 / 3.50259, 1e-5);
}

TEST(EffectiveMedium, ZeroThicknessSlabDoesNotChangeTheMix)
{
    EffectiveMedium const a = mix_materials({{tungsten(), 2.4}, {silicon(), 0.5}});
    EffectiveMedium const b = mix_materials({{tungsten(), 2.4}, {silicon(), 0.5}, {services(), 0.0}});
    EXPECT_DOUBLE_EQ(a.moliere_radius_mm, b.moliere_radius_mm);
    EXPECT_DOUBLE_EQ(a.critical_energy_mev, b.critical_energy_mev);
}

TEST(EffectiveMedium, RejectsBadInput)
{
    EXPECT_THROW(mix_materials({}), InputError);
    EXPECT_THROW(mix_materials({{tungsten(), -1.0}}), InputError);
    EXPECT_THROW(mix_materials({{tungsten(), 0.0}}), InputError);
}
}  // namespace calo::geo
