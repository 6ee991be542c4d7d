#pragma once
// The generator model file: one HDF5 file with the generator's layers,
// weights, conditioning and output units, read without libtorch.
// Format described in docs/inference.md ("Model file").
#include <string>

#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::inference
{
//! Value of the root attribute `format`.
inline constexpr char const kModelFileFormat[] = "calo3dgan-generator";
//! Version written; readers refuse newer ones.
inline constexpr int kModelFileVersion = 1;

/*!
 * Read and validate a model file. Every dataset's shape is checked against
 * the layer it belongs to before anything is read, so a damaged file cannot
 * make the reader allocate more than the declared model needs. Throws
 * std::runtime_error (calo::InputError) with one line naming the file and the
 * problem: not HDF5, another format, a newer version, missing or
 * wrongly-shaped weights, truncation.
 */
GeneratorModel read_model_file(std::string const& path);

/*!
 * Write `model` (validated first) to `path` through a temporary file in the
 * same folder and a rename: an interrupted or failed write leaves no file.
 * Refuses an existing `path` unless `overwrite`.
 */
void write_model_file(GeneratorModel const& model, std::string const& path, bool overwrite = false);

//! Whether `path` is an HDF5 file whose root says it is a generator model file.
bool is_model_file(std::string const& path);
}  // namespace calo::inference
