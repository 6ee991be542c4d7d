#pragma once
// What an architecture search decides about the energy regressor: its
// convolution stack, activation, hidden dense layer, biases, and the learning
// rate and batch of its RMSprop training. Torch-free; ConvRegressor builds
// the network. Written to and read from JSON (best_architecture.json of
// `calo3dgan search`, read by `calo3dgan evolve --architecture`).
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::evolve
{
enum class Activation
{
    leaky_relu,  //!< slope 0.3, the Keras default of 3DGAN (the AISIS 2019 paper's network)
    relu,
    elu,
    tanh
};
Activation parse_activation(std::string const& name);
std::string to_string(Activation activation);

struct ConvLayer
{
    int filters = 8;
    int kernel = 5;  //!< square kernel [cells]
    int stride = 2;  //!< [cells], no padding

    friend bool operator==(ConvLayer const& a, ConvLayer const& b)
    {
        return a.filters == b.filters && a.kernel == b.kernel && a.stride == b.stride;
    }
};

struct RegressorArchitecture
{
    std::vector<ConvLayer> layers{ConvLayer{}};  //!< 1 to 3 convolutions
    Activation activation = Activation::leaky_relu;  //!< after every convolution and the hidden layer
    int hidden_units = 0;  //!< dense layer before the output (0: none)
    bool bias = false;  //!< trainable biases (the AISIS 2019 paper's Table 1: bias 0)
    double learning_rate = 1e-3;  //!< RMSprop (Keras default)
    int batch = 128;  //!< events per RMSprop step / GA fitness evaluation (Carminati et al. 2019, Table 1)

    friend bool operator==(RegressorArchitecture const& a, RegressorArchitecture const& b);
};

//! The network of the AISIS 2019 paper (§5.1): one 8-filter 5x5 convolution with
//! stride 2 and LeakyReLU, one dense output, no biases; RMSprop at 1e-3 on
//! batches of 128 (its Table 1). The `evolve` defaults.
RegressorArchitecture paper_architecture();

//! Output extent of a convolution over `in` cells (0 when the kernel does not fit).
int convolution_output(int in, int kernel, int stride);

//! The architecture made to fit rows x cols images: a kernel larger than
//! what reaches its layer shrinks to it. Genes are repaired, never rejected,
//! so that no search budget goes to candidates that cannot be built.
RegressorArchitecture fitted(RegressorArchitecture architecture, int rows, int cols);

nlohmann::json to_json(RegressorArchitecture const& architecture);
//! Throws InputError (naming `origin`) for a malformed or out-of-range object.
RegressorArchitecture architecture_from_json(nlohmann::json const& json, std::string const& origin);
//! An exported architecture file: either the architecture object itself or
//! a file with it under "architecture" (best_architecture.json). Throws
//! InputError naming the file.
RegressorArchitecture read_architecture(std::string const& path);
}  // namespace calo::evolve
