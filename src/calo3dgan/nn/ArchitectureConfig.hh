#pragma once
// Everything that defines a 3DGAN generator/discriminator pair, plus the
// training hyper-parameters that belong to the same reference preset.
//
// The two reference presets (configs/3dgan-a.toml, configs/3dgan-b.toml and the
// built-in preset_a(), preset_b() of Presets.hh; TOML in ConfigToml.hh) follow
// the original Keras code:
//   A: svalleco/3Dgan Energy-gan:keras/EcalEnergyGan.py (25x25x25, latent 200,
//      energy-only multiplicative conditioning);
//   B: svalleco/3Dgan Anglegan:keras/AngleArch3dGAN.py (51x51x25, latent 256 =
//      [y, theta, z(254)], power 0.85).
//
// This header is torch-free so that configuration code (CLI, checkpoints) can
// use it without pulling in libtorch.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "calo3dgan/event/SamplingFraction.hh"
#include "calo3dgan/geo/ImageShape.hh"

namespace calo::nn
{
//---------------------------------------------------------------------------//
//! How the generator is conditioned (and which discriminator heads exist).
enum class ModelFamily
{
    a,  //!< input = y * z (multiplicative energy); D heads: p, E, ECAL
    b,  //!< input = [y, theta, z]; D heads: p, E, angle, ECAL
};

//! Activation after a convolution.
enum class Activation
{
    linear,
    relu,
    leaky_relu,  //!< slope ArchitectureConfig::leaky_relu_slope
};

//! Keras kernel initialisers (Keras 2.2.4 semantics, see Initializers.hh).
enum class Initializer
{
    glorot_uniform,  //!< U(+-sqrt(6 / (fan_in + fan_out))), the Keras default
    glorot_normal,   //!< truncated normal, std sqrt(2 / (fan_in + fan_out))
    he_uniform,      //!< U(+-sqrt(6 / fan_in))
    he_normal,       //!< truncated normal, std sqrt(2 / fan_in)
};

//! Convolution padding (Keras names).
enum class ConvPadding
{
    valid,  //!< no padding
    same,   //!< TensorFlow 'same': total k-1, floor((k-1)/2) before, rest after
};

/*!
 * Zeros before and after one axis of a convolution's input: the
 * ZeroPadding3D width plus TensorFlow 'same' padding at stride 1 (k - 1 in
 * total, floor((k - 1) / 2) before, the rest after; kernel 6: 2 and 3).
 */
inline std::pair<int, int> conv_zeros(int zero_padding, ConvPadding mode, int kernel)
{
    int const same_before = mode == ConvPadding::same ? (kernel - 1) / 2 : 0;
    int const same_after = mode == ConvPadding::same ? kernel - 1 - (kernel - 1) / 2 : 0;
    return {zero_padding + same_before, zero_padding + same_after};
}

//! Per-axis integers, ordered (x, y, z) = (D, H, W) of an NCDHW tensor.
struct Int3
{
    int x = 0;
    int y = 0;
    int z = 0;

    int product() const { return x * y * z; }
    friend bool operator==(Int3 a, Int3 b) { return a.x == b.x && a.y == b.y && a.z == b.z; }
    friend bool operator!=(Int3 a, Int3 b) { return !(a == b); }
};

//---------------------------------------------------------------------------//
/*!
 * One convolution stage of either network:
 * [upsample] -> [zero pad] -> conv -> activation -> [BN] -> [dropout].
 *
 * Generator blocks use the upsampling (Keras applies UpSampling3D after the
 * previous BN; attaching it to the next block gives the same layer sequence)
 * and never dropout; discriminator blocks the reverse. Each field is listed
 * once in ConvBlockFields.hh, which drives equality, TOML reading and
 * writing, validation and `--set` overrides.
 */
struct ConvBlockConfig
{
    Int3 upsample{1, 1, 1};      //!< nearest-neighbour repeat factors (UpSampling3D); generator only
    Int3 zero_padding{0, 0, 0};  //!< symmetric zeros per side (ZeroPadding3D)
    int filters = 1;             //!< output channels
    Int3 kernel{1, 1, 1};        //!< kernel size (kx, ky, kz)
    ConvPadding padding = ConvPadding::valid;
    bool bias = true;
    Initializer initializer = Initializer::he_uniform;  //!< kernel initialiser
    Activation activation = Activation::relu;
    bool batchnorm = false;  //!< BatchNormalization after the activation
    double dropout = 0.0;    //!< element-wise dropout rate (Keras Dropout); discriminator only

    //! What a generator block not given in full starts from.
    static ConvBlockConfig generator_default() { return {}; }
    //! What a discriminator block not given in full starts from.
    static ConvBlockConfig discriminator_default();

    friend bool operator==(ConvBlockConfig const& a, ConvBlockConfig const& b);
    friend bool operator!=(ConvBlockConfig const& a, ConvBlockConfig const& b) { return !(a == b); }
};

//! Generator: Dense(latent -> prod(reshape)) -> channels-last reshape -> blocks.
struct GeneratorConfig
{
    //! Dense output reshaped as (x, y, z, channels), channels fastest as in
    //! Keras Reshape on channels_last data. Dense units = product of the four.
    Int3 reshape{7, 7, 8};
    int reshape_channels = 8;
    Initializer dense_initializer = Initializer::glorot_uniform;
    std::vector<ConvBlockConfig> blocks;

