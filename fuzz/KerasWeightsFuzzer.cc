// libFuzzer harness: Keras weight files (`import-keras`), mutated at the
// level of their HDF5 structure (Hdf5Mutator) from a valid file laid out like
// a Keras 2 model.save file. Reading must fail with one InputError or
// succeed; never crash, hang or allocate in proportion to a declared size.
#include <hdf5.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "Hdf5Mutator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"

namespace
{
namespace fs = std::filesystem;

std::string const& valid_weights_path()
{
    static std::string const path = []
    {
        auto const p =
            (fs::temp_directory_path() / ("calo3dgan-fuzz-keras-" + std::to_string(::getpid()) + ".h5")).string();
        // Written with the HDF5 C API: nested groups as Keras writes them
        hid_t const file = H5Fcreate(p.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
        auto dataset = [&](char const* path, std::vector<hsize_t> const& shape)
        {
            hid_t const links = H5Pcreate(H5P_LINK_CREATE);
            H5Pset_create_intermediate_group(links, 1);
            hsize_t n = 1;
            for (auto d : shape) n *= d;
            std::vector<float> values(n);
            for (hsize_t i = 0; i < n; ++i) values[i] = 0.01f * static_cast<float>(i % 97) - 0.3f;
            hid_t const space = shape.empty() ? H5Screate(H5S_SCALAR)
                                              : H5Screate_simple(static_cast<int>(shape.size()), shape.data(), nullptr);
            hid_t const set = H5Dcreate2(file, path, H5T_NATIVE_FLOAT, space, links, H5P_DEFAULT, H5P_DEFAULT);
            H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
            H5Dclose(set);
            H5Sclose(space);
            H5Pclose(links);
        };
        dataset("model_weights/conv3d_1/conv3d_1/kernel:0", {5, 5, 5, 1, 4});
        dataset("model_weights/conv3d_1/conv3d_1/bias:0", {4});
        dataset("model_weights/dense_1/dense_1/kernel:0", {8, 1});
        dataset("model_weights/dense_1/dense_1/bias:0", {1});
        dataset("optimizer_weights/iterations:0", {});
        H5Fclose(file);
        return p;
    }();
    return path;
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    valid_weights_path();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const path =
        (fs::temp_directory_path() / ("calo3dgan-fuzz-keras-case-" + std::to_string(::getpid()) + ".h5")).string();
    calo::fuzz::copy_valid_file(valid_weights_path(), path);
    calo::fuzz::Bytes in(data, size);
    calo::fuzz::mutate_structure(path, in);
    try
    {
        calo::io::KerasWeightsFile::read(path);
    }
    catch (calo::InputError const&)
    {
    }
    try
    {
        calo::io::read_float_datasets(path);
    }
    catch (calo::InputError const&)
    {
    }
    calo::fuzz::require_all_closed();
    return 0;
}
