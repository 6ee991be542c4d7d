#include "calo3dgan/infer/GeneratorExport.hh"

#include <cmath>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/nn/ConfigToml.hh"

namespace calo::infer
{
namespace
{
std::vector<float> values_of(torch::Tensor const& tensor)
{
    auto const t = tensor.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
}

inference::Activation activation_of(nn::Activation activation)
{
    switch (activation)
    {
        case nn::Activation::relu:
            return inference::Activation::relu;
        case nn::Activation::leaky_relu:
            return inference::Activation::leaky_relu;
        case nn::Activation::linear:
            break;
    }
    return inference::Activation::linear;
}
}  // namespace

inference::GeneratorModel to_generator_model(nn::Generator const& generator, std::string const& provenance_json)
{
    auto const& config = generator->config();
    auto const& gen = config.generator;
    auto const& train = config.train;
    inference::GeneratorModel model;
    model.name = config.name;
    model.conditioning = config.family == nn::ModelFamily::a ? inference::Conditioning::product
                                                             : inference::Conditioning::concatenate;
    model.latent_size = config.latent_size;
    model.yscale = train.yscale;
    model.dense_weight = values_of(generator->dense()->weight);
    model.dense_bias = values_of(generator->dense()->bias);
    model.reshape = {gen.reshape.x, gen.reshape.y, gen.reshape.z};
    model.reshape_channels = gen.reshape_channels;
    int channels = gen.reshape_channels;
    for (std::size_t i = 0; i < gen.blocks.size(); ++i)
    {
        auto const& b = gen.blocks[i];
        inference::ConvBlock block;
        block.upsample = {b.upsample.x, b.upsample.y, b.upsample.z};
        auto const x = nn::conv_zeros(b.zero_padding.x, b.padding, b.kernel.x);
        auto const y = nn::conv_zeros(b.zero_padding.y, b.padding, b.kernel.y);
        auto const z = nn::conv_zeros(b.zero_padding.z, b.padding, b.kernel.z);
        block.pad_before = {x.first, y.first, z.first};
        block.pad_after = {x.second, y.second, z.second};
        block.kernel = {b.kernel.x, b.kernel.y, b.kernel.z};
        block.in_channels = channels;
        block.out_channels = b.filters;
        auto const& conv = generator->conv(i);
        block.weight = values_of(conv->weight);
        if (conv->bias.defined())
            block.bias = values_of(conv->bias);
        block.activation = activation_of(b.activation);
        block.leaky_slope = config.leaky_relu_slope;
        auto const& bn = generator->batchnorm(i);
        block.has_batchnorm = !bn.is_empty();
        if (block.has_batchnorm)
        {
            block.batchnorm.gamma = values_of(bn->weight);
            block.batchnorm.beta = values_of(bn->bias);
            block.batchnorm.mean = values_of(bn->running_mean);
            block.batchnorm.variance = values_of(bn->running_var);
            block.batchnorm.epsilon = bn->options.eps();
        }
        channels = b.filters;
        model.blocks.push_back(std::move(block));
    }
    model.image_shape = {config.image_shape.nx, config.image_shape.ny, config.image_shape.nz};
    model.xscale = train.xscale;
    model.power = config.power;
    model.file_unit_gev = event::cell_unit_gev(layout_for(config));
    model.energy_range_gev = {train.energy_min * train.yscale, train.energy_max * train.yscale};
    if (config.family == nn::ModelFamily::a)
        model.angle_range_rad = {kPi / 2, kPi / 2};
    else
        model.angle_range_rad = {train.angle_min_rad, train.angle_max_rad};
    model.config_toml = nn::to_toml_string(config);
    model.provenance_json = provenance_json;
    return model;
}
}  // namespace calo::infer
