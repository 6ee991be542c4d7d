// libFuzzer harness: the latent file of `generate --latent` (datasets `z`
// (N, noise), `energy` (N,) [GeV], `theta` (N,) [rad]), read and checked by
// io::read_latent_file for a fixed-angle and an angle-conditioned model,
// mutated at the level of its HDF5 structure (Hdf5Mutator, with those keys)
// from a valid file written by io::write_float_datasets. Reading must fail
// with one InputError or give inputs whose sizes agree (N events of 16 noise
// values, N energies, N angles where asked for); never crash, hang or
// allocate in proportion to a declared size.
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "Hdf5Mutator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/io/LatentFile.hh"

namespace
{
namespace fs = std::filesystem;

std::string const& valid_latent_path()
{
    static std::string const path = []
    {
        auto const p =
            (fs::temp_directory_path() / ("calo3dgan-fuzz-latent-" + std::to_string(::getpid()) + ".h5")).string();
        std::size_t const events = 3, noise = 16;
        calo::io::FloatDataset z{"z", {events, noise}, std::vector<float>(events * noise, 0.5f)};
        calo::io::FloatDataset energy{"energy", {events}, {10.0f, 100.0f, 450.0f}};
        calo::io::FloatDataset theta{"theta", {events}, {1.2f, 1.57f, 1.9f}};
        calo::io::write_float_datasets(p, {z, energy, theta}, R"({"command": "fuzz"})", true);
        return p;
    }();
    return path;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    valid_latent_path();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const path =
        (fs::temp_directory_path() / ("calo3dgan-fuzz-latent-case-" + std::to_string(::getpid()) + ".h5")).string();
    calo::fuzz::copy_valid_file(valid_latent_path(), path);
    calo::fuzz::Bytes in(data, size);
    calo::fuzz::mutate_structure(path, in, 8, {"z", "energy", "theta"});
    for (bool with_angle : {false, true})
    {
        try
        {
            auto const inputs = calo::io::read_latent_file(path, 16, with_angle, "fuzz");
            if (inputs.noise.size() != inputs.size() * 16 || inputs.theta_rad.size() != (with_angle ? inputs.size() : 0))
                __builtin_trap();
        }
        catch (calo::InputError const& e)
        {
            if (std::getenv("CALO3DGAN_FUZZ_VERBOSE"))
                std::fprintf(stderr, "%s\n", e.what());  // what a run of one input refused, for reading findings
        }
    }
    calo::fuzz::require_all_closed();
    return 0;
}
