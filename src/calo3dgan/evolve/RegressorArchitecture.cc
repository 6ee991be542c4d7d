#include "calo3dgan/evolve/RegressorArchitecture.hh"

#include <algorithm>
#include <cmath>
#include <fstream>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
Activation parse_activation(std::string const& name)
{
    if (name == "leaky_relu")
        return Activation::leaky_relu;
    if (name == "relu")
        return Activation::relu;
    if (name == "elu")
        return Activation::elu;
    if (name == "tanh")
        return Activation::tanh;
    throw UsageError("unknown activation '" + name + "' — use leaky_relu, relu, elu or tanh");
}

std::string to_string(Activation activation)
{
    switch (activation)
    {
        case Activation::leaky_relu:
            return "leaky_relu";
        case Activation::relu:
            return "relu";
        case Activation::elu:
            return "elu";
        case Activation::tanh:
            return "tanh";
    }
    return "?";
}

bool operator==(RegressorArchitecture const& a, RegressorArchitecture const& b)
{
    return a.layers == b.layers && a.activation == b.activation && a.hidden_units == b.hidden_units
           && a.bias == b.bias && a.learning_rate == b.learning_rate && a.batch == b.batch;
}

RegressorArchitecture paper_architecture()
{
    return RegressorArchitecture{};
}

int convolution_output(int in, int kernel, int stride)
{
    return in >= kernel && kernel >= 1 && stride >= 1 ? (in - kernel) / stride + 1 : 0;
}

RegressorArchitecture fitted(RegressorArchitecture architecture, int rows, int cols)
{
    for (auto& layer : architecture.layers)
    {
        layer.kernel = std::max(1, std::min({layer.kernel, rows, cols}));
        rows = convolution_output(rows, layer.kernel, layer.stride);
        cols = convolution_output(cols, layer.kernel, layer.stride);
    }
    return architecture;
}

nlohmann::json to_json(RegressorArchitecture const& a)
{
    auto layers = nlohmann::json::array();
    for (auto const& layer : a.layers)
        layers.push_back({{"filters", layer.filters}, {"kernel", layer.kernel}, {"stride", layer.stride}});
    return {{"conv_layers", std::move(layers)},
            {"activation", to_string(a.activation)},
            {"hidden_units", a.hidden_units},
            {"bias", a.bias},
            {"learning_rate", a.learning_rate},
            {"batch", a.batch}};
}

RegressorArchitecture architecture_from_json(nlohmann::json const& json, std::string const& origin)
{
    RegressorArchitecture a;
    try
    {
        a.layers.clear();
        for (auto const& layer : json.at("conv_layers"))
            a.layers.push_back({layer.at("filters").get<int>(), layer.at("kernel").get<int>(),
                                layer.at("stride").get<int>()});
        a.activation = parse_activation(json.at("activation").get<std::string>());
        a.hidden_units = json.at("hidden_units").get<int>();
        a.bias = json.at("bias").get<bool>();
        a.learning_rate = json.at("learning_rate").get<double>();
        a.batch = json.at("batch").get<int>();
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError("malformed architecture (where: " + origin + ": " + e.what()
                         + ") — use a best_architecture.json written by calo3dgan search");
    }
    catch (UsageError const& e)
    {
        throw InputError(std::string(e.what()) + " (where: " + origin + ")");
    }
    CALO_VALIDATE(!a.layers.empty() && a.layers.size() <= 3,
                  "the architecture has " + std::to_string(a.layers.size()) + " convolution layers (where: " + origin
                      + ") — it must have 1 to 3");
    for (auto const& layer : a.layers)
        CALO_VALIDATE(layer.filters >= 1 && layer.kernel >= 1 && layer.stride >= 1,
                      "convolution filters, kernel and stride must be at least 1 (where: " + origin + ")");
    CALO_VALIDATE(a.hidden_units >= 0, "hidden_units must not be negative (where: " + origin + ")");
    CALO_VALIDATE(a.learning_rate > 0 && std::isfinite(a.learning_rate),
                  "the learning rate must be positive (where: " + origin + ")");
    CALO_VALIDATE(a.batch >= 1, "the batch must be at least 1 (where: " + origin + ")");
    return a;
}

RegressorArchitecture read_architecture(std::string const& path)
{
    std::ifstream in(path);
    CALO_VALIDATE(in.good(), "cannot read the architecture file (where: " + path
                                 + ") — pass the best_architecture.json of a calo3dgan search run");
    nlohmann::json json;
    try
    {
        json = nlohmann::json::parse(in);
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError("the architecture file is not JSON (where: " + path + ": " + e.what() + ")");
    }
    return architecture_from_json(json.contains("architecture") ? json.at("architecture") : json, path);
}
}  // namespace calo::evolve
