#include "calo3dgan/evolve/EnergyRegressor.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
std::vector<ParameterBlock> regressor_blocks(RegressorOptions const& o, int features)
{
    double const conv_bound = 1.0 / std::sqrt(static_cast<double>(o.kernel * o.kernel));
    double const dense_bound = 1.0 / std::sqrt(static_cast<double>(features));
    std::vector<ParameterBlock> blocks;
    blocks.push_back({"conv.weight", {o.filters, 1, o.kernel, o.kernel}, -conv_bound, conv_bound});
    if (o.trainable_bias)
        blocks.push_back({"conv.bias", {o.filters}, -conv_bound, conv_bound});
    blocks.push_back({"dense.weight", {1, features}, -dense_bound, dense_bound});
    if (o.trainable_bias)
        blocks.push_back({"dense.bias", {1}, -dense_bound, dense_bound});
    return blocks;
}

int output_extent(int in, RegressorOptions const& o)
{
    return in >= o.kernel && o.stride >= 1 ? (in - o.kernel) / o.stride + 1 : 0;
}

RegressorOptions const& validated(RegressorOptions const& o, int rows, int cols)
{
    CALO_VALIDATE(o.filters >= 1 && o.kernel >= 1 && o.stride >= 1,
                  "regressor filters, kernel and stride must be at least 1");
    CALO_VALIDATE(o.kernel <= rows && o.kernel <= cols,
                  "regressor kernel " + std::to_string(o.kernel) + " is larger than the " + std::to_string(rows) + "x"
                      + std::to_string(cols) + " projected image — use a smaller kernel");
    CALO_VALIDATE(o.input_scale > 0 && o.energy_scale_gev > 0, "regressor input and energy scales must be positive");
    CALO_VALIDATE(std::isfinite(o.bias), "the regressor bias must be finite");
    return o;
}
}  // namespace

EnergyRegressor::EnergyRegressor(int rows, int cols, RegressorOptions options)
    : rows_(rows), cols_(cols), options_(validated(options, rows, cols)), out_rows_(output_extent(rows, options_)),
      out_cols_(output_extent(cols, options_)),
      space_(regressor_blocks(options_, options_.filters * out_rows_ * out_cols_))
{
}

torch::Tensor EnergyRegressor::forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const
{
    // Views into the flat vector, in the order of space().blocks().
    std::int64_t offset = 0;
    auto take = [&](std::vector<std::int64_t> const& shape) {
        std::int64_t n = 1;
        for (auto e : shape)
            n *= e;
        auto view = parameters.slice(0, offset, offset + n).view(shape);
        offset += n;
        return view;
    };
    auto const& o = options_;
    std::int64_t const features = static_cast<std::int64_t>(o.filters) * out_rows_ * out_cols_;
    auto const conv_weight = take({o.filters, 1, o.kernel, o.kernel});
    auto const conv_bias = o.trainable_bias ? take({o.filters})
                           : o.bias != 0    ? torch::full({o.filters}, o.bias, parameters.options())
                                            : torch::Tensor();
    auto const dense_weight = take({1, features});
    auto const dense_bias = o.trainable_bias ? take({1})
                            : o.bias != 0    ? torch::full({1}, o.bias, parameters.options())
                                             : torch::Tensor();
    auto x = images_gev.unsqueeze(1) * o.input_scale;
    x = torch::conv2d(x, conv_weight, conv_bias, o.stride);
    x = torch::leaky_relu(x, o.leaky_slope).flatten(1);
    return torch::linear(x, dense_weight, dense_bias).squeeze(1) * o.energy_scale_gev;
}

nlohmann::json EnergyRegressor::describe() const
{
    auto const& o = options_;
    return {{"input", {rows_, cols_}},
            {"filters", o.filters},
            {"kernel", o.kernel},
            {"stride", o.stride},
            {"conv_output", {o.filters, out_rows_, out_cols_}},
            {"leaky_slope", o.leaky_slope},
            {"bias", o.trainable_bias ? nlohmann::json("trainable") : nlohmann::json(o.bias)},
            {"input_scale", o.input_scale},
            {"energy_scale_gev", o.energy_scale_gev},
            {"parameter_space", space_.describe()}};
}

}  // namespace calo::evolve
