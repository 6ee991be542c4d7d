#include "LayerTable.hh"

#include <algorithm>
#include <sstream>
#include <utility>

#include "ArchitectureConfig.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
namespace
{
using Shape = std::vector<std::int64_t>;

std::string shape_string(Shape const& shape)
{
    std::string result = "(";
    for (std::size_t i = 0; i < shape.size(); ++i)
    {
        if (i > 0)
            result += ", ";
        result += std::to_string(shape[i]);
    }
    return result + ")";
}

std::string int3_string(Int3 v)
{
    return "(" + std::to_string(v.x) + ", " + std::to_string(v.y) + ", " + std::to_string(v.z) + ")";
}

char const* activation_type(Activation activation)
{
    switch (activation)
    {
        case Activation::relu:
            return "ReLU";
        case Activation::leaky_relu:
            return "LeakyReLU";
        case Activation::linear:
            break;
    }
    return "Linear";
}

//! Tracks the (x, y, z, C) shape through the layers and appends the rows.
class ShapeTracker
{
  public:
    ShapeTracker(std::string network, std::vector<LayerInfo>& layers) : network_(std::move(network)), layers_(layers) {}

    void set(Int3 spatial, std::int64_t channels)
    {
        spatial_[0] = spatial.x;
        spatial_[1] = spatial.y;
        spatial_[2] = spatial.z;
        channels_ = channels;
    }
    Shape image_shape() const { return {spatial_[0], spatial_[1], spatial_[2], channels_}; }
    std::int64_t channels() const { return channels_; }
    std::int64_t spatial(int axis) const { return spatial_[axis]; }

    void add(std::string name, std::string type, Shape shape, ParameterCount parameters = {})
    {
        layers_.push_back({std::move(name), std::move(type), std::move(shape), parameters});
    }

    void upsample(std::string const& name, Int3 factor)
    {
        // Factors, paddings, filters and kernels are range-checked by validate()
        int const f[3] = {factor.x, factor.y, factor.z};
        for (int axis = 0; axis < 3; ++axis) spatial_[axis] *= f[axis];
        add(name, "UpSampling3D", image_shape());
    }

    void zero_pad(std::string const& name, Int3 padding)
    {
        int const p[3] = {padding.x, padding.y, padding.z};
        for (int axis = 0; axis < 3; ++axis) spatial_[axis] += 2 * p[axis];
        add(name, "ZeroPadding3D", image_shape());
    }

    void conv(std::string const& name, int filters, Int3 kernel, ConvPadding padding, bool bias)
    {
        int const k[3] = {kernel.x, kernel.y, kernel.z};
        for (int axis = 0; axis < 3; ++axis)
        {
            if (padding == ConvPadding::valid)
            {
                CALO_VALIDATE(spatial_[axis] >= k[axis], network_ + " layer " + name + ": kernel " +
                                                             int3_string(kernel) + " is larger than its input " +
                                                             shape_string(image_shape()) +
                                                             " — reduce the kernel or add zero padding");
                spatial_[axis] = spatial_[axis] - k[axis] + 1;
            }
        }
        ParameterCount count;
        count.trainable = static_cast<std::int64_t>(kernel.product()) * channels_ * filters + (bias ? filters : 0);
        channels_ = filters;
        add(name, "Conv3D", image_shape(), count);
    }

    void activation(std::string const& name, Activation activation)
    {
        if (activation != Activation::linear)
            add(name, activation_type(activation), image_shape());
    }

    void batchnorm(std::string const& name)
    {
        ParameterCount count;
        count.trainable = 2 * channels_;
        count.non_trainable = 2 * channels_;
        add(name, "BatchNormalization", image_shape(), count);
    }

    //! The layers of one convolution block, named by its index.
    void block(std::size_t index, ConvBlockConfig const& block)
    {
        std::string const id = std::to_string(index);
        if (block.upsample != Int3{1, 1, 1})
            upsample("upsample" + id, block.upsample);
        if (block.zero_padding != Int3{0, 0, 0})
            zero_pad("zero_padding" + id, block.zero_padding);
        conv("conv" + id, block.filters, block.kernel, block.padding, block.bias);
        activation("activation" + id, block.activation);
        if (block.batchnorm)
            batchnorm("batchnorm" + id);
        if (block.dropout > 0)
            add("dropout" + id, "Dropout", image_shape());
    }

  private:
    std::string network_;
    std::vector<LayerInfo>& layers_;
    std::int64_t spatial_[3] = {0, 0, 0};
    std::int64_t channels_ = 0;
};
}  // namespace

