// GFLASH parameters against the hand-derived tables of docs/mc.md, "GFLASH
// reference values" ("Longitudinal parameters", preset "compact"; "Radial
// profile at 100 GeV" for W/Si). Tolerances: half a unit of the table's last
// digit, plus the same again for the table's rounded inputs.
#include "calo3dgan/mc/GflashParameters.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/geo/Calorimeter.hh"

namespace calo::mc
{
TEST(GflashParameters, EOverMip)
{
    EXPECT_NEAR(gflash_e_over_mip(74, 14), 0.7042, 5e-5);
    EXPECT_DOUBLE_EQ(gflash_e_over_mip(14, 14), 1.0);
}

TEST(GflashParameters, LongitudinalMatchesSpecTable)
{
    geo::Calorimeter const compact(geo::CalorimeterSpec::compact());
    geo::EffectiveMedium const& medium = compact.section(0).medium;
    double const ehat = gflash_e_over_mip(74, 14);
    struct Row
    {
        double energy_gev, ln_y, tmax, alpha, beta, mean_depth, sigma_t, sigma_a, rho;
    };
    Row const rows[] = {
        {2, 5.49, 4.10, 3.17, 0.53, 6.0, 0.229, 0.284, 0.658},
        {10, 7.10, 5.71, 3.96, 0.52, 7.6, 0.157, 0.209, 0.621},
        {100, 9.41, 8.01, 5.08, 0.51, 10.0, 0.108, 0.151, 0.568},
        {200, 10.10, 8.70, 5.42, 0.51, 10.7, 0.099, 0.140, 0.552},
        {500, 11.02, 9.62, 5.87, 0.51, 11.6, 0.089, 0.127, 0.531},
    };
    for (Row const& row : rows)
    {
        SCOPED_TRACE("E = " + std::to_string(row.energy_gev) + " GeV");
        LongitudinalParameters const p = gflash_longitudinal(row.energy_gev, medium, ehat);
        double const ln_y = std::log(row.energy_gev * 1000 / medium.critical_energy_mev);
        double const tmax = std::exp(p.mean_ln_tmax);
        double const alpha = std::exp(p.mean_ln_alpha);
        double const beta = (alpha - 1) / tmax;
        EXPECT_NEAR(ln_y, row.ln_y, 0.01);
        EXPECT_NEAR(tmax, row.tmax, 0.01);
        EXPECT_NEAR(alpha, row.alpha, 0.01);
        EXPECT_NEAR(beta, row.beta, 0.01);
        EXPECT_NEAR(alpha / beta, row.mean_depth, 0.1);
        EXPECT_NEAR(p.sigma_ln_tmax, row.sigma_t, 0.001);
        EXPECT_NEAR(p.sigma_ln_alpha, row.sigma_a, 0.001);
        EXPECT_NEAR(p.correlation, row.rho, 0.001);
    }
}

TEST(GflashParameters, LongitudinalFloorsAtLowEnergy)
{
    // Far below the fitted range the Geant4 floors keep T, alpha >= e^0.1
    // and the sigmas at their cap of 0.5.
    geo::Calorimeter const lcd;
    LongitudinalParameters const p = gflash_longitudinal(0.01, lcd.section(0).medium, 0.704);
    EXPECT_GE(p.mean_ln_tmax, 0.1);
    EXPECT_GE(p.mean_ln_alpha, 0.1);
    EXPECT_DOUBLE_EQ(p.sigma_ln_tmax, 0.5);
    EXPECT_DOUBLE_EQ(p.sigma_ln_alpha, 0.5);
    EXPECT_LE(p.correlation, 1.0);
}

TEST(GflashParameters, RadialMatchesSpecExample)
{
    geo::EffectiveMedium medium;
    medium.atomic_number = 72.5;
    medium.thickness_x0 = 0.69;
    GflashRadialProfile const profile(100, medium, 0.704);
    struct Row
    {
        double tau, core, tail, weight;
    };
    Row const rows[] = {
        {0, 0.061, 2.23, 0.85}, {0.5, 0.095, 0.79, 0.94}, {1, 0.132, 0.54, 0.83},
        {2, 0.215, 0.84, 0.52}, {3, 0.301, 1.52, 0.30},
    };
    for (Row const& row : rows)
    {
        SCOPED_TRACE("tau = " + std::to_string(row.tau));
        RadialShape const s = profile(row.tau);
        EXPECT_NEAR(s.core_radius, row.core, 0.001);
        EXPECT_NEAR(s.tail_radius, row.tail, 0.01);
        EXPECT_NEAR(s.core_probability, row.weight, 0.01);
    }
}

TEST(GflashParameters, RadialClamps)
{
    geo::Calorimeter const lcd;
    for (double energy : {0.1, 2.0, 100.0, 10000.0})
        for (int s = 0; s < lcd.num_sections(); ++s)
        {
            GflashRadialProfile const profile(energy, lcd.section(s).medium, 0.704);
            for (double tau = 0; tau <= 10; tau += 0.05)
            {
                RadialShape const shape = profile(tau);
                ASSERT_GE(shape.core_probability, 0);
                ASSERT_LE(shape.core_probability, 1);
                ASSERT_GT(shape.core_radius, 0);
                ASSERT_GE(shape.tail_radius, shape.core_radius);
            }
        }
}
}  // namespace calo::mc
