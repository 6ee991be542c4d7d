#pragma once
// Plain description of a 3DGAN generator: layers, weights and units, with no
// framework types. The model file (ModelFile.hh) stores exactly this; the
// libtorch side (infer::to_generator_model) builds it from a checkpoint.
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace calo::inference
{
using Int3 = std::array<int, 3>;  //!< per axis (x, y, layer)

enum class Activation
{
    linear,
    relu,
    leaky_relu,
};

//! How the dense layer's input is made from noise z and conditions.
enum class Conditioning
{
    product,      //!< latent = (E / yscale) * z (fixed-angle 3DGAN)
    concatenate,  //!< latent = [E / yscale, theta_rad, z] (variable-angle 3DGAN)
};

//! Inference-mode batch normalisation: gamma * (a - mean) / sqrt(variance + epsilon) + beta.
struct BatchNormParameters
{
    std::vector<float> gamma, beta, mean, variance;  //!< one value per channel
    double epsilon = 1e-3;
};

/*!
 * One generator block: nearest upsampling by `upsample`, zero padding
 * `pad_before` / `pad_after` per axis (ZeroPadding3D and 'same' padding
 * together), a valid convolution, the activation, then optional batch
 * normalisation (it follows the activation in 3DGAN).
 */
struct ConvBlock
{
    Int3 upsample{1, 1, 1};
    Int3 pad_before{0, 0, 0};
    Int3 pad_after{0, 0, 0};
    Int3 kernel{1, 1, 1};
    int in_channels = 1;
    int out_channels = 1;
    std::vector<float> weight;  //!< (out, in, kx, ky, kz), row-major (PyTorch order)
    std::vector<float> bias;    //!< (out), or empty
    Activation activation = Activation::relu;
    double leaky_slope = 0.3;
    bool has_batchnorm = false;
    BatchNormParameters batchnorm;

    //! Output length along `axis` for an input of length `in` along it.
    int output_length(int axis, int in) const;
};

struct GeneratorModel
{
    std::string name;  //!< e.g. "3dgan-a"
    Conditioning conditioning = Conditioning::product;
    int latent_size = 200;  //!< dense input length
    double yscale = 100.0;  //!< y = E [GeV] / yscale
    //! Dense(latent -> units), units = reshape product; output read channels-last (x, y, z, c).
    std::vector<float> dense_weight;  //!< (units, latent), row-major
    std::vector<float> dense_bias;    //!< (units)
    Int3 reshape{7, 7, 8};
    int reshape_channels = 8;
    std::vector<ConvBlock> blocks;
    Int3 image_shape{25, 25, 25};
    //! Network output v -> cell energy [GeV] = max(v, 0)^(1/power) / xscale * file_unit_gev.
    double xscale = 100.0;
    double power = 1.0;
    //! GeV per unit of the training files' cells (1 for the fixed-angle layout, 1/50 variable-angle).
    double file_unit_gev = 1.0;
    std::array<double, 2> energy_range_gev{10.0, 500.0};
    std::array<double, 2> angle_range_rad{1.5707963267948966, 1.5707963267948966};
    std::string config_toml;      //!< the resolved training config (provenance)
    std::string provenance_json;  //!< build, checkpoint, time of export

    int noise_size() const { return conditioning == Conditioning::product ? latent_size : latent_size - 2; }
    bool takes_angle() const { return conditioning == Conditioning::concatenate; }
    std::size_t cells_per_event() const
    {
        return static_cast<std::size_t>(image_shape[0]) * image_shape[1] * image_shape[2];
    }
};

/*!
 * Check shapes and values: weight sizes match the declared layers, each
 * block's output feeds the next, the last block gives one channel of
 * image_shape, positive scales, finite weights. Throws std::runtime_error
 * (calo::InputError) naming `origin` and the first problem.
 */
void validate(GeneratorModel const& model, std::string const& origin);

char const* to_string(Activation activation);
char const* to_string(Conditioning conditioning);
}  // namespace calo::inference
