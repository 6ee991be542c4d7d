// Discriminator module and its parameter-free physics heads.
#include "calo3dgan/nn/Discriminator.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/geo/MeasuredAngle.hh"
#include "calo3dgan/nn/PhysicsHeads.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::nn
{
namespace
{
//! One cell per layer on a straight track: (x0, y0 + slope * z, z).
torch::Tensor track_image(geo::ImageShape shape, int x0, int y0, int slope, float energy = 1.0f)
{
    auto image = torch::zeros({1, 1, shape.nx, shape.ny, shape.nz});
    for (int z = 0; z < shape.nz; ++z) image[0][0][x0][y0 + slope * z][z] = energy;
    return image;
}

//! Expected ecal_angle of track_image with slope +-1 and an odd layer count:
//! theta_z = pi/2 -+ pi/4 on every layer except the middle one, which sits
//! on the barycentre (d_z clamped, m_z = 0, theta_z = pi/2).
double track_angle(int nz, int slope)
{
    double const middle = (nz - 1) / 2.0 + 0.5;
    double weights = 0;
    double sum = 0;
    for (int z = 0; z < nz; ++z)
    {
        double const w = z + 0.5;
        double const theta = (w == middle) ? M_PI / 2 : M_PI / 2 - slope * M_PI / 4;
        sum += theta * w;
        weights += w;
    }
    return sum / weights;
}

//! Sparse positive random images (about 10% of the cells hold energy).
torch::Tensor random_showers(std::int64_t n, geo::ImageShape shape, std::uint64_t seed)
{
    torch::manual_seed(seed);
    auto const energies = torch::rand({n, 1, shape.nx, shape.ny, shape.nz});
    auto const mask = torch::rand({n, 1, shape.nx, shape.ny, shape.nz}) < 0.1;
    return torch::where(mask, energies, torch::zeros_like(energies));
}

//! A tiny A-family configuration: one linear 1x1x1 convolution with two
//! filters, no pooling, so the features are the flattened channels.
ArchitectureConfig tiny_config()
{
    auto config = preset_a();
    config.latent_size = 3;
    config.image_shape = {2, 3, 4};
    config.generator.reshape = {2, 3, 4};
    config.generator.reshape_channels = 1;
    auto gen = ConvBlockConfig::generator_default();
    gen.kernel = {1, 1, 1};
    config.generator.blocks = {gen};
    auto block = ConvBlockConfig::discriminator_default();
    block.filters = 2;
    block.kernel = {1, 1, 1};
    block.activation = Activation::linear;
    block.dropout = 0;
    config.discriminator.blocks = {block};
    config.discriminator.pooling = {1, 1, 1};
    return config;
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(Discriminator, parameter_counts)
{
    Discriminator a(preset_a(), 1);
    EXPECT_EQ(a->parameter_count().trainable, 73402);
    EXPECT_EQ(a->parameter_count().non_trainable, 48);
    Discriminator b(preset_b(), 1);
    EXPECT_EQ(b->parameter_count().trainable, 87354);
    EXPECT_EQ(b->parameter_count().non_trainable, 48);
    EXPECT_EQ(b->generation()->weight.size(1), 19152);
    EXPECT_TRUE(b->named_parameters().contains("auxiliary.bias"));
}

TEST(Discriminator, outputs_a)
{
    torch::NoGradGuard no_grad;
    Discriminator disc(preset_a(), 2);
    disc->eval();
    auto const images = random_showers(2, geo::kFixedAngleShape, 3) * 100;
    auto const out = disc->forward(images);
    for (auto const* t : {&out.probability, &out.logit, &out.energy, &out.ecal})
        EXPECT_EQ(t->sizes(), (std::vector<std::int64_t>{2, 1}));
    EXPECT_FALSE(out.angle.defined());
    EXPECT_TRUE(torch::allclose(out.probability, torch::sigmoid(out.logit)));
    EXPECT_GT(out.probability.min().item<float>(), 0.0f);
    EXPECT_LT(out.probability.max().item<float>(), 1.0f);
    // ECAL head: the plain sum of the input image
    EXPECT_TRUE(torch::allclose(out.ecal, images.sum({2, 3, 4}), 1e-6, 1e-3));
    // Eval mode is deterministic (no dropout, moving statistics)
    EXPECT_TRUE(torch::equal(disc->forward(images).probability, out.probability));
}

TEST(Discriminator, outputs_b)
{
    torch::NoGradGuard no_grad;
    Discriminator disc(preset_b(), 2);
    disc->eval();
    auto const energies = random_showers(2, geo::kVariableAngleShape, 4);
    auto const images = energies.pow(0.85);  // what the networks see
    auto const out = disc->forward(images);
    for (auto const* t : {&out.probability, &out.energy, &out.ecal, &out.angle})
        EXPECT_EQ(t->sizes(), (std::vector<std::int64_t>{2, 1}));
    // ECAL head: sum of input^(1/power), the un-powered energies
    EXPECT_TRUE(torch::allclose(out.ecal, energies.sum({2, 3, 4}), 1e-5, 1e-3));
    EXPECT_TRUE(torch::allclose(out.angle, ecal_angle(energies), 1e-5, 1e-5));
}

TEST(Discriminator, dropout_only_in_training)
{
    torch::NoGradGuard no_grad;
    Discriminator disc(preset_a(), 2);
    auto const images = random_showers(2, geo::kFixedAngleShape, 5);
    disc->train();
    torch::manual_seed(1);
    auto const first = disc->features(images);
    auto const second = disc->features(images);
    EXPECT_FALSE(torch::equal(first, second));
    disc->eval();
    EXPECT_TRUE(torch::equal(disc->features(images), disc->features(images)));
}

TEST(Discriminator, channels_last_flatten)
{
    // Keras Flatten on (x, y, z, C): feature ((x * Y + y) * Z + z) * C + c
    torch::NoGradGuard no_grad;
    Discriminator disc(tiny_config(), 0);
    disc->eval();
    disc->conv(0)->weight.zero_();
    disc->conv(0)->weight[0].fill_(1);
    disc->conv(0)->weight[1].fill_(2);
    auto const image = torch::arange(24, torch::kFloat32).view({1, 1, 2, 3, 4});
    auto const features = disc->features(image);
    ASSERT_EQ(features.sizes(), (std::vector<std::int64_t>{1, 48}));
    for (int cell = 0; cell < 24; ++cell)
    {
        EXPECT_EQ(features[0][2 * cell].item<float>(), cell);
        EXPECT_EQ(features[0][2 * cell + 1].item<float>(), 2 * cell);
    }
}

TEST(Discriminator, batchnorm_and_initialisers)
{
    Discriminator b(preset_b(), 9);
    EXPECT_TRUE(b->batchnorm(0).is_empty());
    for (std::size_t i = 1; i < 4; ++i)
    {
        EXPECT_NEAR(b->batchnorm(i)->options.momentum().value(), 0.01, 1e-12);
        EXPECT_DOUBLE_EQ(b->batchnorm(i)->options.eps(), 1e-6);
    }
    // glorot_uniform: |w| <= sqrt(6 / (fan_in + fan_out))
    auto const& w = b->conv(1)->weight;  // (8, 16, 5, 6, 6)
    double const limit = std::sqrt(6.0 / (180 * 16 + 180 * 8));
    EXPECT_LE(w.abs().max().item<double>(), limit);
    EXPECT_GT(w.abs().max().item<double>(), 0.99 * limit);
    double const dense_limit = std::sqrt(6.0 / (19152 + 1));
    EXPECT_LE(b->generation()->weight.abs().max().item<double>(), dense_limit);
    EXPECT_EQ(b->generation()->bias.item<float>(), 0.0f);
    Discriminator a(preset_a(), 9);
    EXPECT_DOUBLE_EQ(a->batchnorm(1)->options.eps(), 1e-3);
}

//---------------------------------------------------------------------------//
TEST(PhysicsHeads, angle_of_straight_tracks)
{
    auto const shape = geo::kVariableAngleShape;
    // +1 cell in y per layer: theta_z = pi/4 (y grows with depth)
    auto const up = ecal_angle(track_image(shape, 25, 10, +1));
    EXPECT_NEAR(up.item<double>(), track_angle(shape.nz, +1), 1e-5);
    EXPECT_NEAR(track_angle(shape.nz, +1), (M_PI / 4 * 300 + M_PI / 2 * 12.5) / 312.5, 1e-12);
    // -1 cell per layer: 3 pi / 4
    auto const down = ecal_angle(track_image(shape, 25, 40, -1));
    EXPECT_NEAR(down.item<double>(), track_angle(shape.nz, -1), 1e-5);
    // An even number of layers has no layer on the barycentre: exactly pi/4
    auto const even = ecal_angle(track_image({11, 40, 24}, 5, 3, +1, 7.5f));
    EXPECT_NEAR(even.item<double>(), M_PI / 4, 1e-5);
    // Straight through (no y change): pi/2
    auto const straight = ecal_angle(track_image(shape, 25, 25, 0));
    EXPECT_NEAR(straight.item<double>(), M_PI / 2, 1e-5);
}

TEST(PhysicsHeads, angle_of_empty_image)
{
    auto const shape = geo::kVariableAngleShape;
    auto const images = torch::cat({torch::zeros({1, 1, shape.nx, shape.ny, shape.nz}), track_image(shape, 25, 10, 1)})
                            .requires_grad_(true);
    auto const angle = ecal_angle(images);
    EXPECT_EQ(angle[0].item<double>(), kEmptyEventAngle);
    EXPECT_NEAR(angle[1].item<double>(), track_angle(shape.nz, 1), 1e-5);
    // Through the discriminator's angle head, with the power transform
    torch::NoGradGuard no_grad;
    Discriminator disc(preset_b(), 0);
    disc->eval();
    auto const out = disc->forward(images.detach().pow(0.85));
    EXPECT_EQ(out.angle[0].item<double>(), kEmptyEventAngle);
    EXPECT_NEAR(out.angle[1].item<double>(), track_angle(shape.nz, 1), 1e-5);
    EXPECT_EQ(out.ecal[0].item<double>(), 0.0);
}

TEST(PhysicsHeads, angle_gradients_are_finite)
{
    auto const shape = geo::kVariableAngleShape;
    auto images = torch::cat({torch::zeros({1, 1, shape.nx, shape.ny, shape.nz}), random_showers(1, shape, 8)})
                      .requires_grad_(true);
    auto const angle = ecal_angle(undo_power(images, 0.85));
    angle.sum().backward();
    EXPECT_TRUE(torch::isfinite(images.grad()).all().item<bool>());
    EXPECT_GT(images.grad().abs().sum().item<double>(), 0.0);
}

TEST(PhysicsHeads, angle_matches_host_implementation)
{
    // geo::measured_angle is an independent plain C++ implementation of the
    // same formula (GANutils.measPython with the Keras clamp).
    auto const shape = geo::ImageShape{11, 13, 9};
    auto const images = random_showers(4, shape, 6);
    auto const angles = ecal_angle(images);
    for (std::int64_t i = 0; i < 4; ++i)
    {
        auto const cells = images[i][0].contiguous();
        double const expected = geo::measured_angle(cells.data_ptr<float>(), shape);
        EXPECT_NEAR(angles[i].item<double>(), expected, 1e-5 * std::abs(expected)) << "event " << i;
    }
    EXPECT_TRUE(torch::allclose(ecal_sum(images), images.sum({2, 3, 4})));
}
}  // namespace calo::nn
