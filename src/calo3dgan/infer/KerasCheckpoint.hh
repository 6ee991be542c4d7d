#pragma once
// Turn Keras 2 weight files of the original 3DGAN into a calo3dgan checkpoint.
#include <string>

#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::infer
{
//! What to import and where to write it.
struct KerasImportRequest
{
    //! Architecture of the weights (a preset: nn::preset_a()/preset_b()), with
    //! the data scaling they were trained with (train.xscale, train.yscale):
    //! it is stored in the checkpoint so that generation returns file units.
    nn::ArchitectureConfig config = nn::preset_a();
    std::string generator_file;      //!< Keras generator weights (required)
    std::string discriminator_file;  //!< Keras discriminator weights; empty: none
    std::string output;              //!< checkpoint file to write
    std::string metadata_json;       //!< provenance stored in the checkpoint ("{}" if empty)
    bool overwrite = false;          //!< replace an existing output file
};

/*!
 * Read the weight files, load them into fresh networks of `config`
 * (nn::import_keras_generator/_discriminator) and write a checkpoint that
 * nn::load_checkpoint reads (no optimizer state: it cannot be resumed).
 *
 * Everything is read and checked before the output is written, and the
 * output appears atomically: on any error (missing or foreign file, layer or
 * shape mismatch, an existing output without `overwrite`) an InputError with
 * one line is thrown and nothing is written.
 */
void import_keras_checkpoint(KerasImportRequest const& request);
}  // namespace calo::infer
