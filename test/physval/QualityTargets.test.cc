// The quality targets on hand-made bins and profiles whose errors are known.
#include "calo3dgan/physval/QualityTargets.hh"

#include <gtest/gtest.h>

#include "ErrorMessage.hh"

namespace calo::physval
{
namespace
{
BinComparison energy_bin(std::string label, double relative_error, std::string skipped = {})
{
    BinComparison b;
    b.bin = {std::move(label), "energy", 0, 1, false};
    b.sampling_fraction_relative_error = relative_error;
    b.skipped = std::move(skipped);
    return b;
}

//! Profiles: x and y a peak in the middle, z a longitudinal shape.
std::array<std::vector<double>, 3> reference_profiles()
{
    return {std::vector<double>{0.01, 1, 10, 1, 0.01}, std::vector<double>{0.01, 1, 10, 1, 0.01},
            std::vector<double>{2, 5, 6, 4, 2, 0.5, 0.1}};
}
}  // namespace

TEST(QualityTargets, CoreCellsHoldTheRequestedEnergy)
{
    // Total 12.02: the peak alone holds 83 %, with its neighbours 99.8 %.
    EXPECT_EQ(core_cells({0.01, 1, 10, 1, 0.01}, 0.95), (std::vector<int>{1, 2, 3}));
    EXPECT_EQ(core_cells({0.01, 1, 10, 1, 0.01}, 0.80), (std::vector<int>{2}));
    // Total 19.6; 95 % is 18.62: cells 2, 1, 3, 0, 4 sum to 19.0.
    EXPECT_EQ(core_cells({2, 5, 6, 4, 2, 0.5, 0.1}, 0.95), (std::vector<int>{0, 1, 2, 3, 4}));
    EXPECT_TRUE(core_cells({0, 0, 0}, 0.95).empty());
}

TEST(QualityTargets, MetWhenEveryNumberIsWithinItsTarget)
{
    MeritResult merit;
    // Mean |error| (0.01 + 0.04 + 0.02) / 3 = 2.33 %; worst 4 %; the skipped bin does not count.
    merit.bins = {energy_bin("10-100 GeV", 0.01), energy_bin("100-300 GeV", -0.04), energy_bin("300-500 GeV", 0.02),
                  energy_bin("500-600 GeV", 0.5, "too few events")};
    auto const reference = reference_profiles();
    auto candidate = reference;
    candidate[0][0] = 0.05;  // far off, but outside the 95 % core: not checked
    candidate[2][2] = 6 * 1.08;
    auto const check = check_quality(merit, reference, candidate);
    EXPECT_NEAR(check.sampling_fraction_mean, 0.07 / 3, 1e-12);
    EXPECT_NEAR(check.sampling_fraction_max, 0.04, 1e-12);
    EXPECT_EQ(check.sampling_fraction_worst_bin, "100-300 GeV");
    EXPECT_NEAR(check.profiles[2].max_relative_error, 0.08, 1e-12);
    EXPECT_EQ(check.profiles[2].worst_cell, 2);
    EXPECT_DOUBLE_EQ(check.profiles[0].max_relative_error, 0.0);
    EXPECT_TRUE(check.met());
    auto const json = to_json(check);
    EXPECT_EQ(json["profiles"]["x"]["core_cells"], nlohmann::json({1, 3}));
    EXPECT_EQ(json["met"], true);
}

TEST(QualityTargets, EachTargetCanFailAlone)
{
    auto const reference = reference_profiles();
    MeritResult merit;
    // One bin at 6 %: the mean (3 %) passes, the per-bin target (5 %) does not.
    merit.bins = {energy_bin("a", 0.0), energy_bin("b", 0.06)};
    auto check = check_quality(merit, reference, reference);
    EXPECT_FALSE(check.sampling_fraction_met);
    EXPECT_TRUE(check.profiles_met);
    EXPECT_FALSE(check.met());
    // Every bin at 4 %: within 5 % each, but the mean is above 3 %.
    merit.bins = {energy_bin("a", 0.04), energy_bin("b", -0.04)};
    EXPECT_FALSE(check_quality(merit, reference, reference).sampling_fraction_met);
    // A core layer 11 % low.
    merit.bins = {energy_bin("a", 0.0)};
    auto candidate = reference;
    candidate[2][4] = 2 * 0.89;
    check = check_quality(merit, reference, candidate);
    EXPECT_TRUE(check.sampling_fraction_met);
    EXPECT_FALSE(check.profiles_met);
    EXPECT_EQ(check.profiles[2].worst_cell, 4);
}

TEST(QualityTargets, NoUsableEnergyBinIsAnError)
{
    MeritResult merit;
    merit.bins = {energy_bin("a", 0.0, "too few events")};
    auto const msg = test::error_message([&] { check_quality(merit, reference_profiles(), reference_profiles()); });
    EXPECT_NE(msg.find("no energy bin had enough events"), std::string::npos) << msg;
}
}  // namespace calo::physval
