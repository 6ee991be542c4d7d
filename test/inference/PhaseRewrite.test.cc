// Geometry of the phase-stacked rewrite of upsampling convolutions.
#include "calo3dgan/inference/detail/PhaseRewrite.hh"

#include <gtest/gtest.h>

#include "ReferenceGenerator.hh"

namespace calo::test
{
using inference::detail::make_phase_axis;
using inference::detail::rewrite_block;

// Taps per phase kernel, M = floor((s - 1 + k - 1) / s) + 1 (docs/inference.md):
// model A's second convolution (upsampling 2x2x2, kernel 6x5x8) needs 4x3x5 = 60
// taps instead of 240, its third (2x2x3, kernel 3x3x8) 2x2x4 = 16 instead of 72.
TEST(PhaseRewrite, tap_counts_of_model_a)
{
    EXPECT_EQ(make_phase_axis(2, 2, 2, 6, 7).taps(), 4);
    EXPECT_EQ(make_phase_axis(2, 2, 2, 5, 7).taps(), 3);
    EXPECT_EQ(make_phase_axis(2, 0, 0, 8, 8).taps(), 5);
    EXPECT_EQ(make_phase_axis(2, 1, 1, 3, 13).taps(), 2);
    EXPECT_EQ(make_phase_axis(3, 3, 3, 8, 9).taps(), 4);
    // Output lengths of the original blocks: 13 x 14 x 9, then 26 x 26 x 26.
    EXPECT_EQ(make_phase_axis(2, 2, 2, 6, 7).geometry.out_length, 13);
    EXPECT_EQ(make_phase_axis(2, 2, 2, 5, 7).geometry.out_length, 14);
    EXPECT_EQ(make_phase_axis(2, 0, 0, 8, 8).geometry.out_length, 9);
    EXPECT_EQ(make_phase_axis(3, 3, 3, 8, 9).geometry.out_length, 26);
}

// Every output index maps to a phase in [0, s) and a low-resolution position
// inside the stacked convolution's output, and the map is one to one.
TEST(PhaseRewrite, every_output_has_one_phase_and_position)
{
    for (int s : {1, 2, 3, 6})
        for (int pad_before : {0, 1, 2, 3, 7})
            for (int pad_after : {0, 1, 4})
                for (int k : {1, 2, 3, 5, 8})
                {
                    int const n = 5;
                    auto const axis = make_phase_axis(s, pad_before, pad_after, k, n);
                    if (axis.geometry.out_length <= 0)
                        continue;
                    std::vector<int> seen(static_cast<std::size_t>(axis.positions() * s), 0);
                    for (int o = 0; o < axis.geometry.out_length; ++o)
                    {
                        int const q = axis.position(o), r = axis.phase(o);
                        ASSERT_GE(q, 0);
                        ASSERT_LT(q, axis.positions());
                        ASSERT_GE(r, 0);
                        ASSERT_LT(r, s);
                        ++seen[q * s + r];
                    }
                    for (int count : seen) ASSERT_LE(count, 1);
                    // The stacked convolution reads inside its padded input.
                    ASSERT_GE(axis.pad_before(), 0);
                    ASSERT_GE(axis.pad_after, 0);
                    ASSERT_GE(n + axis.pad_before() + axis.pad_after - axis.taps() + 1, axis.positions());
                }
}

// The phase kernels sum to the original kernel: each original tap lands in
// exactly one phase kernel of every phase.
TEST(PhaseRewrite, phase_kernels_partition_the_kernel)
{
    Rng rng(3);
    auto const block =
        random_block({2, 2, 3}, {2, 1, 1}, {1, 2, 0}, {3, 2, 4}, 2, 3, inference::Activation::relu, false, rng);
    auto const conv = rewrite_block(block, {3, 4, 2});
    ASSERT_EQ(conv.phases, 12);
    auto const taps = conv.taps();
    std::size_t const per_kernel = static_cast<std::size_t>(taps[0]) * taps[1] * taps[2];
    for (int phase = 0; phase < conv.phases; ++phase)
        for (int c = 0; c < 3; ++c)
            for (int i = 0; i < 2; ++i)
            {
                double phase_sum = 0, original_sum = 0;
                for (std::size_t m = 0; m < per_kernel; ++m)
                    phase_sum += conv.weight[((phase * 3 + c) * 2 + i) * per_kernel + m];
                for (int t = 0; t < 3 * 2 * 4; ++t) original_sum += block.weight[(c * 2 + i) * 24 + t];
                EXPECT_NEAR(phase_sum, original_sum, 1e-5);
            }
}
}  // namespace calo::test
