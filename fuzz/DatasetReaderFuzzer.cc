// libFuzzer harness: the dataset reader (train, validate, inspect), mutated at
// the level of the HDF5 structure (Hdf5Mutator, with the keys the reader
// looks up) from one of four valid shower files in the 3DGAN/LCD layouts,
// chosen by the first byte. Opening must fail with one InputError or give a
// reader whose batches hold only what its checks promise (finite cells >= 0,
// finite energies > 0, finite angles); never crash, hang or allocate in
// proportion to a declared size.
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "Hdf5Mutator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetReader.hh"

namespace
{
namespace fs = std::filesystem;

struct Dataset
{
    char const* name;
    std::vector<hsize_t> shape;
    hid_t type;                  //!< stored type; values are written from double
    std::vector<hsize_t> chunk;  //!< empty: contiguous
    double (*value)(std::size_t i);
};

double cell(std::size_t i)
{
    return i % 7 == 0 ? 0.01 * static_cast<double>(i % 113) : 0.0;  // a sparse, non-negative image
}

void write_file(std::string const& path, std::vector<Dataset> const& datasets, char const* metadata)
{
    hid_t const file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    for (auto const& d : datasets)
    {
        hsize_t n = 1;
        for (auto s : d.shape) n *= s;
        std::vector<double> values(n);
        for (std::size_t i = 0; i < n; ++i) values[i] = d.value(i);
        hid_t const space = H5Screate_simple(static_cast<int>(d.shape.size()), d.shape.data(), nullptr);
        hid_t const plist = H5Pcreate(H5P_DATASET_CREATE);
        if (!d.chunk.empty())
        {
            H5Pset_chunk(plist, static_cast<int>(d.chunk.size()), d.chunk.data());
            H5Pset_deflate(plist, 4);
        }
        hid_t const set = H5Dcreate2(file, d.name, d.type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
        H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        H5Dclose(set);
        H5Pclose(plist);
        H5Sclose(space);
    }
    if (metadata)
    {
        hid_t const type = H5Tcopy(H5T_C_S1);
        H5Tset_size(type, H5T_VARIABLE);
        hid_t const space = H5Screate(H5S_SCALAR);
        hid_t const attr = H5Acreate2(file, "calo3dgan", type, space, H5P_DEFAULT, H5P_DEFAULT);
        H5Awrite(attr, type, &metadata);
        H5Aclose(attr);
        H5Sclose(space);
        H5Tclose(type);
    }
    H5Fclose(file);
}

//! The valid files: what the 3DGAN Energy-gan and Anglegan data and the LCD
//! converter write (keys, ranks, types and storage as in docs/preprocessing.md).
std::vector<std::string> const& valid_paths()
{
    static std::vector<std::string> const paths = []
    {
        auto const base = fs::temp_directory_path() / ("calo3dgan-fuzz-dataset-" + std::to_string(::getpid()));
        auto energy = [](std::size_t i) { return 50.0 + 100.0 * static_cast<double>(i); };
        auto theta = [](std::size_t i) { return 1.2 + 0.1 * static_cast<double>(i); };
        auto pdg = [](std::size_t) { return 11.0; };
        // target (N,2) = [pdg, energy]; (N,1,5) = [pdg, energy, ...]
        auto target2d = [](std::size_t i) { return i % 2 ? 100.0 + static_cast<double>(i) : 11.0; };
        auto target3d = [](std::size_t i) { return i % 5 == 0 ? 22.0 : 30.0 + static_cast<double>(i); };
        std::vector<std::vector<Dataset>> const files = {
            // layout a, energy in target[:,1], an ignored extra key
            {{"ECAL", {3, 25, 25, 25}, H5T_IEEE_F32LE, {}, cell},
             {"target", {3, 2}, H5T_IEEE_F32LE, {}, target2d},
             {"HCAL", {3, 5, 5, 6}, H5T_IEEE_F32LE, {}, cell}},
            // layout a, chunked and compressed images, target (N,1,5)
            {{"ECAL", {3, 25, 25, 25}, H5T_IEEE_F32LE, {1, 25, 25, 25}, cell},
             {"target", {3, 1, 5}, H5T_IEEE_F32LE, {}, target3d}},
            // layout b, raw LCD keys with mtheta and pdgID
            {{"ECAL", {2, 51, 51, 25}, H5T_IEEE_F32LE, {}, cell},
             {"energy", {2}, H5T_IEEE_F32LE, {}, energy},
             {"theta", {2}, H5T_IEEE_F32LE, {}, theta},
             {"mtheta", {2}, H5T_IEEE_F32LE, {}, theta},
             {"pdgID", {2}, H5T_STD_I32LE, {}, pdg}},
            // layout b, float64, chunks smaller than an image, (N,1) vectors
            {{"ECAL", {2, 51, 51, 25}, H5T_IEEE_F64LE, {1, 17, 17, 25}, cell},
             {"energy", {2, 1}, H5T_IEEE_F64LE, {}, energy},
             {"theta", {2, 1}, H5T_IEEE_F64LE, {}, theta}},
        };
        std::vector<std::string> result;
        for (std::size_t i = 0; i < files.size(); ++i)
        {
            result.push_back(base.string() + "-" + std::to_string(i) + ".h5");
            write_file(result.back(), files[i], i == 2 ? R"({"generator": "fuzz"})" : nullptr);
        }
        return result;
    }();
    return paths;
}

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}

void check_batch(calo::event::EventBatch const& batch)
{
    for (float v : batch.cells) require(std::isfinite(v) && v >= 0.0f);
    for (float v : batch.energy_gev) require(std::isfinite(v) && v > 0.0f);
    for (float v : batch.theta_rad) require(std::isfinite(v));
    for (float v : batch.measured_angle_rad) require(std::isfinite(v));
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    valid_paths();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const path =
        (fs::temp_directory_path() / ("calo3dgan-fuzz-dataset-case-" + std::to_string(::getpid()) + ".h5")).string();
    calo::fuzz::Bytes in(data, size);
    auto const& valid = valid_paths();
    calo::fuzz::copy_valid_file(valid[in.byte() % valid.size()], path);
    calo::fuzz::mutate_structure(path, in, 8, {"ECAL", "energy", "target", "theta", "mtheta", "pdgID"});
    try
    {
        calo::io::DatasetReader reader({path});
        std::size_t const n = reader.num_events();
        // The first events, and the last one (the far end of a declared extent).
        check_batch(reader.read(0, std::min<std::size_t>(n, 3)));
        if (n > 3)
            check_batch(reader.read(n - 1, 1));
    }
    catch (calo::InputError const& e)
    {
        if (std::getenv("CALO3DGAN_FUZZ_VERBOSE"))
            std::fprintf(stderr, "%s\n", e.what());  // what a run of one input refused, for reading findings
    }
    calo::fuzz::require_all_closed();
    return 0;
}
