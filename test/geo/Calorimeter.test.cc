#include "calo3dgan/geo/Calorimeter.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::geo
{
TEST(Calorimeter, LcdPresetLayout)
{
    Calorimeter const calo(CalorimeterSpec::lcd());
    ASSERT_EQ(calo.num_layers(), 25);
    ASSERT_EQ(calo.num_sections(), 2);
    // Pitch 2.4 + 0.5 + 1.5 = 4.4 mm and 4.8 + 0.5 + 1.5 = 6.8 mm, the values
    // read off the LCD converter's per-layer cell counts (docs/mc.md, "Layer pitch").
    EXPECT_NEAR(calo.layer(0).back_mm - calo.layer(0).front_mm, 4.4, 1e-12);
    EXPECT_NEAR(calo.layer(24).back_mm - calo.layer(24).front_mm, 6.8, 1e-12);
    EXPECT_NEAR(calo.depth_mm(), 17 * 4.4 + 8 * 6.8, 1e-9);
    // docs/mc.md, "Effective medium": 22.85 X0 in total for preset "lcd".
    EXPECT_NEAR(calo.depth_x0(), 22.85, 0.02);
    EXPECT_EQ(calo.section(1).first_layer, 17);
    EXPECT_EQ(calo.layer(16).section, 0);
    EXPECT_EQ(calo.layer(17).section, 1);
    EXPECT_NEAR(calo.section(0).medium.moliere_radius_mm, 15.7, 0.05);
    EXPECT_NEAR(calo.cell_size_mm(), 5.1, 0);
}

TEST(Calorimeter, CompactPreset)
{
    Calorimeter const calo(CalorimeterSpec::preset("compact"));
    EXPECT_NEAR(calo.depth_mm(), 17 * 2.9 + 8 * 5.3, 1e-9);
    EXPECT_NEAR(calo.depth_x0(), 22.7, 0.05);
    EXPECT_NEAR(calo.section(0).medium.moliere_radius_mm, 10.8, 0.05);
}

TEST(Calorimeter, MipSamplingFractions)
{
    // docs/mc.md, "Sampling fraction": MIP fraction 0.194/(5.30 + 0.194 +
    // 0.27) = 3.4% (thin, preset "lcd"), 3.5% without services, 1.8% thick.
    // Si MIP loss 0.194 MeV.
    Calorimeter const lcd(CalorimeterSpec::lcd());
    EXPECT_NEAR(lcd.layer(0).silicon_mip_mev, 0.194, 0.0005);
    EXPECT_NEAR(lcd.layer(0).mip_loss_mev, 5.30 + 0.194 + 0.27, 0.01);
    EXPECT_NEAR(lcd.layer(0).mip_sampling_fraction(), 0.0336, 0.0002);
    EXPECT_NEAR(lcd.layer(24).mip_sampling_fraction(), 0.0175, 0.0003);
    Calorimeter const compact(CalorimeterSpec::compact());
    EXPECT_NEAR(compact.layer(0).mip_sampling_fraction(), 0.0353, 0.0002);
}

TEST(Calorimeter, DepthLookups)
{
    Calorimeter const calo;
    EXPECT_EQ(calo.layer_at_depth_mm(-1e-9), -1);
    EXPECT_EQ(calo.layer_at_depth_mm(0), 0);
    EXPECT_EQ(calo.layer_at_depth_mm(4.39), 0);
    EXPECT_EQ(calo.layer_at_depth_mm(4.41), 1);
    EXPECT_EQ(calo.layer_at_depth_mm(17 * 4.4 - 1e-9), 16);
    EXPECT_EQ(calo.layer_at_depth_mm(17 * 4.4 + 1e-9), 17);
    EXPECT_EQ(calo.layer_at_depth_mm(calo.depth_mm() - 1e-9), 24);
    EXPECT_EQ(calo.layer_at_depth_mm(calo.depth_mm()), -1);
    for (int i = 0; i < calo.num_layers(); ++i)
    {
        Layer const& layer = calo.layer(i);
        EXPECT_EQ(calo.layer_at_depth_mm(0.5 * (layer.front_mm + layer.back_mm)), i);
        // t_stack^-1 maps layer boundaries in X0 onto those in mm.
        EXPECT_NEAR(calo.depth_mm_at_x0(layer.front_x0), layer.front_mm, 1e-9);
        EXPECT_NEAR(calo.depth_mm_at_x0(layer.back_x0), layer.back_mm, 1e-9);
    }
    // Behind the stack the last section's slope continues.
    Section const& back = calo.section(1);
    EXPECT_NEAR(calo.depth_mm_at_x0(calo.depth_x0() + 1), calo.depth_mm() + back.medium.radiation_length_mm, 1e-9);
    EXPECT_EQ(calo.section_at_depth_mm(-5), 0);
    EXPECT_EQ(calo.section_at_depth_mm(1e4), 1);
}

TEST(Calorimeter, RejectsBadSpecs)
{
    EXPECT_THROW(CalorimeterSpec::preset("lcd2"), InputError);
    CalorimeterSpec spec;
    spec.services_mm = -1;
    EXPECT_THROW(Calorimeter{spec}, InputError);
    spec = {};
    spec.thin_layers = 0;
    spec.thick_layers = 0;
    EXPECT_THROW(Calorimeter{spec}, InputError);
    spec = {};
    spec.silicon_mm = 0;
    EXPECT_THROW(Calorimeter{spec}, InputError);
    spec = {};
    spec.cell_size_mm = 0;
    EXPECT_THROW(Calorimeter{spec}, InputError);
}

TEST(Calorimeter, SingleSection)
{
    CalorimeterSpec spec;
    spec.thick_layers = 0;
    Calorimeter const calo(spec);
    EXPECT_EQ(calo.num_layers(), 17);
    EXPECT_EQ(calo.num_sections(), 1);
    EXPECT_EQ(calo.layer_at_depth_mm(calo.depth_mm() - 1e-9), 16);
}
}  // namespace calo::geo
