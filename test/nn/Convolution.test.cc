// The training convolutions: the backward formulations and the phase-stacked
// upsampling convolution against libtorch's own convolution and autograd.
#include "calo3dgan/nn/detail/Convolution.hh"

#include <gtest/gtest.h>

#include "CpuBf16Autocast.hh"
#include "TensorCompare.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/nn/detail/Layers.hh"
#include "calo3dgan/nn/detail/PhaseConvolution.hh"

namespace calo::nn::detail
{
namespace
{
// fp32 results differ from libtorch's only by the order of the sums: a sum of
// m terms in fp32 has a relative error of order sqrt(m) * 6e-8 (random
// rounding); m is at most ~5e4 here (16 events x 25^3 positions / 5^3 taps x
// channels), so 1e-5 relative L2 is a generous but failing-on-any-real-bug
// bound (a wrong tap or phase gives errors of order 1).
constexpr double kFp32Tolerance = 1e-5;

using test::relative_error;

struct Gradients
{
    torch::Tensor y, dx, dw, db;
};

//! y = f(x, w, b) and the gradients of sum(y * g) for a fixed random g.
template <class F>
Gradients run(F f, torch::Tensor x, torch::Tensor w, torch::Tensor b, torch::Tensor const& g)
{
    x = x.detach().requires_grad_(true);
    w = w.detach().requires_grad_(true);
    if (b.defined())
        b = b.detach().requires_grad_(true);
    Gradients out;
    out.y = f(x, w, b);
    (out.y.to(torch::kFloat) * g).sum().backward();
    out.dx = x.grad();
    out.dw = w.grad();
    if (b.defined())
        out.db = b.grad();
    return out;
}

void expect_close(Gradients const& got, Gradients const& want, double tolerance)
{
    EXPECT_LT(relative_error(got.y, want.y), tolerance);
    EXPECT_LT(relative_error(got.dx, want.dx), tolerance);
    EXPECT_LT(relative_error(got.dw, want.dw), tolerance);
    if (want.db.defined())
        EXPECT_LT(relative_error(got.db, want.db), tolerance);
}

struct Shape
{
    std::int64_t in, out;
    Int3 kernel, padding;
    std::int64_t size;
};

//! Random inputs of shape `s` and libtorch's convolution with its gradients.
struct LibtorchCase
{
    torch::Tensor x, w, b, g;
    Gradients want;
};

LibtorchCase libtorch_case(Shape const& s, std::int64_t batch)
{
    LibtorchCase c;
    c.x = torch::randn({batch, s.in, s.size, s.size + 1, s.size - 1});
    c.w = torch::randn({s.out, s.in, s.kernel.x, s.kernel.y, s.kernel.z}) * 0.1;
    c.b = torch::randn({s.out});
    auto const reference = [&](auto x, auto w, auto b) {
        return torch::conv3d(x, w, b, 1, {s.padding.x, s.padding.y, s.padding.z});
    };
    c.g = torch::randn_like(reference(c.x, c.w, c.b));
    c.want = run(reference, c.x, c.w, c.b, c.g);
    return c;
}

TEST(Convolution, EveryBackwardFormulationMatchesLibtorch)
{
    torch::manual_seed(3);
    for (auto const& s : {Shape{1, 8, {5, 5, 5}, {2, 2, 2}, 9}, Shape{1, 3, {3, 4, 2}, {1, 0, 1}, 7},
                          Shape{1, 2, {6, 1, 3}, {2, 0, 2}, 8}, Shape{8, 8, {5, 5, 5}, {1, 1, 1}, 8},
                          Shape{6, 4, {3, 2, 4}, {0, 1, 2}, 7}, Shape{16, 3, {2, 2, 2}, {0, 0, 0}, 6}})
    {
        auto const c = libtorch_case(s, 3);
        // data: 0 oneDNN, 1 as a forward convolution, 2 as a forward
        // convolution by phases; weights: 0 oneDNN, 1 as a forward
        // convolution, 2 oneDNN on the input padded first.
        for (int data : {0, 1, 2})
        {
            for (int weights : {0, 1, 2})
            {
                SCOPED_TRACE(std::to_string(s.in) + "->" + std::to_string(s.out) + " data " + std::to_string(data) +
                             " weights " + std::to_string(weights));
                ConvolutionFormulation formulation;
                formulation.data_as_forward = data >= 1;
                formulation.data_as_forward_by_phases = data == 2;
                formulation.weights_as_forward = weights == 1;
                formulation.weights_padded_first = weights == 2;
                auto const got =
                    run([&](auto x, auto w, auto b) { return convolution3d(x, w, b, s.padding, formulation); }, c.x,
                        c.w, c.b, c.g);
                expect_close(got, c.want, kFp32Tolerance);
            }
        }
    }
}

TEST(Convolution, ForwardByPhasesMatchesLibtorch)
{
    // The discriminator's second layer (32 -> 8, 5^3, padding 2), an even
    // output length along z (no padding there), an even kernel length, and
    // fewer than 8 outputs (model B's generator: 8 -> 6 with kernel 4x4x6,
    // and its last layer, 6 -> 1 with 2^3).
    torch::manual_seed(5);
    for (auto const& s : {Shape{32, 8, {5, 5, 5}, {2, 2, 2}, 9}, Shape{16, 8, {5, 3, 4}, {0, 1, 2}, 10},
                          Shape{20, 8, {4, 5, 5}, {1, 2, 0}, 10}, Shape{8, 6, {4, 4, 6}, {2, 2, 1}, 9},
                          Shape{6, 1, {2, 2, 2}, {0, 0, 0}, 8}})
    {
        SCOPED_TRACE(std::to_string(s.in) + "->" + std::to_string(s.out) + " kernel z " + std::to_string(s.kernel.x) +
                     " padding z " + std::to_string(s.padding.x));
        auto const c = libtorch_case(s, 2);
        ConvolutionFormulation formulation;
        formulation.forward_by_phases = true;
        auto const by_phases = [&](auto x, auto w, auto b) { return convolution3d(x, w, b, s.padding, formulation); };
        auto const got = run(by_phases, c.x, c.w, c.b, c.g);
        ASSERT_EQ(got.y.sizes(), c.want.y.sizes());
        expect_close(got, c.want, kFp32Tolerance);
        // Under bf16 autocast: the same rounding bound as a plain bf16
        // convolution (Bf16AutocastKeepsFp32Gradients below).
        auto const got_bf16 = [&]
        {
            test::CpuBf16Autocast autocast;
            return run(by_phases, c.x, c.w, c.b, c.g);
        }();
        EXPECT_EQ(got_bf16.y.scalar_type(), torch::kBFloat16);
        // dL/db is the sum of the bf16-rounded dL/dy whatever the forward
        // formulation; with one output channel it is a single sum of values
        // of random sign, whose relative rounding error has no useful bound,
        // so it is compared in fp32 (above) only.
        auto want_without_bias = c.want;
        want_without_bias.db = torch::Tensor();
        expect_close(got_bf16, want_without_bias, 2e-2);
    }
}

TEST(Convolution, WeightGradientOverALargeBatchGoesInChunks)
{
    // Batches above 16 are summed chunk by chunk (16 + 16 + 5 here).
    torch::manual_seed(4);
    auto const x = torch::randn({37, 6, 7, 8, 6});
    auto const w = torch::randn({5, 6, 3, 3, 3}) * 0.1;
    auto const b = torch::randn({5});
    auto const reference = [&](auto x, auto w, auto b) { return torch::conv3d(x, w, b, 1, {1, 1, 1}); };
    auto const g = torch::randn_like(reference(x, w, b));
    ConvolutionFormulation formulation;
    formulation.weights_as_forward = true;
    auto const got = run(
        [&](auto x, auto w, auto b) {
            return convolution3d(x, w, b, {1, 1, 1}, formulation);
        },
        x, w, b, g);
    expect_close(got, run(reference, x, w, b, g), kFp32Tolerance);
}

TEST(Convolution, InputWithoutGradientAndNoBias)
{
    // The discriminator's steps on real showers: no gradient for the images.
    auto const x = torch::randn({2, 8, 6, 6, 6});
    auto const w = torch::randn({8, 8, 3, 3, 3}).requires_grad_(true);
    auto const y = convolution3d(x, w, torch::Tensor(), {1, 1, 1});
    y.sum().backward();
    ASSERT_TRUE(w.grad().defined());
    auto const w2 = w.detach().clone().requires_grad_(true);
    torch::conv3d(x, w2, {}, 1, 1).sum().backward();
    EXPECT_LT(relative_error(w.grad(), w2.grad()), kFp32Tolerance);
}

TEST(Convolution, Bf16AutocastKeepsFp32Gradients)
{
    torch::manual_seed(4);
    auto const x = torch::randn({4, 8, 9, 9, 9});
    auto const w = torch::randn({8, 8, 5, 5, 5}) * 0.1;
    auto const b = torch::randn({8});
    auto const g = torch::randn({4, 8, 9, 9, 9});
    auto const want = run([](auto x, auto w, auto b) { return convolution3d(x, w, b, {2, 2, 2}); }, x, w, b, g);
    auto const got = [&]
    {
        test::CpuBf16Autocast autocast;
        return run([](auto x, auto w, auto b) { return convolution3d(x, w, b, {2, 2, 2}); }, x, w, b, g);
    }();
    EXPECT_EQ(got.y.scalar_type(), torch::kBFloat16);
    EXPECT_EQ(got.dw.scalar_type(), torch::kFloat);
    EXPECT_EQ(got.db.scalar_type(), torch::kFloat);
    EXPECT_EQ(got.dx.scalar_type(), torch::kFloat);
    // bf16 keeps 8 significant bits (relative rounding 2^-9 = 2e-3 per
    // value); products of two rounded values summed in fp32 keep errors of
    // that order, so 2e-2 allows a factor 10 and still fails on a real bug.
    expect_close(got, want, 2e-2);
}

//! A block with upsampling; the weight and bias of its convolution.
struct UpsamplingCase
{
    ConvBlockConfig block;
    std::int64_t in_channels;
    Int3 in_size;
};

std::vector<UpsamplingCase> upsampling_cases()
{
    std::vector<UpsamplingCase> cases;
    // The upsampling blocks of both presets on their real input sizes.
    auto const a = preset_a().generator.blocks;
    cases.push_back({a[1], a[0].filters, {7, 7, 8}});
    cases.push_back({a[2], a[1].filters, {13, 14, 9}});
    auto const b = preset_b().generator.blocks;
    for (std::size_t i = 1; i < b.size(); ++i)
    {
        if (!(b[i].upsample == Int3{1, 1, 1}))
            cases.push_back({b[i], b[i - 1].filters, {5, 6, 4}});
    }
    // Odd geometries: 'same' padding, padding larger than the factor, no bias.
    auto odd = a[1];
    odd.upsample = {3, 1, 2};
    odd.zero_padding = {4, 0, 1};
    odd.kernel = {4, 3, 5};
    odd.padding = ConvPadding::same;
    odd.bias = false;
    odd.filters = 3;
    cases.push_back({odd, 5, {4, 5, 3}});
    return cases;
}

TEST(PhaseConvolution, EqualsUpsamplePadConvolution)
{
    torch::manual_seed(5);
    for (auto const& c : upsampling_cases())
    {
        SCOPED_TRACE("upsample " + std::to_string(c.block.upsample.x) + std::to_string(c.block.upsample.y) +
                     std::to_string(c.block.upsample.z) + " kernel " + std::to_string(c.block.kernel.x) +
                     std::to_string(c.block.kernel.y) + std::to_string(c.block.kernel.z));
        auto const x = torch::randn({2, c.in_channels, c.in_size.x, c.in_size.y, c.in_size.z});
        auto const w =
            torch::randn({c.block.filters, c.in_channels, c.block.kernel.x, c.block.kernel.y, c.block.kernel.z}) * 0.1;
        auto const b = c.block.bias ? torch::randn({c.block.filters}) : torch::Tensor();
        // The reference: upsample, pad, libtorch's conv3d, all differentiable.
        auto const reference = [&](torch::Tensor x, torch::Tensor w, torch::Tensor b)
        {
            auto const up = upsample_repeat(x, c.block.upsample);
            auto const zeros = [&](int zp, int k) { return conv_zeros(zp, c.block.padding, k); };
            auto const zx = zeros(c.block.zero_padding.x, c.block.kernel.x);
            auto const zy = zeros(c.block.zero_padding.y, c.block.kernel.y);
            auto const zz = zeros(c.block.zero_padding.z, c.block.kernel.z);
            std::vector<std::int64_t> const widths{zz.first, zz.second, zy.first, zy.second, zx.first, zx.second};
            return torch::conv3d(detail::pad(up, widths), w, b);
        };
        auto const g = torch::randn_like(reference(x, w, b));
        auto const want = run(reference, x, w, b, g);
        auto const got = run([&](auto x, auto w, auto b) { return phase_convolution(x, c.block, w, b); }, x, w, b, g);
        ASSERT_EQ(got.y.sizes(), want.y.sizes());
        expect_close(got, want, kFp32Tolerance);
    }
}

TEST(PhaseConvolution, BlockConvolutionMatchesTheLayersAsWritten)
{
    // block_convolution (what the networks run) against the module's own
    // forward on the upsampled, padded input, for every block of preset A.
    torch::manual_seed(6);
    auto const blocks = preset_a().generator.blocks;
    std::int64_t channels = 8;
    Int3 size{7, 7, 8};
    for (auto const& block : blocks)
    {
        auto const padding = plan_padding(block.zero_padding, block.padding, block.kernel).symmetric;
        auto const conv = make_conv(channels, block.filters, block.kernel, block.bias, padding);
        auto const x = torch::randn({2, channels, size.x, size.y, size.z});
        torch::NoGradGuard no_grad;
        auto const want = block_convolution_as_written(x, block, conv);
        auto const got = block_convolution(x, block, conv);
        ASSERT_EQ(got.sizes(), want.sizes());
        EXPECT_LT(relative_error(got, want), kFp32Tolerance);
        channels = block.filters;
        size = {static_cast<int>(want.size(2)), static_cast<int>(want.size(3)), static_cast<int>(want.size(4))};
    }
}
}  // namespace
}  // namespace calo::nn::detail
