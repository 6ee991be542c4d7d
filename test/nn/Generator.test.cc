// Generator module, initialisers and latent sampling.
#include "calo3dgan/nn/Generator.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/Initializers.hh"
#include "calo3dgan/nn/LatentSampler.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/nn/detail/Layers.hh"

namespace calo::nn
{
namespace
{
//! A tiny A-family configuration whose generator is dense -> reshape ->
//! one linear 1x1x1 convolution, to check the channels-last reshape.
ArchitectureConfig tiny_config()
{
    auto config = preset_a();
    config.latent_size = 3;
    config.image_shape = {2, 3, 4};
    config.generator.reshape = {2, 3, 4};
    config.generator.reshape_channels = 2;
    auto block = ConvBlockConfig::generator_default();
    block.filters = 1;
    block.kernel = {1, 1, 1};
    block.bias = false;
    block.activation = Activation::linear;
    config.generator.blocks = {block};
    auto disc = ConvBlockConfig::discriminator_default();
    disc.filters = 2;
    disc.kernel = {1, 1, 1};
    disc.activation = Activation::linear;
    disc.dropout = 0;
    config.discriminator.blocks = {disc};
    config.discriminator.pooling = {1, 1, 1};
    return config;
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(Generator, parameter_counts)
{
    Generator a(preset_a(), 1);
    auto const count_a = a->parameter_count();
    EXPECT_EQ(count_a.trainable, 872808);
    EXPECT_EQ(count_a.non_trainable, 140);
    EXPECT_EQ(count_module_parameters(*a).trainable, count_parameters(describe_generator(preset_a())).trainable);

    Generator b(preset_b(), 1);
    auto const count_b = b->parameter_count();
    EXPECT_EQ(count_b.trainable, 1364983);
    EXPECT_EQ(count_b.non_trainable, 64);
    // Every trainable tensor is a registered parameter with gradients
    std::int64_t with_grad = 0;
    for (auto const& p : b->parameters()) with_grad += p.requires_grad() ? p.numel() : 0;
    EXPECT_EQ(with_grad, 1364983);
    EXPECT_TRUE(b->named_parameters().contains("conv6.bias"));
    EXPECT_FALSE(a->named_parameters().contains("conv3.bias"));
    EXPECT_TRUE(a->named_buffers().contains("batchnorm0.running_mean"));
}

TEST(Generator, output_shape_and_sign_a)
{
    torch::NoGradGuard no_grad;
    Generator gen(preset_a(), 2);
    gen->eval();
    LatentSampler sampler(gen->config(), 3);
    auto const batch = sampler.sample(2);
    EXPECT_EQ(batch.noise.sizes(), (std::vector<std::int64_t>{2, 200}));
    EXPECT_EQ(batch.conditions.sizes(), (std::vector<std::int64_t>{2, 1}));
    auto const images = gen->forward(batch.noise, batch.conditions);
    EXPECT_EQ(images.sizes(), (std::vector<std::int64_t>{2, 1, 25, 25, 25}));
    EXPECT_GE(images.min().item<float>(), 0.0f);
    EXPECT_GT(images.max().item<float>(), 0.0f);
    // Multiplicative conditioning: the dense input is y * z
    auto const latent = gen->latent_input(batch.noise, batch.conditions);
    EXPECT_TRUE(torch::allclose(latent, batch.noise * batch.conditions));
    EXPECT_TRUE(torch::equal(images, gen->forward_latent(latent)));
}

TEST(Generator, output_shape_and_sign_b)
{
    torch::NoGradGuard no_grad;
    Generator gen(preset_b(), 2);
    gen->train();  // batch statistics
    LatentSampler sampler(gen->config(), 3);
    auto const conditions = torch::tensor({{1.5f, 1.2f}, {1.1f, 1.9f}});
    auto const batch = sampler.sample_for(conditions);
    EXPECT_EQ(batch.noise.sizes(), (std::vector<std::int64_t>{2, 254}));
    auto const latent = gen->latent_input(batch.noise, batch.conditions);
    EXPECT_EQ(latent.sizes(), (std::vector<std::int64_t>{2, 256}));
    // [y, theta, z]
    EXPECT_TRUE(torch::equal(latent.slice(1, 0, 2), conditions));
    EXPECT_TRUE(torch::equal(latent.slice(1, 2), batch.noise));
    auto const images = gen->forward(batch.noise, batch.conditions);
    EXPECT_EQ(images.sizes(), (std::vector<std::int64_t>{2, 1, 51, 51, 25}));
    EXPECT_GE(images.min().item<float>(), 0.0f);
    EXPECT_GT(images.max().item<float>(), 0.0f);
}

TEST(Generator, input_validation)
{
    Generator gen(preset_a(), 2);
    EXPECT_THROW(gen->forward(torch::zeros({2, 199}), torch::ones({2, 1})), InputError);
    EXPECT_THROW(gen->forward(torch::zeros({2, 200}), torch::ones({2, 2})), InputError);
    EXPECT_THROW(gen->forward(torch::zeros({2, 200}), torch::ones({3, 1})), InputError);
    auto bad = preset_a();
    bad.image_shape = {25, 25, 24};
    EXPECT_THROW(Generator(bad, 0), InputError);
}

TEST(Generator, channels_last_reshape)
{
    // Dense bias k at output index k; Keras reshapes it as (x, y, z, c) with c
    // fastest. A 1x1x1 convolution that picks channel c shows the mapping.
    torch::NoGradGuard no_grad;
    auto const config = tiny_config();
    for (int channel = 0; channel < 2; ++channel)
    {
        Generator gen(config, 0);
        gen->dense()->weight.zero_();
        gen->dense()->bias.copy_(torch::arange(48, torch::kFloat32));
        gen->conv(0)->weight.zero_();
        gen->conv(0)->weight[0][channel].fill_(1);
        auto const image = gen->forward(torch::zeros({1, 3}), torch::ones({1, 1}));
        ASSERT_EQ(image.sizes(), (std::vector<std::int64_t>{1, 1, 2, 3, 4}));
        for (int x = 0; x < 2; ++x)
            for (int y = 0; y < 3; ++y)
                for (int z = 0; z < 4; ++z)
                    EXPECT_EQ(image[0][0][x][y][z].item<float>(), ((x * 3 + y) * 4 + z) * 2 + channel);
    }
}

TEST(Generator, batchnorm_settings)
{
    Generator a(preset_a(), 0);
    auto const& bn_a = a->batchnorm(0)->options;
    EXPECT_NEAR(bn_a.momentum().value(), 0.01, 1e-12);  // Keras 0.99
    EXPECT_DOUBLE_EQ(bn_a.eps(), 1e-3);
    EXPECT_TRUE(a->batchnorm(2).is_empty());
    EXPECT_TRUE(torch::equal(a->batchnorm(0)->weight, torch::ones({64})));
    EXPECT_TRUE(torch::equal(a->batchnorm(0)->bias, torch::zeros({64})));
    EXPECT_TRUE(torch::equal(a->batchnorm(0)->running_var, torch::ones({64})));

    Generator b(preset_b(), 0);
    for (std::size_t i = 0; i < 5; ++i)
    {
        EXPECT_NEAR(b->batchnorm(i)->options.momentum().value(), 0.01, 1e-12);
        EXPECT_DOUBLE_EQ(b->batchnorm(i)->options.eps(), 1e-6);
    }
    EXPECT_TRUE(b->batchnorm(5).is_empty());
}

//---------------------------------------------------------------------------//
TEST(Initializers, generator_layers)
{
    Generator gen(preset_a(), 7);
    // he_uniform: |w| <= sqrt(6 / fan_in), fan_in = kernel volume * C_in
    for (std::size_t i = 0; i < 3; ++i)
    {
        auto const& w = gen->conv(i)->weight;
        double const bound = std::sqrt(6.0 / compute_fans(w.sizes()).fan_in);
        EXPECT_LE(w.abs().max().item<double>(), bound);
        EXPECT_GT(w.abs().max().item<double>(), 0.9 * bound) << "block " << i;
        EXPECT_TRUE(torch::equal(gen->conv(i)->bias, torch::zeros_like(gen->conv(i)->bias)));
    }
    EXPECT_EQ(compute_fans(gen->conv(0)->weight.sizes()).fan_in, 6 * 6 * 8 * 8);
    EXPECT_EQ(compute_fans(gen->conv(0)->weight.sizes()).fan_out, 6 * 6 * 8 * 64);
    // glorot_uniform dense: 630k samples of U(-l, l), l = sqrt(6 / (200 + 3136))
    auto const& dense = gen->dense()->weight;
    double const limit = std::sqrt(6.0 / (200 + 3136));
    EXPECT_LE(dense.abs().max().item<double>(), limit);
    // std of U(-l, l) is l/sqrt(3); relative standard error of a sample std is
    // about sqrt(0.8 / (2n))... allow 1% for n = 627k (about 10 sigma)
    EXPECT_NEAR(dense.std().item<double>(), limit / std::sqrt(3.0), 0.01 * limit / std::sqrt(3.0));
    EXPECT_TRUE(torch::equal(gen->dense()->bias, torch::zeros({3136})));
    // Same seed, same parameters; another seed, others
    Generator again(preset_a(), 7);
    Generator other(preset_a(), 8);
    EXPECT_TRUE(torch::equal(gen->conv(1)->weight, again->conv(1)->weight));
    EXPECT_FALSE(torch::equal(gen->conv(1)->weight, other->conv(1)->weight));
}

TEST(Initializers, glorot_normal_statistics)
{
    // Keras 2.2.4 glorot_normal: truncated at 2 sigma', sigma' = s / 0.8796,
    // with s = sqrt(2 / (fan_in + fan_out)) the resulting std.
    auto weight = torch::empty({64, 32, 3, 3, 3});
    Rng rng(11);
    initialize_weight(weight, Initializer::glorot_normal, rng);
    Fans const fans = compute_fans(weight.sizes());
    EXPECT_EQ(fans.fan_in, 32 * 27);
    EXPECT_EQ(fans.fan_out, 64 * 27);
    double const s = std::sqrt(2.0 / (fans.fan_in + fans.fan_out));
    // n = 55,296: relative standard error of the std about 0.4%; allow 2%
    EXPECT_NEAR(weight.std().item<double>(), s, 0.02 * s);
    EXPECT_NEAR(weight.mean().item<double>(), 0, 0.02 * s);
    EXPECT_LE(weight.abs().max().item<double>(), 2 * s / kTruncatedNormalStd);
    EXPECT_GT(weight.abs().max().item<double>(), 1.9 * s / kTruncatedNormalStd);

    // he_normal on the same shape: s = sqrt(2 / fan_in)
    Rng rng2(12);
    initialize_weight(weight, Initializer::he_normal, rng2);
    double const s_he = std::sqrt(2.0 / fans.fan_in);
    EXPECT_NEAR(weight.std().item<double>(), s_he, 0.02 * s_he);

    // The last generator convolution of model A uses it (48 weights only)
    Generator gen(preset_a(), 3);
    auto const& last = gen->conv(3)->weight;
    double const s_last = std::sqrt(2.0 / (48 + 8));
    EXPECT_LE(last.abs().max().item<double>(), 2 * s_last / kTruncatedNormalStd);
}

TEST(Initializers, he_uniform_bound)
{
    auto weight = torch::empty({8, 6, 4, 4, 6});
    Rng rng(5);
    initialize_weight(weight, Initializer::he_uniform, rng);
    double const bound = std::sqrt(6.0 / (6 * 96));
    EXPECT_LE(weight.abs().max().item<double>(), bound);
    // U(-b, b): std b / sqrt(3); n = 4608, relative error ~1%, allow 5%
    EXPECT_NEAR(weight.std().item<double>(), bound / std::sqrt(3.0), 0.05 * bound / std::sqrt(3.0));
}

//---------------------------------------------------------------------------//
TEST(Layers, same_padding_is_tensorflow_asymmetric)
{
    EXPECT_EQ(detail::same_padding_widths({5, 6, 8}), (std::vector<std::int64_t>{3, 4, 2, 3, 2, 2}));
    // Ones convolved with a ones kernel of 6: window [i - 2, i + 3]
    auto const x = detail::pad(torch::ones({1, 1, 1, 1, 8}), detail::same_padding_widths({1, 1, 6}));
    auto const y = torch::conv3d(x, torch::ones({1, 1, 1, 1, 6}));
    EXPECT_TRUE(torch::equal(y.flatten(), torch::tensor({4.f, 5.f, 6.f, 6.f, 6.f, 5.f, 4.f, 3.f})));
    // ZeroPadding3D((1, 2, 3)) pads x by 1, y by 2, z by 3 on each side
    auto const padded = detail::pad(torch::ones({1, 1, 2, 2, 2}), detail::zero_padding_widths({1, 2, 3}));
    EXPECT_EQ(padded.sizes(), (std::vector<std::int64_t>{1, 1, 4, 6, 8}));
    EXPECT_EQ(padded.sum().item<float>(), 8.0f);
    EXPECT_EQ(padded[0][0][1][2][3].item<float>(), 1.0f);
}

TEST(Layers, nearest_upsampling_repeats_cells)
{
    auto const x = torch::arange(2 * 3 * 2 * 2 * 3, torch::kFloat32).view({2, 3, 2, 2, 3});
    auto const up = detail::upsample_nearest(x, {2, 2, 3});
    auto const expected = x.repeat_interleave(2, 2).repeat_interleave(2, 3).repeat_interleave(3, 4);
    EXPECT_TRUE(torch::equal(up, expected));
    auto const up6 = detail::upsample_nearest(x, {6, 6, 6});
    EXPECT_TRUE(torch::equal(up6, x.repeat_interleave(6, 2).repeat_interleave(6, 3).repeat_interleave(6, 4)));
}

TEST(Layers, nearest_kernel_is_exact_at_the_preset_sizes)
{
    // The interpolation kernel computes source indices in float: check it
    // against the exact broadcast copy at every upsampling of both presets.
    struct Case
    {
        std::vector<std::int64_t> shape;
        Int3 factor;
    };
    for (auto const& c : {Case{{2, 64, 7, 7, 8}, {2, 2, 2}}, Case{{2, 6, 13, 14, 9}, {2, 2, 3}},
                          Case{{2, 8, 9, 9, 8}, {6, 6, 6}}})
    {
        auto const x = torch::randn(c.shape);
        EXPECT_TRUE(torch::equal(detail::upsample_nearest(x, c.factor), detail::upsample_repeat(x, c.factor)));
    }
}

TEST(Layers, padding_plan_equals_explicit_padding)
{
    // Conv with its own symmetric padding plus the trailing extra equals
    // ZeroPadding3D followed by TF 'same' padding and a valid conv.
    torch::manual_seed(3);
    auto const x = torch::randn({2, 3, 9, 8, 7});
    for (auto mode : {ConvPadding::same, ConvPadding::valid})
    {
        Int3 const zero_padding{1, 2, 0};
        Int3 const kernel{6, 5, 4};
        auto const plan = detail::plan_padding(zero_padding, mode, kernel);
        auto fast = detail::make_conv(3, 4, kernel, true, plan.symmetric);
        auto slow = detail::make_conv(3, 4, kernel, true, {0, 0, 0});
        torch::NoGradGuard no_grad;
        slow->weight.copy_(fast->weight);
        slow->bias.copy_(fast->bias);
        auto padded = detail::pad(x, detail::zero_padding_widths(zero_padding));
        if (mode == ConvPadding::same)
            padded = detail::pad(padded, detail::same_padding_widths(kernel));
        auto const expected = slow->forward(padded);
        auto const got = fast->forward(detail::pad(x, plan.extra_after));
        ASSERT_EQ(got.sizes(), expected.sizes());
        EXPECT_TRUE(torch::allclose(got, expected, 1e-5, 1e-5));
    }
}

//---------------------------------------------------------------------------//
TEST(LatentSampler, distributions_and_reproducibility)
{
    auto const config = preset_a();
    LatentSampler sampler(config, 42);
    auto const batch = sampler.sample(4000);
    // N(0, 1): 800k values, standard errors ~1e-3
    EXPECT_NEAR(batch.noise.mean().item<double>(), 0, 0.01);
    EXPECT_NEAR(batch.noise.std().item<double>(), 1, 0.01);
    // y ~ U(0.1, 5): mean 2.55, n = 4000, standard error 0.022
    EXPECT_GE(batch.conditions.min().item<double>(), 0.1);
    EXPECT_LE(batch.conditions.max().item<double>(), 5.0);
    EXPECT_NEAR(batch.conditions.mean().item<double>(), 2.55, 0.1);

    LatentSampler again(config, 42);
    auto const repeat = again.sample(4000);
    EXPECT_TRUE(torch::equal(batch.noise, repeat.noise));
    EXPECT_TRUE(torch::equal(batch.conditions, repeat.conditions));

    LatentSampler angles(preset_b(), 1);
    auto const conditions = angles.conditions(1000);
    EXPECT_EQ(conditions.sizes(), (std::vector<std::int64_t>{1000, 2}));
    auto const theta = conditions.select(1, 1);
    EXPECT_GE(theta.min().item<double>(), M_PI / 3);
    EXPECT_LE(theta.max().item<double>(), 2 * M_PI / 3);
}

TEST(Generator, clone_copies_parameters)
{
    Generator gen(preset_a(), 5);
    auto copy = std::dynamic_pointer_cast<GeneratorImpl>(gen->clone());
    ASSERT_TRUE(copy);
    EXPECT_EQ(copy->parameter_count().trainable, 872808);
    EXPECT_TRUE(torch::equal(copy->conv(2)->weight, gen->conv(2)->weight));
    copy->conv(2)->weight.data().add_(1);
    EXPECT_FALSE(torch::equal(copy->conv(2)->weight, gen->conv(2)->weight));
}
}  // namespace calo::nn
