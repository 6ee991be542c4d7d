#pragma once
// From a libtorch generator to the inference engine's plain model description.
#include <string>

#include "calo3dgan/inference/GeneratorModel.hh"
#include "calo3dgan/nn/Generator.hh"

namespace calo::infer
{
/*!
 * Copy the generator's layers, weights (BatchNorm with its moving
 * statistics, as in inference mode), conditioning and output units into a
 * GeneratorModel. Keras padding (ZeroPadding3D plus 'same') becomes explicit
 * zeros before and after each convolution. `provenance_json` is stored as is.
 */
inference::GeneratorModel to_generator_model(nn::Generator const& generator, std::string const& provenance_json = "{}");
}  // namespace calo::infer
