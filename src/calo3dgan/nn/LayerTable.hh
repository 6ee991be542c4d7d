#pragma once
// Layer-by-layer description of the networks, derived from the configuration
// alone (no torch): output shapes in the Keras order, parameter counts as
// Keras reports them (BN moving mean/variance are "non-trainable").
//
// Used by `calo3dgan info`, by validate() for shape checks, and by tests that
// compare it with the built modules.
#include <cstdint>
#include <string>
#include <vector>

namespace torch::nn
{
class Module;
}

namespace calo::nn
{
struct ArchitectureConfig;

//! Parameter counts in Keras's convention.
struct ParameterCount
{
    std::int64_t trainable = 0;      //!< weights, biases, BN gamma and beta
    std::int64_t non_trainable = 0;  //!< BN moving mean and variance

    std::int64_t total() const { return trainable + non_trainable; }
    ParameterCount& operator+=(ParameterCount const& other)
    {
        trainable += other.trainable;
        non_trainable += other.non_trainable;
        return *this;
    }
};

//! One row of the layer table.
struct LayerInfo
{
    std::string name;  //!< module name for layers with parameters ("conv0", "batchnorm0")
    std::string type;  //!< Keras layer type ("Conv3D", "BatchNormalization", ...)
    //! Per-event output shape: (x, y, z, C) for images, (units) for vectors.
    std::vector<std::int64_t> output_shape;
    ParameterCount parameters;
};

//! Generator layers from the dense input to the final activation.
std::vector<LayerInfo> describe_generator(ArchitectureConfig const& config);

//! Discriminator layers: trunk, pooling, flatten, then the heads.
std::vector<LayerInfo> describe_discriminator(ArchitectureConfig const& config);

//! Sum over the layers.
ParameterCount count_parameters(std::vector<LayerInfo> const& layers);

//! Parameter counts of a built module tree in the same convention: BatchNorm
//! running mean and variance are non-trainable, its batch counter is ignored,
//! frozen parameters (requires_grad false) are non-trainable.
//! (Defined with the torch code, in Initializers.cc.)
ParameterCount count_module_parameters(torch::nn::Module const& module);

//! Fixed-width table with a title line and a totals footer, Keras-summary style.
std::string format_layer_table(std::string const& title, std::vector<LayerInfo> const& layers);

//! Integer with thousands separators: 872808 -> "872,808".
std::string format_count(std::int64_t value);
}  // namespace calo::nn
