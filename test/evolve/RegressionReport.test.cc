#include "calo3dgan/evolve/RegressionReport.hh"

#include <gtest/gtest.h>

#include <cmath>

namespace calo::evolve
{
TEST(RegressionReport, MeanRelativeErrorOverallAndPerEqualWidthBin)
{
    // Truth 10..40 GeV in two bins [10, 25) and [25, 40].
    std::vector<float> const truth{10, 20, 30, 40};
    std::vector<float> const estimate{11, 18, 30, 44};
    // |d|/E: 0.1, 0.1, 0, 0.1.
    EXPECT_NEAR(mean_relative_error(estimate, truth), 0.075, 1e-12);
    auto const bins = relative_error_per_bin(estimate, truth, 2);
    ASSERT_EQ(bins.size(), 2u);
    EXPECT_DOUBLE_EQ(bins[0].low_gev, 10);
    EXPECT_DOUBLE_EQ(bins[0].high_gev, 25);
    EXPECT_EQ(bins[0].events, 2u);
    EXPECT_NEAR(bins[0].relative_error, 0.1, 1e-12);
    EXPECT_NEAR(bins[0].mean_estimate_gev, 14.5, 1e-12);
    EXPECT_EQ(bins[1].events, 2u);  // 40 GeV falls in the last bin
    EXPECT_NEAR(bins[1].relative_error, 0.05, 1e-12);
    EXPECT_NEAR(bins[1].mean_true_gev, 35, 1e-12);

    auto const empty = relative_error_per_bin(estimate, truth, 5);
    EXPECT_EQ(empty[2].events, 0u);  // [22, 28): no event, kept as NaN
    EXPECT_TRUE(std::isnan(empty[2].relative_error));

    auto const report = regression_report(estimate, truth, 2);
    EXPECT_NEAR(report["test_relative_error"].get<double>(), 0.075, 1e-12);
    EXPECT_EQ(report["energy_bins"].size(), 2u);
    EXPECT_EQ(report["estimate"]["true_gev"].size(), 4u);
}
}  // namespace calo::evolve
