#pragma once
// Keras weight files and reference outputs of the independent PyTorch models
// (scripts/reference/write_model_fixture.py), written once per test process.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <map>
#include <string>

#include "TestSupport.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace calo::test
{
struct ModelFixture
{
    std::string generator_weights;                 //!< Keras 2 generator weights file
    std::string discriminator_weights;             //!< Keras 2 discriminator weights file
    std::map<std::string, io::FloatDataset> data;  //!< reference inputs/outputs by HDF5 path

    //! A reference dataset as a float32 CPU tensor of its HDF5 shape.
    torch::Tensor tensor(std::string const& name) const;
};

//! The fixture of model 'a' or 'b' (2 events, seed 1234).
ModelFixture const& model_fixture(char model);

//! Run a script of scripts/reference with Debian's Python; throws on failure.
void run_reference_script(std::string const& script, std::string const& arguments);

//! A folder that lives as long as the test process.
TempDir const& process_temp_dir();

//! max |actual - expected| <= rtol * max |expected| and per element
//! |a - e| <= rtol * (|e| + max |expected|): relative to the output's scale.
::testing::AssertionResult close_relative(torch::Tensor const& actual, torch::Tensor const& expected, double rtol);
}  // namespace calo::test
