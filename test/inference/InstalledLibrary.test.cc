// The installed CMake package, used as a detector simulation would: install
// calo3dgan into a fresh prefix, build examples/fastsim against that prefix
// (not the build tree), and run it on a model file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ReferenceGenerator.hh"
#include "TestSupport.hh"
#include "calo3dgan/inference/ModelFile.hh"

namespace calo::test
{
namespace fs = std::filesystem;

TEST(InstalledLibrary, fastsim_example_builds_and_runs_against_the_installed_package)
{
    TempDir dir;
    auto const build_dir = fs::path(calo_binary()).parent_path().string();
    auto const prefix = dir / "install";
    auto const install = run_command("cmake --install " + build_dir + " --prefix " + prefix);
    ASSERT_EQ(install.exit_code, 0) << install.output;

    // Public headers: the API and the model description, nothing of torch, MPI, HDF5 or oneDNN.
    auto const header = fs::path(prefix) / "include/calo3dgan/inference/Generator.hh";
    ASSERT_TRUE(fs::exists(header));
    std::size_t headers = 0;
    for (auto const& entry : fs::recursive_directory_iterator(fs::path(prefix) / "include"))
    {
        if (!entry.is_regular_file())
            continue;
        ++headers;
        std::ifstream in(entry.path());
        std::string const text((std::istreambuf_iterator<char>(in)), {});
        for (char const* foreign : {"torch/", "mpi.h", "hdf5.h", "H5Cpp.h", "dnnl", "calo3dgan/base"})
            EXPECT_EQ(text.find(foreign), std::string::npos) << entry.path() << " includes " << foreign;
    }
    EXPECT_EQ(headers, 2u);

    // Configure the example with only the install prefix to find calo3dgan.
    auto const example = dir / "fastsim-build";
    auto const configure = run_command("cmake -S " + source_dir() + "/examples/fastsim -B " + example +
                                       " -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=" + prefix);
    ASSERT_EQ(configure.exit_code, 0) << configure.output;
    auto const build = run_command("cmake --build " + example + " -j2");
    ASSERT_EQ(build.exit_code, 0) << build.output;
    auto const ldd = run_command("ldd " + example + "/fastsim");
    EXPECT_NE(ldd.output.find(prefix), std::string::npos) << "not linked to the installed library:\n" << ldd.output;
    EXPECT_EQ(ldd.output.find("libtorch"), std::string::npos) << ldd.output;
    EXPECT_EQ(ldd.output.find("libmpi"), std::string::npos) << ldd.output;

    auto const model = dir / "generator.h5";
    inference::write_model_file(small_model(inference::Conditioning::product, 3), model);
    auto const run = run_command(example + "/fastsim " + model + " 5 7");
    ASSERT_EQ(run.exit_code, 0) << run.output;
    EXPECT_NE(run.output.find("model small, 5 particles, fixed angle"), std::string::npos) << run.output;
    EXPECT_NE(run.output.find("hits: "), std::string::npos) << run.output;
    // The shipped generator is installed with the package and is the
    // example's default: the real model A (25 x 25 x 25 cells).
    EXPECT_TRUE(fs::exists(fs::path(prefix) / "share/calo3dgan/models/3dgan-a-mc/generator.h5"));
    EXPECT_TRUE(fs::exists(fs::path(prefix) / "share/calo3dgan/models/3dgan-a-mc/README.md"));
    EXPECT_FALSE(fs::exists(fs::path(prefix) / "share/calo3dgan/models/3dgan-a-mc/run"));
    auto const shipped = run_command(example + "/fastsim - 4 3");
    ASSERT_EQ(shipped.exit_code, 0) << shipped.output;
    EXPECT_NE(shipped.output.find("model 3dgan-a, 4 particles, fixed angle"), std::string::npos) << shipped.output;
    EXPECT_NE(shipped.output.find("25 x 25 x 25 cells"), std::string::npos) << shipped.output;
    // Bad input from the consumer's side: one clear line, non-zero exit.
    auto const bad = run_command(example + "/fastsim " + dir / "missing.h5");
    EXPECT_EQ(bad.exit_code, 1);
    EXPECT_NE(bad.output.find("model file not found"), std::string::npos) << bad.output;
}
}  // namespace calo::test