//---------------------------------------------------------------------------//
std::vector<LayerInfo> describe_generator(ArchitectureConfig const& config)
{
    auto const& gen = config.generator;
    CALO_VALIDATE(config.noise_size() >= 1, "latent_size = " + std::to_string(config.latent_size) +
                                                " leaves no room for noise in family " + to_string(config.family) +
                                                " — increase latent_size");
    CALO_VALIDATE(gen.reshape.x >= 1 && gen.reshape.y >= 1 && gen.reshape.z >= 1 && gen.reshape_channels >= 1,
                  "generator.reshape must be four positive integers (x, y, z, channels) — fix the configuration");
    CALO_VALIDATE(!gen.blocks.empty(), "generator.blocks is empty — define at least one convolution block");

    std::vector<LayerInfo> layers;
    ShapeTracker shape("generator", layers);
    std::int64_t const units = gen.dense_units();
    shape.add("dense", "Dense", {units}, {config.latent_size * units + units, 0});
    shape.set(gen.reshape, gen.reshape_channels);
    shape.add("reshape", "Reshape", shape.image_shape());
    for (std::size_t i = 0; i < gen.blocks.size(); ++i) shape.block(i, gen.blocks[i]);
    return layers;
}

std::vector<LayerInfo> describe_discriminator(ArchitectureConfig const& config)
{
    auto const& disc = config.discriminator;
    auto const& image = config.image_shape;
    CALO_VALIDATE(image.nx >= 1 && image.ny >= 1 && image.nz >= 1,
                  "image_shape " + image.to_string() + " must be positive — fix the configuration");
    CALO_VALIDATE(!disc.blocks.empty(), "discriminator.blocks is empty — define at least one convolution block");

    std::vector<LayerInfo> layers;
    ShapeTracker shape("discriminator", layers);
    shape.set({image.nx, image.ny, image.nz}, 1);
    shape.add("input", "InputLayer", shape.image_shape());
    for (std::size_t i = 0; i < disc.blocks.size(); ++i) shape.block(i, disc.blocks[i]);
    int const pool[3] = {disc.pooling.x, disc.pooling.y, disc.pooling.z};
    Int3 pooled{};
    int* out[3] = {&pooled.x, &pooled.y, &pooled.z};
    for (int axis = 0; axis < 3; ++axis)
    {
        CALO_VALIDATE(pool[axis] >= 1, "discriminator.pooling " + int3_string(disc.pooling) +
                                           " must be >= 1 on every axis — fix the configuration");
        *out[axis] = static_cast<int>(shape.spatial(axis) / pool[axis]);
        CALO_VALIDATE(*out[axis] >= 1, "discriminator.pooling " + int3_string(disc.pooling) +
                                           " is larger than the trunk output " + shape_string(shape.image_shape()) +
                                           " — reduce the pooling window");
    }
    shape.set(pooled, shape.channels());
    shape.add("pooling", "AveragePooling3D", shape.image_shape());
    std::int64_t const features = static_cast<std::int64_t>(pooled.product()) * shape.channels();
    shape.add("flatten", "Flatten", {features});
    shape.add("generation", "Dense (sigmoid)", {1}, {features + 1, 0});
    shape.add("auxiliary", "Dense (linear)", {1}, {features + 1, 0});
    if (config.has_angle_head())
        shape.add("angle", "Lambda (ecal_angle)", {1});
    shape.add("ecal", "Lambda (ecal_sum)", {1});
    return layers;
}

ParameterCount count_parameters(std::vector<LayerInfo> const& layers)
{
    ParameterCount total;
    for (auto const& layer : layers) total += layer.parameters;
    return total;
}

std::string format_count(std::int64_t value)
{
    std::string digits = std::to_string(value < 0 ? -value : value);
    std::string result;
    int count = 0;
    for (auto it = digits.rbegin(); it != digits.rend(); ++it)
    {
        if (count > 0 && count % 3 == 0)
            result.push_back(',');
        result.push_back(*it);
        ++count;
    }
    if (value < 0)
        result.push_back('-');
    std::reverse(result.begin(), result.end());
    return result;
}

std::string format_layer_table(std::string const& title, std::vector<LayerInfo> const& layers)
{
    std::size_t name_width = 5;
    std::size_t type_width = 4;
    std::size_t shape_width = 18;
    for (auto const& layer : layers)
    {
        name_width = std::max(name_width, layer.name.size());
        type_width = std::max(type_width, layer.type.size());
        shape_width = std::max(shape_width, shape_string(layer.output_shape).size());
    }
    auto pad = [](std::string text, std::size_t width)
    {
        text.resize(std::max(width, text.size()), ' ');
        return text;
    };
    std::ostringstream os;
    std::size_t const width = name_width + type_width + shape_width + 6 + 12;
    os << title << '\n' << std::string(width, '=') << '\n';
    os << pad("Layer", name_width) << "  " << pad("Type", type_width) << "  " << pad("Output (x,y,z,C)", shape_width)
       << "  "
       << "Params\n";
    os << std::string(width, '-') << '\n';
    for (auto const& layer : layers)
    {
        os << pad(layer.name, name_width) << "  " << pad(layer.type, type_width) << "  "
           << pad(shape_string(layer.output_shape), shape_width) << "  " << format_count(layer.parameters.total())
           << '\n';
    }
    auto const total = count_parameters(layers);
    os << std::string(width, '=') << '\n';
    os << "Total params: " << format_count(total.total()) << '\n';
    os << "Trainable params: " << format_count(total.trainable) << '\n';
    os << "Non-trainable params: " << format_count(total.non_trainable) << '\n';
    return os.str();
}
}  // namespace calo::nn
