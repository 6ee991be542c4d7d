#include "calo3dgan/physval/Roc.hh"

#include <gtest/gtest.h>

namespace calo::physval
{
namespace
{
TEST(Roc, AucWithTiesAndExtremes)
{
    EXPECT_DOUBLE_EQ(roc_auc({0.1, 0.2, 0.8, 0.9}, {0, 0, 1, 1}), 1.0);
    EXPECT_DOUBLE_EQ(roc_auc({0.9, 0.8, 0.2, 0.1}, {0, 0, 1, 1}), 0.0);
    // Pairs (pos, neg): (0.5 vs 0.5) tie = 1/2, (0.5 vs 0.2) = 1, (0.3 vs 0.5) = 0,
    // (0.3 vs 0.2) = 1: AUC = 2.5 / 4.
    EXPECT_DOUBLE_EQ(roc_auc({0.5, 0.3, 0.5, 0.2}, {1, 1, 0, 0}), 0.625);
    EXPECT_DOUBLE_EQ(roc_auc({0.4, 0.4, 0.4, 0.4}, {1, 0, 1, 0}), 0.5);
}

TEST(Roc, CurveRunsFromOriginToOne)
{
    RocCurve const c = roc_curve({0.1, 0.4, 0.35, 0.8}, {0, 0, 1, 1});
    ASSERT_EQ(c.false_positive_rate.size(), 5u);
    EXPECT_EQ(c.false_positive_rate.front(), 0);
    EXPECT_EQ(c.true_positive_rate.back(), 1);
    EXPECT_EQ(c.false_positive_rate.back(), 1);
    // Threshold above 0.8: (0, 0.5); above 0.4: (0.5, 0.5); above 0.35: (0.5, 1).
    EXPECT_EQ(c.true_positive_rate[1], 0.5);
    EXPECT_EQ(c.false_positive_rate[2], 0.5);
    EXPECT_EQ(c.true_positive_rate[3], 1.0);
}

TEST(Roc, IsotonicCalibrationPoolsViolators)
{
    // Labels by score: 0, 1, 0, 1 -> blocks {0}, {1, 0} pooled to 0.5, {1}.
    IsotonicCalibration const calibrate({1, 2, 3, 4}, {0, 1, 0, 1});
    EXPECT_DOUBLE_EQ(calibrate(0.0), 0.0);
    EXPECT_DOUBLE_EQ(calibrate(1.0), 0.0);
    EXPECT_DOUBLE_EQ(calibrate(2.5), 0.5);
    EXPECT_DOUBLE_EQ(calibrate(1.5), 0.25);
    EXPECT_DOUBLE_EQ(calibrate(5.0), 1.0);
}
}  // namespace
}  // namespace calo::physval
