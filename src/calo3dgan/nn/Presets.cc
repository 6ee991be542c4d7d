#include "Presets.hh"

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
namespace
{
ConvBlockConfig gen_block(Int3 upsample, Int3 zero_padding, int filters, Int3 kernel, ConvPadding padding,
                               Activation activation, bool batchnorm)
{
    ConvBlockConfig block = ConvBlockConfig::generator_default();
    block.upsample = upsample;
    block.zero_padding = zero_padding;
    block.filters = filters;
    block.kernel = kernel;
    block.padding = padding;
    block.activation = activation;
    block.batchnorm = batchnorm;
    block.initializer = Initializer::he_uniform;
    block.bias = true;
    return block;
}

ConvBlockConfig disc_block(Int3 zero_padding, int filters, Int3 kernel, ConvPadding padding, bool batchnorm)
{
    ConvBlockConfig block = ConvBlockConfig::discriminator_default();
    block.zero_padding = zero_padding;
    block.filters = filters;
    block.kernel = kernel;
    block.padding = padding;
    block.batchnorm = batchnorm;
    block.activation = Activation::leaky_relu;
    block.dropout = 0.2;
    block.initializer = Initializer::glorot_uniform;
    block.bias = true;
    return block;
}

}  // namespace

ArchitectureConfig preset_a()
{
    // svalleco/3Dgan Energy-gan:keras/EcalEnergyGan.py (generator(latent_size=200),
    // discriminator()); hyper-parameters from Energy-gan:keras/EcalEnergyTrain.py.
    ArchitectureConfig config;
    config.name = "3dgan-a";
    config.family = ModelFamily::a;
    config.latent_size = 200;
    config.image_shape = geo::kFixedAngleShape;
    config.power = 1.0;
    config.leaky_relu_slope = 0.3;
    config.batchnorm = {0.99, 1e-3};  // Keras BatchNormalization() defaults

    auto& gen = config.generator;
    gen.reshape = {7, 7, 8};
    gen.reshape_channels = 8;
    gen.dense_initializer = Initializer::glorot_uniform;
    auto const lrelu = Activation::leaky_relu;
    gen.blocks = {
        gen_block({1, 1, 1}, {0, 0, 0}, 64, {6, 6, 8}, ConvPadding::same, lrelu, true),
        gen_block({2, 2, 2}, {2, 2, 0}, 6, {6, 5, 8}, ConvPadding::valid, lrelu, true),
        gen_block({2, 2, 3}, {1, 0, 3}, 6, {3, 3, 8}, ConvPadding::valid, lrelu, false),
        gen_block({1, 1, 1}, {0, 0, 0}, 1, {2, 2, 2}, ConvPadding::valid, Activation::relu, false),
    };
    gen.blocks.back().bias = false;
    gen.blocks.back().initializer = Initializer::glorot_normal;

    auto& disc = config.discriminator;
    disc.blocks = {
        disc_block({0, 0, 0}, 32, {5, 5, 5}, ConvPadding::same, false),
        disc_block({2, 2, 2}, 8, {5, 5, 5}, ConvPadding::valid, true),
        disc_block({2, 2, 2}, 8, {5, 5, 5}, ConvPadding::valid, true),
        disc_block({1, 1, 1}, 8, {5, 5, 5}, ConvPadding::valid, true),
    };
    disc.pooling = {2, 2, 2};
    disc.dense_initializer = Initializer::glorot_uniform;

    auto& train = config.train;
    train.loss_weights = {2.0, 0.1, 0.1};
    train.learning_rate = 1e-3;
    train.rho = 0.9;
    train.epsilon = 1e-7;
    train.batch_size = 128;
    train.epochs = 50;
    train.xscale = 100.0;
    train.yscale = 100.0;
    train.energy_min = 0.1;
    train.energy_max = 5.0;
    train.angle_min_rad = 0.0;
    train.angle_max_rad = 0.0;
    return config;
}

ArchitectureConfig preset_b()
{
    // svalleco/3Dgan Anglegan:keras/AngleArch3dGAN.py (generator(latent_size=256),
    // discriminator(power=0.85)); hyper-parameters from
    // Anglegan:keras/AngleTrain3dGAN.py.
    ArchitectureConfig config;
    config.name = "3dgan-b";
    config.family = ModelFamily::b;
    config.latent_size = 256;
    config.image_shape = geo::kVariableAngleShape;
    config.power = 0.85;
    config.leaky_relu_slope = 0.3;
    config.batchnorm = {0.99, 1e-6};

    auto& gen = config.generator;
    gen.reshape = {9, 9, 8};
    gen.reshape_channels = 8;
    gen.dense_initializer = Initializer::glorot_uniform;
    auto const relu = Activation::relu;
    auto const valid = ConvPadding::valid;
    gen.blocks = {
        gen_block({6, 6, 6}, {0, 0, 0}, 8, {6, 6, 8}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {1, 1, 0}, 6, {3, 3, 5}, valid, relu, true),
        gen_block({1, 1, 1}, {1, 1, 0}, 6, {3, 3, 3}, valid, relu, false),
        gen_block({1, 1, 1}, {0, 0, 0}, 1, {2, 2, 2}, valid, relu, false),
    };
    gen.blocks.back().initializer = Initializer::glorot_normal;

    auto& disc = config.discriminator;
    disc.blocks = {
        disc_block({0, 0, 0}, 16, {5, 6, 6}, ConvPadding::same, false),
        disc_block({0, 0, 1}, 8, {5, 6, 6}, valid, true),
        disc_block({0, 0, 1}, 8, {5, 6, 6}, valid, true),
        disc_block({0, 0, 0}, 8, {5, 6, 6}, valid, true),
    };
    disc.pooling = {2, 2, 2};
    disc.dense_initializer = Initializer::glorot_uniform;

    auto& train = config.train;
    train.loss_weights = {3.0, 0.1, 25.0, 0.1};
    train.learning_rate = 1e-3;
    train.rho = 0.9;
    train.epsilon = 1e-7;
    train.batch_size = 64;
    train.epochs = 120;
    train.xscale = 1.0;
    train.yscale = 100.0;
    // 100-200 GeV and 60-120 degrees (Anglegan:keras/misc/InferenceTime.py)
    train.energy_min = 1.0;
    train.energy_max = 2.0;
    train.angle_min_rad = kPi / 3;
    train.angle_max_rad = 2 * kPi / 3;
    return config;
}

bool is_preset_name(std::string const& name)
{
    return name == "a" || name == "b" || name == "3dgan-a" || name == "3dgan-b";
}

ArchitectureConfig preset(std::string const& name)
{
    if (name == "a" || name == "3dgan-a")
        return preset_a();
    if (name == "b" || name == "3dgan-b")
        return preset_b();
    throw InputError("unknown model preset '" + name + "' — use \"a\" (3dgan-a) or \"b\" (3dgan-b)");
}

}  // namespace calo::nn
