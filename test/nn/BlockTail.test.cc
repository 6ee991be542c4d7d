// The fused activation -> batch normalisation -> dropout of a convolution
// block against torch's separate operators: outputs, gradients, running
// statistics and dropout masks, in fp32 and bf16, training and eval.
#include "calo3dgan/nn/detail/BlockTail.hh"

#include <gtest/gtest.h>

#include "CpuBf16Autocast.hh"
#include "TensorCompare.hh"
#include "calo3dgan/nn/detail/Layers.hh"

namespace calo::nn::detail
{
namespace
{
torch::nn::BatchNorm3d batchnorm_with_parameters(std::int64_t channels)
{
    // As the models make it (the 3DGAN settings: Keras momentum 0.99,
    // epsilon 1e-3), with parameters away from 1 and 0 so that their
    // gradients matter.
    auto bn = detail::make_batchnorm(channels, BatchNormConfig{});
    torch::NoGradGuard no_grad;
    bn->weight.copy_(torch::linspace(0.5, 1.5, channels));
    bn->bias.copy_(torch::linspace(-0.3, 0.4, channels));
    bn->running_mean.copy_(torch::linspace(-0.1, 0.2, channels));
    bn->running_var.copy_(torch::linspace(0.8, 1.3, channels));
    return bn;
}

using test::relative_error;

struct Result
{
    torch::Tensor y, dx, dgamma, dbeta, running_mean, running_var, batches;
};

//! One forward and backward pass (with a fixed non-uniform dL/dy) from a
//! fresh copy of x and of the BN, keyed by torch seed 11.
Result run(bool fused, torch::Tensor const& x0, BlockTail const& tail, bool with_batchnorm, bool bn_training)
{
    auto bn = with_batchnorm ? batchnorm_with_parameters(x0.size(1)) : torch::nn::BatchNorm3d(nullptr);
    if (with_batchnorm)
        bn->train(bn_training);
    auto x = x0.detach().clone().requires_grad_(true);
    torch::manual_seed(11);
    auto y = fused ? block_tail(x, tail, bn) : block_tail_composed(x, tail, bn);
    // bf16-representable values, so that runs with fp32 and bf16 results get the same dL/dy.
    auto const dy = torch::cos(torch::arange(y.numel(), torch::kFloat) * 0.37)
                        .reshape(y.sizes())
                        .to(torch::kBFloat16)
                        .to(y.dtype());
    y.backward(dy);
    Result r{y.detach(), x.grad()};
    if (with_batchnorm)
    {
        r.dgamma = bn->weight.grad();
        r.dbeta = bn->bias.grad();
        r.running_mean = bn->running_mean.clone();
        r.running_var = bn->running_var.clone();
        r.batches = bn->num_batches_tracked.clone();
    }
    return r;
}

/*
 * fp32 tolerance: both sides compute the same expressions in float; they
 * differ in summation order (batch statistics and the BN gradient sums run
 * over 4 x 210 = 840 values per channel) and in where the BN's affine
 * transform is rounded. Each result is a few roundings of values of order 1
 * (relative 6e-8 each), and the BN gradient subtracts two sums of that size:
 * relative L2 errors of order 1e-6; the bound 1e-5 leaves a factor 10.
 */
constexpr double kFp32Tolerance = 1e-5;

void expect_same(Result const& fused, Result const& composed, double tolerance, bool with_batchnorm,
                 std::string const& what)
{
    EXPECT_EQ(fused.y.scalar_type(), composed.y.scalar_type()) << what;
    EXPECT_EQ(fused.dx.scalar_type(), composed.dx.scalar_type()) << what;
    EXPECT_LT(relative_error(fused.y, composed.y), tolerance) << what;
    EXPECT_LT(relative_error(fused.dx, composed.dx), tolerance) << what;
    // The same elements dropped (a dropped element is exactly 0 on both sides).
    EXPECT_TRUE(torch::equal(fused.y.eq(0), composed.y.eq(0))) << what;
    if (!with_batchnorm)
        return;
    EXPECT_LT(relative_error(fused.dgamma, composed.dgamma), tolerance) << what;
    EXPECT_LT(relative_error(fused.dbeta, composed.dbeta), tolerance) << what;
    EXPECT_LT(relative_error(fused.running_mean, composed.running_mean), kFp32Tolerance) << what;
    EXPECT_LT(relative_error(fused.running_var, composed.running_var), kFp32Tolerance) << what;
    EXPECT_TRUE(torch::equal(fused.batches, composed.batches)) << what;
}

torch::Tensor input(torch::ScalarType type)
{
    // 5 x 6 x 7 planes: not a multiple of the four accumulators.
    torch::manual_seed(3);
    return (torch::randn({4, 3, 5, 6, 7}) * 2 + 0.5).to(type);
}

TEST(BlockTail, MatchesTheSeparateOperatorsInFp32)
{
    struct Case
    {
        char const* name;
        Activation activation;
        double dropout;
        bool training;
        bool batchnorm;
        bool bn_training;
    };
    Case const cases[] = {
        {"discriminator block: leaky, BN, dropout", Activation::leaky_relu, 0.2, true, true, true},
        {"first discriminator block: leaky, dropout", Activation::leaky_relu, 0.2, true, false, false},
        {"generator block: leaky, BN", Activation::leaky_relu, 0.0, true, true, true},
        {"relu, BN from running statistics", Activation::relu, 0.0, false, true, false},
        {"linear, BN, dropout", Activation::linear, 0.5, true, true, true},
    };
    auto const x = input(torch::kFloat);
    for (auto const& c : cases)
    {
        BlockTail const tail{c.activation, 0.3, c.dropout, c.training};
        auto const fused = run(true, x, tail, c.batchnorm, c.bn_training);
        auto const composed = run(false, x, tail, c.batchnorm, c.bn_training);
        expect_same(fused, composed, kFp32Tolerance, c.batchnorm, c.name);
    }
}

TEST(BlockTail, MatchesTheSeparateOperatorsInBf16)
{
    // bf16 input: the separate operators round the activation to bf16
    // before the fp32 batch normalisation (relative 2^-9 = 2e-3 per value),
    // the fused function does not; outputs and gradients (the gradient
    // rounded to bf16 on both sides) agree to a few such roundings: 1e-2.
    auto const x = input(torch::kBFloat16);
    for (bool batchnorm : {true, false})
    {
        BlockTail const tail{Activation::leaky_relu, 0.3, 0.2, true};
        auto const fused = run(true, x, tail, batchnorm, true);
        auto const composed = run(false, x, tail, batchnorm, true);
        expect_same(fused, composed, 1e-2, batchnorm, batchnorm ? "bf16 with BN" : "bf16 without BN");
        EXPECT_EQ(fused.y.scalar_type(), batchnorm ? torch::kFloat : torch::kBFloat16);
        EXPECT_EQ(fused.dx.scalar_type(), torch::kBFloat16);
    }
}

TEST(BlockTail, FeedingAConvolutionUnderAutocastWritesWhatItWouldCastTo)
{
    // The fp32 result rounded to bf16 is what the next convolution would
    // have cast it to; gradients of the bf16 result, widened to fp32, are
    // the same values: bit-identical either way.
    auto const x = input(torch::kBFloat16);
    BlockTail tail{Activation::leaky_relu, 0.3, 0.2, true};
    test::CpuBf16Autocast autocast;
    auto const wide = run(true, x, tail, true, true);
    tail.feeds_convolution = true;
    auto const narrow = run(true, x, tail, true, true);
    EXPECT_EQ(wide.y.scalar_type(), torch::kFloat);
    EXPECT_EQ(narrow.y.scalar_type(), torch::kBFloat16);
    EXPECT_TRUE(torch::equal(narrow.y, wide.y.to(torch::kBFloat16)));
    EXPECT_TRUE(torch::equal(narrow.dx, wide.dx));
    EXPECT_TRUE(torch::equal(narrow.dgamma, wide.dgamma));
    EXPECT_TRUE(torch::equal(narrow.running_var, wide.running_var));
}

TEST(BlockTail, DrawsTheSameDropoutSeedAsTheSeparateOperators)
{
    // The generator's stream after either path is the same, so the rest of
    // a training step draws the same numbers.
    auto const x = input(torch::kFloat);
    BlockTail const tail{Activation::leaky_relu, 0.3, 0.2, true};
    auto bn = batchnorm_with_parameters(x.size(1));
    torch::manual_seed(4);
    block_tail(x, tail, bn);
    auto const after_fused = torch::randint(1 << 30, {4});
    torch::manual_seed(4);
    block_tail_composed(x, tail, bn);
    auto const after_composed = torch::randint(1 << 30, {4});
    EXPECT_TRUE(torch::equal(after_fused, after_composed));
}

TEST(BlockTail, SameResultWhateverTheThreads)
{
    auto const x = input(torch::kFloat);
    BlockTail const tail{Activation::leaky_relu, 0.3, 0.2, true};
    auto const threads = torch::get_num_threads();
    torch::set_num_threads(1);
    auto const one = run(true, x, tail, true, true);
    torch::set_num_threads(std::max(2, threads));
    auto const many = run(true, x, tail, true, true);
    torch::set_num_threads(threads);
    EXPECT_TRUE(torch::equal(one.y, many.y));
    EXPECT_TRUE(torch::equal(one.dx, many.dx));
    EXPECT_TRUE(torch::equal(one.dgamma, many.dgamma));
    EXPECT_TRUE(torch::equal(one.running_var, many.running_var));
}

}  // namespace
}  // namespace calo::nn::detail
