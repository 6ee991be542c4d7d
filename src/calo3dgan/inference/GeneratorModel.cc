#include "calo3dgan/inference/GeneratorModel.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::inference
{
namespace
{
std::string text(Int3 v)
{
    return std::to_string(v[0]) + "x" + std::to_string(v[1]) + "x" + std::to_string(v[2]);
}

bool all_finite(std::vector<float> const& values)
{
    for (float v : values)
    {
        if (!std::isfinite(v))
            return false;
    }
    return true;
}

void check_size(std::vector<float> const& values, std::size_t expected, std::string const& what,
                std::string const& origin)
{
    CALO_VALIDATE(values.size() == expected, what + " has " + std::to_string(values.size()) + " values, the layer needs " +
                                                 std::to_string(expected) + " (where: " + origin +
                                                 ") — the model file is damaged or of another model; export it again");
    CALO_VALIDATE(all_finite(values), what + " holds NaN or infinite values (where: " + origin +
                                          ") — the model diverged or the file is damaged");
}
}  // namespace

int ConvBlock::output_length(int axis, int in) const
{
    return in * upsample[axis] + pad_before[axis] + pad_after[axis] - kernel[axis] + 1;
}

void validate(GeneratorModel const& model, std::string const& origin)
{
    auto const where = " (where: " + origin + ")";
    CALO_VALIDATE(model.latent_size > 0 && model.latent_size <= (1 << 20),
                  "latent size " + std::to_string(model.latent_size) + " is not a plausible 3DGAN latent size" + where);
    CALO_VALIDATE(model.conditioning == Conditioning::product || model.latent_size > 2,
                  "a variable-angle model needs a latent size above 2" + where);
    CALO_VALIDATE(model.yscale > 0 && model.xscale > 0 && model.power > 0 && model.file_unit_gev > 0 &&
                      std::isfinite(model.yscale) && std::isfinite(model.xscale) && std::isfinite(model.power) &&
                      std::isfinite(model.file_unit_gev),
                  "yscale, xscale, power and the file unit must be positive and finite" + where);
    for (int axis = 0; axis < 3; ++axis)
    {
        CALO_VALIDATE(model.reshape[axis] > 0 && model.reshape[axis] <= 4096 && model.image_shape[axis] > 0 &&
                          model.image_shape[axis] <= 4096,
                      "reshape " + text(model.reshape) + " or image shape " + text(model.image_shape) +
                          " is not a plausible size" + where);
    }
    CALO_VALIDATE(model.reshape_channels > 0 && model.reshape_channels <= 65536,
                  "reshape channels " + std::to_string(model.reshape_channels) + " is not plausible" + where);
    std::size_t const units = static_cast<std::size_t>(model.reshape[0]) * model.reshape[1] * model.reshape[2] *
                              model.reshape_channels;
    check_size(model.dense_weight, units * model.latent_size, "dense weight", origin);
    check_size(model.dense_bias, units, "dense bias", origin);
    CALO_VALIDATE(!model.blocks.empty(), "the generator has no convolution blocks" + where);

    Int3 length = model.reshape;
    int channels = model.reshape_channels;
    for (std::size_t i = 0; i < model.blocks.size(); ++i)
    {
        auto const& block = model.blocks[i];
        auto const name = "block " + std::to_string(i);
        CALO_VALIDATE(block.in_channels == channels, name + " takes " + std::to_string(block.in_channels) +
                                                         " channels, the previous layer gives " +
                                                         std::to_string(channels) + where);
        CALO_VALIDATE(block.out_channels > 0 && block.out_channels <= 65536,
                      name + " has " + std::to_string(block.out_channels) + " output channels" + where);
        for (int axis = 0; axis < 3; ++axis)
        {
            CALO_VALIDATE(block.upsample[axis] >= 1 && block.upsample[axis] <= 64 && block.kernel[axis] >= 1 &&
                              block.kernel[axis] <= 64 && block.pad_before[axis] >= 0 && block.pad_after[axis] >= 0 &&
                              block.pad_before[axis] <= 64 && block.pad_after[axis] <= 64,
                          name + ": upsampling " + text(block.upsample) + ", kernel " + text(block.kernel) +
                              " or padding out of range" + where);
            length[axis] = block.output_length(axis, length[axis]);
            CALO_VALIDATE(length[axis] > 0 && length[axis] <= 4096,
                          name + " gives an empty or absurd output along axis " + std::to_string(axis) + where);
        }
        std::size_t const taps = static_cast<std::size_t>(block.kernel[0]) * block.kernel[1] * block.kernel[2];
        check_size(block.weight, taps * block.in_channels * block.out_channels, name + " weight", origin);
        if (!block.bias.empty())
            check_size(block.bias, block.out_channels, name + " bias", origin);
        CALO_VALIDATE(block.leaky_slope >= 0 && std::isfinite(block.leaky_slope),
                      name + " has a negative or non-finite LeakyReLU slope" + where);
        if (block.has_batchnorm)
        {
            auto const& bn = block.batchnorm;
            auto const c = static_cast<std::size_t>(block.out_channels);
            check_size(bn.gamma, c, name + " batchnorm gamma", origin);
            check_size(bn.beta, c, name + " batchnorm beta", origin);
            check_size(bn.mean, c, name + " batchnorm mean", origin);
            check_size(bn.variance, c, name + " batchnorm variance", origin);
            CALO_VALIDATE(bn.epsilon > 0 && std::isfinite(bn.epsilon), name + " batchnorm epsilon must be positive" + where);
            for (float v : bn.variance)
                CALO_VALIDATE(v >= 0, name + " batchnorm has a negative variance" + where);
        }
        channels = block.out_channels;
    }
    CALO_VALIDATE(channels == 1 && length == model.image_shape,
                  "the last block gives " + std::to_string(channels) + " channel(s) of " + text(length) +
                      ", the model declares one channel of " + text(model.image_shape) + where);
    CALO_VALIDATE(model.energy_range_gev[0] > 0 && model.energy_range_gev[0] <= model.energy_range_gev[1],
                  "trained energy range is empty or not positive" + where);
    CALO_VALIDATE(model.angle_range_rad[0] <= model.angle_range_rad[1], "trained angle range is inverted" + where);
}

char const* to_string(Activation activation)
{
    switch (activation)
    {
        case Activation::linear:
            return "linear";
        case Activation::relu:
            return "relu";
        case Activation::leaky_relu:
            return "leaky_relu";
    }
    return "?";
}

char const* to_string(Conditioning conditioning)
{
    return conditioning == Conditioning::product ? "product" : "concatenate";
}
}  // namespace calo::inference
