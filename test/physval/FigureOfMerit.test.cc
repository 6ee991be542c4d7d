// The figure of merit on samples whose differences are known exactly.
#include "calo3dgan/physval/FigureOfMerit.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
namespace
{
//! `n` events at 10 and 20 GeV, alternating, each with a few cells whose
//! pattern depends on the event index.
ShowerSample pattern_sample(int n, float scale)
{
    ShowerSample s;
    s.shape = {3, 3, 4};
    s.cells_gev.assign(n * s.shape.size(), 0.0f);
    for (int e = 0; e < n; ++e)
    {
        float* image = s.cells_gev.data() + e * s.shape.size();
        image[s.shape.index(1, 1, e % 4)] = 0.1f * scale;
        image[s.shape.index(e % 3, 1, 1)] += 0.05f * scale;
        image[s.shape.index(1, (e + 1) % 3, 2)] += 0.02f * scale;
        s.energy_gev.push_back(e % 2 ? 20.0f : 10.0f);
    }
    return s;
}

std::vector<ConditionBin> two_energy_bins()
{
    return {{"10 GeV", "energy", 5, 15, false}, {"20 GeV", "energy", 15, 25, true}};
}

TEST(FigureOfMerit, IdenticalSamplesScoreZero)
{
    auto const t = compute_features(pattern_sample(24, 1.0f), {});
    MeritResult const r = evaluate_merit(t, t, two_energy_bins());
    EXPECT_EQ(r.used_energy_bins, 2u);
    EXPECT_DOUBLE_EQ(r.figure_of_merit, 0.0);
    EXPECT_DOUBLE_EQ(r.sampling_fraction_mean_relative_error, 0.0);
}

TEST(FigureOfMerit, EnergyScaleShowsInSamplingFractionAndShapeOnly)
{
    // Every cell x 1.1: moments are unchanged, each mean profile and the
    // sampling fraction grow by 10 %.
    auto const ref = compute_features(pattern_sample(24, 1.0f), {});
    auto const cand = compute_features(pattern_sample(24, 1.1f), {});
    MeritResult const r = evaluate_merit(ref, cand, two_energy_bins());
    EXPECT_NEAR(r.average.moment, 0.0, 1e-6);
    EXPECT_NEAR(r.average.shape, 0.1, 1e-6);
    EXPECT_NEAR(r.average.sampling_fraction, 0.1, 1e-6);
    EXPECT_NEAR(r.sampling_fraction_mean_relative_error, 0.1, 1e-6);
    EXPECT_NEAR(r.figure_of_merit, 0.2, 1e-6);
    EXPECT_FALSE(r.average.angle.has_value());
    ASSERT_EQ(r.bins.size(), 2u);
    EXPECT_NEAR(r.bins[0].sampling_fraction_relative_error, 0.1, 1e-6);
}

TEST(FigureOfMerit, MomentTermCountedOnce)
{
    // Candidate: the same events with the 0.1 GeV cell one layer deeper
    // (layer (e%4)+1, clamped): only z moments and the z profile change.
    ShowerSample ref = pattern_sample(8, 1.0f);
    ShowerSample cand = ref;
    for (int e = 0; e < 8; ++e)
    {
        float* image = cand.cells_gev.data() + e * cand.shape.size();
        int const z = e % 4;
        if (z < 3)
        {
            image[cand.shape.index(1, 1, z + 1)] += 0.1f;
            image[cand.shape.index(1, 1, z)] -= 0.1f;
        }
    }
    auto const rt = compute_features(ref, {});
    auto const ct = compute_features(cand, {});
    MeritResult const r = evaluate_merit(rt, ct, two_energy_bins(), {1});
    // By hand from the bin means of M1z and M2z (x and y terms vanish).
    double expected = 0;
    for (auto const& bin : r.bins)
    {
        double const d1 = std::abs(bin.reference.moment1[2] - bin.candidate.moment1[2]) / bin.reference.moment1[2];
        double const d2 = std::abs(bin.reference.moment2[2] - bin.candidate.moment2[2]) / bin.reference.moment2[2];
        // x and y moments change only by float rounding of the edited cells.
        EXPECT_NEAR(bin.terms.moment, (d1 + d2) / 6.0, 1e-6);
        expected += (d1 + d2) / 6.0 / 2.0;
    }
    // By hand from the z profiles: 10 GeV bin (events 0, 2, 4, 6) M1z 19/17 ->
    // 29/17 and M2z 100/289 -> 130/289, term (10/19 + 3/10)/6; 20 GeV bin
    // M1z 29/17 -> 2, M2z 130/289 -> 145/289, term (5/29 + 3/26)/6.
    EXPECT_NEAR(expected, ((10.0 / 19 + 3.0 / 10) / 6 + (5.0 / 29 + 3.0 / 26) / 6) / 2, 1e-6);
    EXPECT_NEAR(r.average.moment, expected, 1e-6);
}

TEST(FigureOfMerit, SparseBinsAreSkippedWithAReason)
{
    auto const ref = compute_features(pattern_sample(24, 1.0f), {});
    std::vector<ConditionBin> bins = two_energy_bins();
    bins.push_back({"300 GeV", "energy", 295, 305, true});
    MeritResult const r = evaluate_merit(ref, ref, bins);
    ASSERT_EQ(r.bins.size(), 3u);
    EXPECT_EQ(r.used_energy_bins, 2u);
    EXPECT_NE(r.bins[2].skipped.find("fewer than 10 events"), std::string::npos);
    EXPECT_THROW(evaluate_merit(ref, ref, {{"300 GeV", "energy", 295, 305, true}}), InputError);
}
}  // namespace
}  // namespace calo::physval
