#pragma once
// A direct, loop-by-loop generator forward pass (dense, channels-last reshape,
// nearest upsampling, zero padding, valid convolution, activation, BatchNorm),
// written from the layer definitions and independent of the engine's
// rewrites, plus small random models to feed it. Double accumulation.
#include <cmath>
#include <vector>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::test
{
using inference::Int3;

//! Channels-last volume (x, y, z, c).
struct Volume
{
    Int3 size{0, 0, 0};
    int channels = 0;
    std::vector<double> values;

    double& at(int x, int y, int z, int c)
    {
        return values[((static_cast<std::size_t>(x) * size[1] + y) * size[2] + z) * channels + c];
    }
    double at(int x, int y, int z, int c) const
    {
        return values[((static_cast<std::size_t>(x) * size[1] + y) * size[2] + z) * channels + c];
    }
};

inline Volume upsample_and_pad(Volume const& in, inference::ConvBlock const& b)
{
    Volume out;
    for (int d = 0; d < 3; ++d) out.size[d] = in.size[d] * b.upsample[d] + b.pad_before[d] + b.pad_after[d];
    out.channels = in.channels;
    out.values.assign(static_cast<std::size_t>(out.size[0]) * out.size[1] * out.size[2] * out.channels, 0.0);
    for (int x = 0; x < in.size[0] * b.upsample[0]; ++x)
        for (int y = 0; y < in.size[1] * b.upsample[1]; ++y)
            for (int z = 0; z < in.size[2] * b.upsample[2]; ++z)
                for (int c = 0; c < in.channels; ++c)
                    out.at(x + b.pad_before[0], y + b.pad_before[1], z + b.pad_before[2], c) =
                        in.at(x / b.upsample[0], y / b.upsample[1], z / b.upsample[2], c);
    return out;
}

inline Volume apply_block(Volume const& input, inference::ConvBlock const& b)
{
    Volume const in = upsample_and_pad(input, b);
    Volume out;
    for (int d = 0; d < 3; ++d) out.size[d] = in.size[d] - b.kernel[d] + 1;
    out.channels = b.out_channels;
    out.values.assign(static_cast<std::size_t>(out.size[0]) * out.size[1] * out.size[2] * out.channels, 0.0);
    auto const [kx, ky, kz] = b.kernel;
    for (int x = 0; x < out.size[0]; ++x)
        for (int y = 0; y < out.size[1]; ++y)
            for (int z = 0; z < out.size[2]; ++z)
                for (int o = 0; o < b.out_channels; ++o)
                {
                    double sum = b.bias.empty() ? 0.0 : b.bias[o];
                    for (int i = 0; i < b.in_channels; ++i)
                        for (int tx = 0; tx < kx; ++tx)
                            for (int ty = 0; ty < ky; ++ty)
                                for (int tz = 0; tz < kz; ++tz)
                                    sum += b.weight[(((static_cast<std::size_t>(o) * b.in_channels + i) * kx + tx) *
                                                         ky +
                                                     ty) *
                                                        kz +
                                                    tz] *
                                           in.at(x + tx, y + ty, z + tz, i);
                    if (b.activation == inference::Activation::relu)
                        sum = std::max(sum, 0.0);
                    else if (b.activation == inference::Activation::leaky_relu && sum < 0)
                        sum *= b.leaky_slope;
                    if (b.has_batchnorm)
                    {
                        auto const& bn = b.batchnorm;
                        sum = bn.gamma[o] * (sum - bn.mean[o]) / std::sqrt(bn.variance[o] + bn.epsilon) + bn.beta[o];
                    }
                    out.at(x, y, z, o) = sum;
                }
    return out;
}

//! Cells [GeV] of one event from its dense-layer input (latent_size values).
inline std::vector<double> reference_forward(inference::GeneratorModel const& m, std::vector<double> const& latent)
{
    Volume v;
    v.size = m.reshape;
    v.channels = m.reshape_channels;
    std::size_t const units = m.dense_bias.size();
    v.values.resize(units);
    for (std::size_t u = 0; u < units; ++u)
    {
        double sum = m.dense_bias[u];
        for (int k = 0; k < m.latent_size; ++k) sum += m.dense_weight[u * m.latent_size + k] * latent[k];
        v.values[u] = sum;  // Keras reshape: index order (x, y, z, c) = channels-last
    }
    for (auto const& block : m.blocks) v = apply_block(v, block);
    std::vector<double> cells(v.values.size());
    for (std::size_t i = 0; i < cells.size(); ++i)
        cells[i] = std::pow(std::max(v.values[i], 0.0), 1.0 / m.power) / m.xscale * m.file_unit_gev;
    return cells;
}

inline std::vector<float> random_values(std::size_t n, double scale, Rng& rng)
{
    std::vector<float> v(n);
    for (auto& x : v) x = static_cast<float>(scale * (2 * rng.uniform() - 1));
    return v;
}

inline inference::ConvBlock random_block(Int3 upsample, Int3 pad_before, Int3 pad_after, Int3 kernel, int in, int out,
                                         inference::Activation activation, bool batchnorm, Rng& rng)
{
    inference::ConvBlock b;
    b.upsample = upsample;
    b.pad_before = pad_before;
    b.pad_after = pad_after;
    b.kernel = kernel;
    b.in_channels = in;
    b.out_channels = out;
    double const fan_in = static_cast<double>(in) * kernel[0] * kernel[1] * kernel[2];
    b.weight = random_values(static_cast<std::size_t>(fan_in) * out, std::sqrt(6.0 / fan_in), rng);
    b.bias = random_values(static_cast<std::size_t>(out), 0.1, rng);
    b.activation = activation;
    b.leaky_slope = 0.3;
    b.has_batchnorm = batchnorm;
    if (batchnorm)
    {
        b.batchnorm.gamma = random_values(out, 0.5, rng);
        for (auto& g : b.batchnorm.gamma) g += 1.0f;
        b.batchnorm.beta = random_values(out, 0.2, rng);
        b.batchnorm.mean = random_values(out, 0.2, rng);
        b.batchnorm.variance = random_values(out, 0.4, rng);
        for (auto& v : b.batchnorm.variance) v += 0.8f;
        b.batchnorm.epsilon = 1e-3;
    }
    return b;
}

/*!
 * A small generator with the features of the 3DGAN presets: a 'same' first
 * block without upsampling (foldable into the dense layer), upsampling blocks
 * with asymmetric padding and even kernels, BatchNorm, and a ReLU output with
 * a power transform. The last block is a valid 2x2x2 convolution to one
 * channel as in the presets (the engine's hand-written kernel; output 6 x 7 x
 * 9 cells), or with `padded_last` a padded one (oneDNN; 9 x 8 x 10 cells).
 */
inline inference::GeneratorModel small_model(inference::Conditioning conditioning, std::uint64_t seed,
                                             bool padded_last = false)
{
    Rng rng(seed);
    inference::GeneratorModel m;
    m.name = "small";
    m.conditioning = conditioning;
    m.latent_size = 12;
    m.reshape = {3, 3, 4};
    m.reshape_channels = 4;
    std::size_t const units = 3 * 3 * 4 * 4;
    m.dense_weight = random_values(units * m.latent_size, 0.5, rng);
    m.dense_bias = random_values(units, 0.1, rng);
    using inference::Activation;
    // 3x3x4 -> 'same' 4x3x2 -> 3x3x4 (8 channels)
    m.blocks.push_back(random_block({1, 1, 1}, {1, 1, 0}, {2, 1, 1}, {4, 3, 2}, 4, 8, Activation::leaky_relu, true, rng));
    // up 2x2x3 -> 6x6x12, pad (2,1,1)/(1,2,0) -> 9x9x13, kernel 3x2x4 -> 7x8x10
    m.blocks.push_back(random_block({2, 2, 3}, {2, 1, 1}, {1, 2, 0}, {3, 2, 4}, 8, 5, Activation::leaky_relu, true, rng));
    if (padded_last)
    {
        // 7x8x10 pad (1,0,0)/(2,1,1) -> 10x9x11, kernel 2x2x2 -> 9x8x10, 1 channel
        m.blocks.push_back(
            random_block({1, 1, 1}, {1, 0, 0}, {2, 1, 1}, {2, 2, 2}, 5, 1, Activation::relu, false, rng));
        m.image_shape = {9, 8, 10};
    }
    else
    {
        // 7x8x10, kernel 2x2x2 -> 6x7x9, 1 channel
        m.blocks.push_back(
            random_block({1, 1, 1}, {0, 0, 0}, {0, 0, 0}, {2, 2, 2}, 5, 1, Activation::relu, false, rng));
        m.image_shape = {6, 7, 9};
    }
    m.xscale = 2.0;
    m.power = 0.85;
    m.file_unit_gev = 1.0;
    m.energy_range_gev = {10, 500};
    m.config_toml = "name = \"small\"";
    m.provenance_json = "{}";
    return m;
}
}  // namespace calo::test
