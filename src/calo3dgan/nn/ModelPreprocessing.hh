#pragma once
// A model's input preprocessing, derived from its configuration (torch-free).
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn
{
/*!
 * The model's preprocessing: the io preset of its family (model A
 * EcalEnergyTrain.py::GetprocData, model B AngleTrain3dGAN.py::GetDataAngle;
 * docs/preprocessing.md) with the config's xscale, yscale and power.
 * Training, generation and scoring all use it, so postprocess_in_place with
 * the same values turns generator output back into file units.
 */
io::PreprocessOptions preprocess_options(ArchitectureConfig const& config);
}  // namespace calo::nn
