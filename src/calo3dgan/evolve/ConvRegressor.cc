#include "calo3dgan/evolve/ConvRegressor.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
double bound(std::int64_t fan_in)
{
    return 1.0 / std::sqrt(static_cast<double>(fan_in));
}

torch::Tensor activate(torch::Tensor const& x, Activation activation)
{
    switch (activation)
    {
        case Activation::leaky_relu:
            return torch::leaky_relu(x, ConvRegressor::kLeakySlope);
        case Activation::relu:
            return torch::relu(x);
        case Activation::elu:
            return torch::elu(x);
        case Activation::tanh:
            return torch::tanh(x);
    }
    return x;
}
}  // namespace

ConvRegressor::ConvRegressor(int rows, int cols, RegressorArchitecture architecture)
    : rows_(rows), cols_(cols), architecture_(std::move(architecture)), space_({})
{
    auto const& a = architecture_;
    CALO_VALIDATE(!a.layers.empty() && a.layers.size() <= 3, "a searched regressor has 1 to 3 convolutions, not "
                                                                  + std::to_string(a.layers.size()));
    CALO_VALIDATE(a.hidden_units >= 0, "hidden units must not be negative");
    std::vector<ParameterBlock> blocks;
    std::int64_t r = rows;
    std::int64_t c = cols;
    std::int64_t channels = 1;
    for (std::size_t i = 0; i < a.layers.size(); ++i)
    {
        auto const& layer = a.layers[i];
        CALO_VALIDATE(layer.filters >= 1 && layer.kernel >= 1 && layer.stride >= 1,
                      "convolution filters, kernel and stride must be at least 1");
        CALO_VALIDATE(layer.kernel <= r && layer.kernel <= c,
                      "convolution " + std::to_string(i + 1) + " has a " + std::to_string(layer.kernel)
                          + "-cell kernel but its input is " + std::to_string(r) + "x" + std::to_string(c)
                          + " — use a smaller kernel or stride");
        std::int64_t const fan_in = channels * layer.kernel * layer.kernel;
        auto const name = "conv" + std::to_string(i + 1);
        blocks.push_back({name + ".weight", {layer.filters, channels, layer.kernel, layer.kernel}, -bound(fan_in),
                          bound(fan_in)});
        if (a.bias)
            blocks.push_back({name + ".bias", {layer.filters}, -bound(fan_in), bound(fan_in)});
        r = convolution_output(static_cast<int>(r), layer.kernel, layer.stride);
        c = convolution_output(static_cast<int>(c), layer.kernel, layer.stride);
        operations_ += fan_in * layer.filters * r * c;
        extents_.push_back(r);
        extents_.push_back(c);
        channels = layer.filters;
    }
    features_ = channels * r * c;
    std::int64_t inputs = features_;
    if (a.hidden_units > 0)
    {
        blocks.push_back({"hidden.weight", {a.hidden_units, inputs}, -bound(inputs), bound(inputs)});
        if (a.bias)
            blocks.push_back({"hidden.bias", {a.hidden_units}, -bound(inputs), bound(inputs)});
        operations_ += inputs * a.hidden_units;
        inputs = a.hidden_units;
    }
    blocks.push_back({"dense.weight", {1, inputs}, -bound(inputs), bound(inputs)});
    if (a.bias)
        blocks.push_back({"dense.bias", {1}, -bound(inputs), bound(inputs)});
    operations_ += inputs;
    space_ = ParameterSpace(std::move(blocks));
}

torch::Tensor ConvRegressor::forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const
{
    // Views into the flat vector, in the order of space().blocks().
    std::size_t block = 0;
    auto take = [&] {
        auto const& b = space_.blocks()[block];
        auto const offset = static_cast<std::int64_t>(space_.offset(block));
        ++block;
        return parameters.slice(0, offset, offset + static_cast<std::int64_t>(b.size())).view(b.shape);
    };
    auto const& a = architecture_;
    auto x = images_gev.unsqueeze(1) * kInputScale;
    for (auto const& layer : a.layers)
    {
        auto const weight = take();
        auto const bias = a.bias ? take() : torch::Tensor();
        x = activate(torch::conv2d(x, weight, bias, layer.stride), a.activation);
    }
    x = x.flatten(1);
    if (a.hidden_units > 0)
    {
        auto const weight = take();
        auto const bias = a.bias ? take() : torch::Tensor();
        x = activate(torch::linear(x, weight, bias), a.activation);
    }
    auto const weight = take();
    auto const bias = a.bias ? take() : torch::Tensor();
    return torch::linear(x, weight, bias).squeeze(1) * kEnergyScaleGev;
}

nlohmann::json ConvRegressor::describe() const
{
    return {{"input", {rows_, cols_}},
            {"architecture", to_json(architecture_)},
            {"conv_outputs", extents_},
            {"features", features_},
            {"operations", operations_},
            {"input_scale", kInputScale},
            {"energy_scale_gev", kEnergyScaleGev},
            {"parameter_space", space_.describe()}};
}
}  // namespace calo::evolve
