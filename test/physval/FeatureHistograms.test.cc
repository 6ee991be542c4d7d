#include "calo3dgan/physval/FeatureHistograms.hh"

#include <gtest/gtest.h>

namespace calo::physval
{
namespace
{
TEST(SeparationPower, IdenticalDisjointAndHandComputed)
{
    EXPECT_DOUBLE_EQ(separation_power({1, 2, 3}, {2, 4, 6}), 0.0);
    EXPECT_DOUBLE_EQ(separation_power({5, 0}, {0, 7}), 1.0);
    // p = (0.5, 0.5), q = (0.25, 0.75): ½[(0.25)²/0.75 + (0.25)²/1.25] = 1/15.
    EXPECT_NEAR(separation_power({1, 1}, {1, 3}), 1.0 / 15, 1e-12);
}

TEST(FeatureHistograms, ClampsTailsIntoEndBins)
{
    std::vector<float> ref;
    for (int i = 0; i < 1000; ++i)
        ref.push_back(static_cast<float>(i) / 999.0f);
    std::vector<float> cand = ref;
    cand.push_back(50.0f);
    cand.push_back(-50.0f);
    HistogramPair const h = histogram_pair(ref, cand, 10, false);
    ASSERT_EQ(h.edges.size(), 11u);
    double ref_sum = 0, cand_sum = 0;
    for (std::size_t b = 0; b < h.reference.size(); ++b)
    {
        ref_sum += h.reference[b];
        cand_sum += h.candidate[b];
    }
    EXPECT_EQ(ref_sum, 1000);
    EXPECT_EQ(cand_sum, 1002);
    EXPECT_EQ(h.candidate.front(), h.reference.front() + 1);
    EXPECT_EQ(h.candidate.back(), h.reference.back() + 1);
}

TEST(FeatureHistograms, IntegerFeaturesGetIntegerBins)
{
    std::vector<float> ref{0, 1, 1, 2, 2, 2, 3};
    HistogramPair const h = histogram_pair(ref, ref, 50, true);
    EXPECT_DOUBLE_EQ(h.edges.front(), -0.5);
    EXPECT_EQ(h.reference, (std::vector<double>{1, 2, 3, 1}));
    EXPECT_EQ(h.separation_power, 0.0);
}
}  // namespace
}  // namespace calo::physval
