// The generator model file: round trip, and one clear error for every kind of
// damaged or foreign file.
#include "calo3dgan/inference/ModelFile.hh"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>

#include "ReferenceGenerator.hh"
#include "TestSupport.hh"
#include "calo3dgan/inference/Generator.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

std::string error_of(std::string const& path)
{
    try
    {
        inference::read_model_file(path);
    }
    catch (std::runtime_error const& e)
    {
        return e.what();
    }
    return "<no error>";
}

//! Open `path` for writing with the HDF5 C API (independent of the writer).
template<class F>
void edit(std::string const& path, F&& change)
{
    hid_t const file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    ASSERT_GE(file, 0);
    change(file);
    H5Fclose(file);
}

void write_int(hid_t object, char const* name, int value)
{
    H5Adelete(object, name);
    hsize_t one = 1;
    hid_t const space = H5Screate_simple(1, &one, nullptr);
    hid_t const attr = H5Acreate2(object, name, H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(attr, H5T_NATIVE_INT, &value);
    H5Aclose(attr);
    H5Sclose(space);
}
}  // namespace

TEST(ModelFile, round_trip_keeps_every_value)
{
    TempDir dir;
    auto const model = small_model(inference::Conditioning::concatenate, 21);
    inference::write_model_file(model, dir / "m.h5");
    auto const back = inference::read_model_file(dir / "m.h5");
    EXPECT_EQ(back.name, model.name);
    EXPECT_EQ(back.conditioning, model.conditioning);
    EXPECT_EQ(back.dense_weight, model.dense_weight);
    EXPECT_EQ(back.dense_bias, model.dense_bias);
    ASSERT_EQ(back.blocks.size(), model.blocks.size());
    for (std::size_t i = 0; i < model.blocks.size(); ++i)
    {
        EXPECT_EQ(back.blocks[i].weight, model.blocks[i].weight);
        EXPECT_EQ(back.blocks[i].pad_after, model.blocks[i].pad_after);
        EXPECT_EQ(back.blocks[i].has_batchnorm, model.blocks[i].has_batchnorm);
        EXPECT_EQ(back.blocks[i].batchnorm.variance, model.blocks[i].batchnorm.variance);
    }
    EXPECT_EQ(back.power, model.power);
    EXPECT_EQ(back.config_toml, model.config_toml);
    EXPECT_TRUE(inference::is_model_file(dir / "m.h5"));
    // Refuses to replace a file, leaves no temporary file behind.
    EXPECT_THROW(inference::write_model_file(model, dir / "m.h5"), std::runtime_error);
    inference::write_model_file(model, dir / "m.h5", /*overwrite=*/true);
    std::size_t entries = 0;
    for ([[maybe_unused]] auto const& e : fs::directory_iterator(dir.path())) ++entries;
    EXPECT_EQ(entries, 1u);
    // An unwritable folder: one error, nothing written.
    EXPECT_THROW(inference::write_model_file(model, dir / "missing/m.h5"), std::runtime_error);
}

TEST(ModelFile, damaged_and_foreign_files_give_one_clear_error)
{
    TempDir dir;
    auto const model = small_model(inference::Conditioning::product, 22);
    inference::write_model_file(model, dir / "good.h5");
    auto const copy = [&](std::string const& name)
    {
        fs::copy_file(dir / "good.h5", dir / name);
        return dir / name;
    };

    EXPECT_NE(error_of(dir / "absent.h5").find("not found"), std::string::npos);
    {
        std::ofstream text(dir / "text.h5");
        text << "name = \"3dgan-a\"\n";
    }
    EXPECT_NE(error_of(dir / "text.h5").find("not an HDF5 file"), std::string::npos);
    EXPECT_FALSE(inference::is_model_file(dir / "text.h5"));

    auto const foreign = copy("foreign.h5");
    edit(foreign, [](hid_t file) { H5Adelete(file, "format"); });
    EXPECT_NE(error_of(foreign).find("not a calo3dgan generator model"), std::string::npos);

    auto const newer = copy("newer.h5");
    edit(newer, [](hid_t file) { write_int(file, "format_version", 99); });
    EXPECT_NE(error_of(newer).find("version 99"), std::string::npos);

    auto const missing = copy("missing.h5");
    edit(missing, [](hid_t file) { H5Ldelete(file, "blocks/1/weight", H5P_DEFAULT); });
    EXPECT_NE(error_of(missing).find("blocks/1/weight is missing"), std::string::npos);

    // A declared size far beyond the data: refused before any allocation.
    auto const absurd = copy("absurd.h5");
    edit(absurd, [](hid_t file) { write_int(file, "latent_size", 1 << 30); });
    EXPECT_NE(error_of(absurd).find("latent size"), std::string::npos);

    auto const reshaped = copy("reshaped.h5");
    edit(reshaped,
         [](hid_t file)
         {
             H5Ldelete(file, "dense/bias", H5P_DEFAULT);
             hsize_t dims[1] = {7};
             hid_t const space = H5Screate_simple(1, dims, nullptr);
             hid_t const set = H5Dcreate2(file, "dense/bias", H5T_IEEE_F32LE, space, H5P_DEFAULT, H5P_DEFAULT,
                                          H5P_DEFAULT);
             float zeros[7] = {};
             H5Dwrite(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, zeros);
             H5Dclose(set);
             H5Sclose(space);
         });
    EXPECT_NE(error_of(reshaped).find("dense/bias is not a float array of shape 144"), std::string::npos);

    // Weights that chain wrongly (second block expects other channels).
    auto const rechained = copy("rechained.h5");
    edit(rechained,
         [](hid_t file)
         {
             hid_t const block = H5Gopen2(file, "blocks/2", H5P_DEFAULT);
             H5Adelete(block, "channels");
             hsize_t two = 2;
             int channels[2] = {6, 1};
             hid_t const space = H5Screate_simple(1, &two, nullptr);
             hid_t const attr = H5Acreate2(block, "channels", H5T_NATIVE_INT, space, H5P_DEFAULT, H5P_DEFAULT);
             H5Awrite(attr, H5T_NATIVE_INT, channels);
             H5Aclose(attr);
             H5Sclose(space);
             H5Gclose(block);
         });
    EXPECT_NE(error_of(rechained).find("blocks/2/weight"), std::string::npos) << error_of(rechained);

    // Truncated files: every cut gives an error, never a crash.
    std::ifstream in(dir / "good.h5", std::ios::binary);
    std::string const bytes((std::istreambuf_iterator<char>(in)), {});
    for (std::size_t keep : {std::size_t(100), bytes.size() / 3, bytes.size() - 200})
    {
        std::ofstream cut(dir / "cut.h5", std::ios::binary | std::ios::trunc);
        cut.write(bytes.data(), static_cast<std::streamsize>(keep));
        cut.close();
        EXPECT_NE(error_of(dir / "cut.h5"), "<no error>") << "kept " << keep << " bytes";
    }
    // Loading through the public API reports the same.
    EXPECT_THROW(inference::Generator::load(foreign), std::runtime_error);
}
}  // namespace calo::test
