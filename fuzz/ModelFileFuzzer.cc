// libFuzzer harness: the engine's model file (what a Geant4 fast-simulation
// model loads), mutated at the level of its HDF5 structure (Hdf5Mutator).
// Reading must fail with one InputError or succeed with a model that passes
// validation; it may never crash, hang or allocate in proportion to a
// declared size (run with -malloc_limit_mb).
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "Hdf5Mutator.hh"
#include "ReferenceGenerator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/inference/GeneratorModel.hh"
#include "calo3dgan/inference/ModelFile.hh"

namespace
{
namespace fs = std::filesystem;

std::string const& valid_model_path()
{
    static std::string const path = []
    {
        auto const p = (fs::temp_directory_path() / ("calo3dgan-fuzz-model-" + std::to_string(::getpid()) + ".h5"))
                           .string();
        calo::inference::write_model_file(calo::test::small_model(calo::inference::Conditioning::product, 3), p, true);
        return p;
    }();
    return path;
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // the reader reports; HDF5's own stack is noise here
    valid_model_path();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const path = (fs::temp_directory_path() / ("calo3dgan-fuzz-case-" + std::to_string(::getpid()) + ".h5"))
                          .string();
    calo::fuzz::copy_valid_file(valid_model_path(), path);
    calo::fuzz::Bytes in(data, size);
    calo::fuzz::mutate_structure(path, in);
    try
    {
        auto const model = calo::inference::read_model_file(path);
        calo::inference::validate(model, path);  // what was read is consistent
    }
    catch (calo::InputError const&)
    {
    }
    calo::fuzz::require_all_closed();
    return 0;
}
