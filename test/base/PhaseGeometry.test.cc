// The phase rewrite's geometry on one axis, against the block it replaces
// evaluated by brute force.
#include "calo3dgan/base/PhaseGeometry.hh"

#include <gtest/gtest.h>

namespace calo
{
TEST(PhaseGeometry, ModelABlockTwo)
{
    // Model A's second generator block on x: UpSampling 2, ZeroPadding 2, kernel 6, input 7 -> 13.
    auto const g = phase_geometry(2, 2, 2, 6, 7);
    EXPECT_EQ(g.out_length, 13);
    EXPECT_EQ(g.taps, 4);       // (1 + 5) / 2 + 1
    EXPECT_EQ(g.q_min, -1);     // floor(-2 / 2)
    EXPECT_EQ(g.q_max, 5);      // floor((12 - 2) / 2)
    EXPECT_EQ(g.positions(), 7);
    EXPECT_EQ(g.pad_before(), 1);
    EXPECT_EQ(g.pad_after(), 2);  // 5 + 4 - 7
    EXPECT_EQ(g.crop_first(), 0);
}

TEST(PhaseGeometry, EveryOutputReadsTheInputsOfTheOriginalBlock)
{
    // Output o of upsample -> pad -> conv reads padded upsampled indices
    // o .. o + k - 1, i.e. low-resolution inputs floor((o + t - lo) / s). The
    // rewrite reads taps position(o) .. position(o) + M - 1: they must cover
    // them, at the output's place in the shuffled axis.
    for (int s = 1; s <= 3; ++s)
        for (int lo = 0; lo <= 3; ++lo)
            for (int hi = 0; hi <= 3; ++hi)
                for (int k = 1; k <= 8; ++k)
                    for (int n = 2; n <= 9; ++n)
                    {
                        auto const g = phase_geometry(s, lo, hi, k, n);
                        if (g.out_length < 1)
                            continue;
                        for (int o = 0; o < g.out_length; ++o)
                        {
                            int const q = g.position(o);
                            ASSERT_GE(q, g.q_min);
                            ASSERT_LE(q, g.q_max);
                            ASSERT_EQ(s * q + g.phase(o), o - lo);
                            ASSERT_EQ(g.crop_first() + o, s * (q - g.q_min) + g.phase(o));
                            for (int t = 0; t < k; ++t)
                            {
                                int const u = o + t - lo;  // index into the upsampled input
                                if (u < 0 || u >= s * n)
                                    continue;  // a zero of the padding
                                int const m = floor_div(u, s) - q;
                                ASSERT_GE(m, 0);
                                ASSERT_LT(m, g.taps) << s << " " << lo << " " << hi << " " << k << " " << n;
                            }
                        }
                        // The padded input holds every position and tap the rewrite reads.
                        EXPECT_EQ(g.q_min + g.pad_before(), 0);
                        EXPECT_EQ(g.pad_before() + n + g.pad_after(), g.positions() + g.taps - 1);
                    }
}
}  // namespace calo
