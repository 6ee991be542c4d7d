#pragma once
// How a model's network units relate to the dataset files (torch-free).
#include "calo3dgan/io/DatasetLayout.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::infer
{
/*!
 * The dataset layout whose window is the model's image shape: 25x25x25 ->
 * layout a (cells in GeV), 51x51x25 -> layout b (GeV x 50). InputError for a
 * model whose images fit neither.
 */
io::Layout layout_for(nn::ArchitectureConfig const& config);

/*!
 * The model's preprocessing: the io preset of its family (model A
 * EcalEnergyTrain.py::GetprocData, model B AngleTrain3dGAN.py::GetDataAngle)
 * with the config's xscale, yscale and power. Training uses the same values,
 * so postprocess_in_place with them turns generator output back into file units.
 */
io::PreprocessOptions preprocess_options(nn::ArchitectureConfig const& config);
}  // namespace calo::infer