    int dense_units() const { return reshape.product() * reshape_channels; }
    friend bool operator==(GeneratorConfig const& a, GeneratorConfig const& b);
    friend bool operator!=(GeneratorConfig const& a, GeneratorConfig const& b) { return !(a == b); }
};

//! Discriminator: blocks -> AveragePooling3D (floor) -> channels-last Flatten
//! -> Dense(1, sigmoid) 'generation' and Dense(1, linear) 'auxiliary'; plus
//! the parameter-free ECAL-sum head and, for family b, the angle head.
struct DiscriminatorConfig
{
    std::vector<ConvBlockConfig> blocks;
    Int3 pooling{2, 2, 2};  //!< average-pooling window = stride
    Initializer dense_initializer = Initializer::glorot_uniform;

    friend bool operator==(DiscriminatorConfig const& a, DiscriminatorConfig const& b);
    friend bool operator!=(DiscriminatorConfig const& a, DiscriminatorConfig const& b) { return !(a == b); }
};

//! BatchNormalization settings, in Keras convention.
struct BatchNormConfig
{
    //! Keras momentum: moving = m * moving + (1 - m) * batch. PyTorch's
    //! momentum is 1 - m (0.99 -> 0.01).
    double momentum = 0.99;
    double epsilon = 1e-3;

    double torch_momentum() const { return 1.0 - momentum; }
    friend bool operator==(BatchNormConfig const& a, BatchNormConfig const& b)
    {
        return a.momentum == b.momentum && a.epsilon == b.epsilon;
    }
    friend bool operator!=(BatchNormConfig const& a, BatchNormConfig const& b) { return !(a == b); }
};

//! Training hyper-parameters of the reference presets (docs/training.md).
struct TrainConfig
{
    //! Loss weights per discriminator output: A [BCE, MAPE(y), MAPE(ECAL)];
    //! B [BCE, MAPE(y), MAE(theta), MAPE(ECAL)].
    std::vector<double> loss_weights{2.0, 0.1, 0.1};
    double learning_rate = 1e-3;  //!< RMSprop
    double rho = 0.9;             //!< RMSprop decay (torch alpha)
    double epsilon = 1e-7;        //!< RMSprop epsilon (outside the square root)
    int batch_size = 128;
    int epochs = 50;
    double xscale = 100.0;  //!< cell energies are multiplied by this
    double yscale = 100.0;  //!< y = E_p [GeV] / yscale
    //! Range of y sampled for fake events (A: U(0.1, 5) = 10-500 GeV).
    double energy_min = 0.1;
    double energy_max = 5.0;
    //! Range of theta [rad] sampled when no real conditions are given (B only:
    //! 60-120 degrees, Anglegan:keras/misc/InferenceTime.py).
    double angle_min_rad = 0.0;
    double angle_max_rad = 0.0;
    //! Sampling fraction [%] against y, highest degree first: the ECAL target
    //! of model-A fakes is ratio(y) * y * xscale / 100. Default: 3DGAN's fit of
    //! its Geant4 data; a model trained on other showers takes the fit of its
    //! own data (`calo3dgan inspect --fit-sampling-fraction`). Unused by B.
    std::vector<double> sampling_fraction = event::reference_sampling_fraction();

    friend bool operator==(TrainConfig const& a, TrainConfig const& b);
    friend bool operator!=(TrainConfig const& a, TrainConfig const& b) { return !(a == b); }
};

//---------------------------------------------------------------------------//
/*!
 * Complete, validated description of a 3DGAN model pair.
 *
 * Images are (N, 1, x, y, z) tensors (NCDHW with D = x, H = y, W = z layers).
 */
struct ArchitectureConfig
{
    std::string name = "3dgan-a";
    ModelFamily family = ModelFamily::a;
    //! Length of the dense layer's input: A 200 (= noise), B 256 (= 2 + noise).
    int latent_size = 200;
    geo::ImageShape image_shape = geo::kFixedAngleShape;
    //! Cell energies enter the networks as E^power (B: 0.85); the ECAL and
    //! angle heads undo it with x^(1/power).
    double power = 1.0;
    double leaky_relu_slope = 0.3;  //!< Keras LeakyReLU default alpha
    BatchNormConfig batchnorm;
    GeneratorConfig generator;
    DiscriminatorConfig discriminator;
    TrainConfig train;

    //! Conditioning inputs per event: A 1 (y), B 2 (y, theta).
    int num_conditions() const { return family == ModelFamily::a ? 1 : 2; }
    //! Gaussian noise inputs per event: A latent_size, B latent_size - 2.
    int noise_size() const { return family == ModelFamily::a ? latent_size : latent_size - 2; }
    //! Whether the discriminator has the measured-angle head.
    bool has_angle_head() const { return family == ModelFamily::b; }

    friend bool operator==(ArchitectureConfig const& a, ArchitectureConfig const& b);
    friend bool operator!=(ArchitectureConfig const& a, ArchitectureConfig const& b) { return !(a == b); }
};

//---------------------------------------------------------------------------//
/*!
 * Check consistency: positive sizes, layer output shapes, the generator
 * output equal to image_shape (one channel), a non-empty pooled discriminator
 * trunk, loss-weight count per family. Throws InputError ("what — fix").
 */
void validate(ArchitectureConfig const& config);

//! Names used in TOML and messages.
char const* to_string(ModelFamily value);
char const* to_string(Activation value);
char const* to_string(Initializer value);
char const* to_string(ConvPadding value);
}  // namespace calo::nn
