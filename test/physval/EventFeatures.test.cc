// High-level features of hand-made showers.
#include "calo3dgan/physval/EventFeatures.hh"

#include <gtest/gtest.h>

#include <cmath>

namespace calo::physval
{
namespace
{
//! One event in a 4x2x3 window: 0.03 GeV at (1,0,0), 0.01 at (3,0,0),
//! 0.0001 at (2,1,2); primary 2 GeV.
ShowerSample tiny_sample()
{
    ShowerSample s;
    s.shape = {4, 2, 3};
    s.cells_gev.assign(s.shape.size(), 0.0f);
    s.cells_gev[s.shape.index(1, 0, 0)] = 0.03f;
    s.cells_gev[s.shape.index(3, 0, 0)] = 0.01f;
    s.cells_gev[s.shape.index(2, 1, 2)] = 0.0001f;
    s.energy_gev = {2.0f};
    return s;
}

TEST(EventFeatures, HandComputedValues)
{
    FeatureOptions options;
    options.threads = 1;
    FeatureTable const t = compute_features(tiny_sample(), options);
    ASSERT_EQ(t.num_events, 1u);
    auto v = [&](char const* name) { return static_cast<double>(t.column(name)[0]); };
    double const total = 0.0401;
    EXPECT_NEAR(v("total_energy_gev"), total, 1e-7);
    EXPECT_NEAR(v("sampling_fraction"), total / 2, 1e-7);
    EXPECT_NEAR(v("log10_incident_energy"), std::log10(2.0), 1e-7);
    // x: P = (0, 0.03, 0.0001, 0.01): M1 = (0.03 + 0.0002 + 0.03)/0.0401.
    double const m1x = (0.03 * 1 + 0.0001 * 2 + 0.01 * 3) / total;
    EXPECT_NEAR(v("moment1_x"), m1x, 1e-5);
    double const m2x = (0.03 * std::pow(1 - m1x, 2) + 0.0001 * std::pow(2 - m1x, 2) + 0.01 * std::pow(3 - m1x, 2)) / total;
    EXPECT_NEAR(v("moment2_x"), m2x, 1e-5);
    EXPECT_NEAR(v("moment1_z"), 0.0002 / total, 1e-6);
    EXPECT_EQ(v("max_position_x"), 1);
    EXPECT_EQ(v("max_position_y"), 0);
    EXPECT_EQ(v("max_position_z"), 0);
    // Hit threshold 3e-4 GeV: the 0.1 MeV cell does not count.
    EXPECT_EQ(v("hits"), 2);
    // nz = 3: thirds are the single layers.
    EXPECT_NEAR(v("energy_fraction_first_third"), 0.04 / total, 1e-6);
    EXPECT_NEAR(v("energy_fraction_second_third"), 0.0, 1e-9);
    EXPECT_NEAR(v("energy_fraction_last_third"), 0.0001 / total, 1e-6);
    // Layer 0: cells at x = 1 (0.03) and x = 3 (0.01): centre 1.5, width sqrt(0.75).
    EXPECT_NEAR(v("layer_energy_0"), 0.04, 1e-7);
    EXPECT_NEAR(v("layer_centre_x_0"), 1.5, 1e-6);
    EXPECT_NEAR(v("layer_width_x_0"), std::sqrt(0.75), 1e-5);
    EXPECT_NEAR(v("layer_centre_y_0"), 0.0, 1e-9);
    EXPECT_NEAR(v("layer_width_y_0"), 0.0, 1e-6);
    // Empty layer: centre and width 0, as the challenge's code does.
    EXPECT_EQ(v("layer_centre_x_1"), 0);
    EXPECT_EQ(v("layer_width_x_1"), 0);
    // Readout threshold 15.15 keV: all three cells are above; layer 0 has 8 cells.
    EXPECT_NEAR(v("layer_sparsity_0"), 2.0 / 8, 1e-7);
    EXPECT_NEAR(v("layer_sparsity_2"), 1.0 / 8, 1e-7);
    EXPECT_EQ(t.find("theta_deg"), -1);
    // Projections are stored per event: x, then y, then z.
    EXPECT_NEAR(t.projection(0)[1], 0.03, 1e-7);
    EXPECT_NEAR(t.projection(0)[4 + 1], 0.0001, 1e-9);
    EXPECT_NEAR(t.projection(0)[4 + 2 + 2], 0.0001, 1e-9);
}

TEST(EventFeatures, AnglesOnlyWithTheta)
{
    ShowerSample s = tiny_sample();
    s.theta_rad = {static_cast<float>(M_PI / 3)};
    FeatureTable const t = compute_features(s, {});
    EXPECT_NEAR(t.column("theta_deg")[0], 60.0, 1e-4);
    // By hand (geo/MeasuredAngle.hh, cell centres at index + 0.5): event
    // barycentre (2.00125, 0.50249, 0.50499); layer 0: (2.0, 0.5),
    // d = 0.005141, m = -0.48507, flipped (0.5 < z̄) to +0.48507; layer 2:
    // (2.5, 1.5), d = 2.05641, m = 0.48507. Both give π/2 - atan(0.48507) =
    // 1.11916 rad, so the (z + 0.5)-weighted mean is 64.1233 deg.
    EXPECT_NEAR(t.column("measured_angle_deg")[0], 64.1233, 1e-3);
}

TEST(EventFeatures, CellSpectrumAndSparsity)
{
    CellStatistics const c = cell_statistics(tiny_sample(), 10);
    double counted = 0;
    for (double n : c.spectrum)
        counted += n;
    EXPECT_EQ(counted, 3);
    // Fraction of the 24 cells above 10^-4 GeV: 0.03 and 0.01 (0.0001 is not above).
    ASSERT_EQ(c.sparsity_log10_thresholds[9], -4);
    EXPECT_NEAR(c.sparsity[9], 2.0 / 24, 1e-12);
    EXPECT_NEAR(c.sparsity[0], 3.0 / 24, 1e-12);
}
}  // namespace
}  // namespace calo::physval
