#pragma once
// Copy Keras 2 weights (io::KerasWeightsFile) into the generator and
// discriminator modules.
//
// Uses only the plain data of io::KerasWeightsFile (no io library code), so
// nn gains no link dependency on HDF5.
#include <string>
#include <vector>

#include "Discriminator.hh"
#include "Generator.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::nn
{
//! Kind of a Keras layer, recognised by its weights (not by its name).
enum class KerasLayerKind
{
    dense,                //!< kernel (in, out) [+ bias]
    conv3d,               //!< kernel (kx, ky, kz, in, out) [+ bias]
    batch_normalization,  //!< gamma, beta, moving_mean, moving_variance
};

//! The weights of one Keras layer.
struct KerasLayer
{
    std::string group;      //!< HDF5 group holding the weights
    std::string top_level;  //!< top-level layer (nested model) it belongs to
    std::string name;       //!< layer name, e.g. "conv3d_5"
    KerasLayerKind kind = KerasLayerKind::dense;
    std::vector<io::KerasWeight const*> weights;  //!< into the file's weights

    //! The weight called `weight_name` ("kernel", "bias", ...), or nullptr.
    io::KerasWeight const* find(std::string const& weight_name) const;
};

/*!
 * The file's layers with weights, in network order.
 *
 * Order: top-level groups as listed in the root attribute `layer_names` (by
 * natural name order without it), then layers inside a group in natural name
 * order, so conv3d_5 < conv3d_10: Keras numbers layers of a type in creation
 * order, and HDF5 lists groups alphabetically (conv3d_10 < conv3d_5). Throws
 * InputError for a layer whose weights are not a Dense, Conv3D or
 * BatchNormalization set.
 */
std::vector<KerasLayer> keras_layers(io::KerasWeightsFile const& file);

//! Natural order of names: digit runs compare as numbers ("conv3d_5" < "conv3d_10").
bool natural_less(std::string const& a, std::string const& b);

/*!
 * Load Keras generator weights into `generator` (any device).
 *
 * Layers are matched by kind and order: the one Dense layer, the Conv3D
 * layers to the blocks, the BatchNormalization layers to the blocks that have
 * one. Conv kernels (kx, ky, kz, in, out) become (out, in, kx, ky, kz); the
 * Dense kernel (in, out) becomes (out, in) unchanged otherwise, since the
 * generator reshapes the Dense output channels-last exactly as Keras does.
 * Throws InputError naming the file, the layer and both shapes for layer
 * counts or shapes that do not fit (e.g. a model-B file for model A); the
 * generator is left unchanged then.
 */
void import_keras_generator(io::KerasWeightsFile const& file, GeneratorImpl& generator);

/*!
 * Load Keras discriminator weights into `discriminator` (any device).
 *
 * Conv3D and BatchNormalization layers as for the generator; the two Dense
 * heads by name (`generation`, `auxiliary`) when the file has them, otherwise
 * in order. Dense kernels apply unchanged because the discriminator flattens
 * channels-last like Keras. Errors as import_keras_generator.
 */
void import_keras_discriminator(io::KerasWeightsFile const& file, DiscriminatorImpl& discriminator);

char const* to_string(KerasLayerKind kind);
}  // namespace calo::nn
