// Keras 2 weight files and small float dataset files, against files written
// by an independent h5py writer (scripts/fixtures/write_keras_weights_fixtures.py,
// run at test time) and its manifest of expected values.
#include "calo3dgan/io/KerasWeightsFile.hh"

#include <gtest/gtest.h>
#include <hdf5.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>

#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::io
{
namespace fs = std::filesystem;

namespace
{
std::string fixture_script()
{
    return test::source_dir() + "/scripts/fixtures/write_keras_weights_fixtures.py";
}

struct KerasFixtures
{
    std::string dir;
    nlohmann::json manifest;
    std::string path(std::string const& name) const { return dir + "/" + name; }
};

//! Run the fixture script once per test process.
KerasFixtures const& fixtures()
{
    static std::unique_ptr<test::TempDir> const dir = std::make_unique<test::TempDir>();
    static KerasFixtures const result = [] {
        auto const run = test::run_command(test::python() + " " + fixture_script() + " " + dir->path().string());
        if (run.exit_code != 0)
            throw std::runtime_error("fixture script failed:\n" + run.output);
        KerasFixtures f;
        f.dir = dir->path().string();
        std::ifstream in(f.path("manifest.json"));
        f.manifest = nlohmann::json::parse(in);
        return f;
    }();
    return result;
}

//! Every dataset and root attribute of an HDF5 file, read by h5py.
nlohmann::json dump_with_h5py(std::string const& path)
{
    auto const run = test::run_command(test::python() + " " + fixture_script() + " dump " + path);
    EXPECT_EQ(run.exit_code, 0) << run.output;
    return nlohmann::json::parse(run.output);
}

std::vector<std::size_t> shape_of(nlohmann::json const& j)
{
    return j.get<std::vector<std::size_t>>();
}

std::vector<float> floats_of(nlohmann::json const& j)
{
    std::vector<float> values;
    for (auto const& v : j)
        values.push_back(static_cast<float>(v.get<double>()));  // exact: the script wrote float32 values
    return values;
}

//! The file read matches the manifest's entry in every field and value.
void expect_as_written(std::string const& name)
{
    SCOPED_TRACE(name);
    auto const& expected = fixtures().manifest.at(name);
    auto const file = KerasWeightsFile::read(fixtures().path(name));
    EXPECT_EQ(file.path, fixtures().path(name));
    EXPECT_EQ(file.layer_names, expected.at("layer_names").get<std::vector<std::string>>());
    EXPECT_EQ(file.keras_version, expected.at("keras_version").get<std::string>());
    EXPECT_EQ(file.backend, expected.at("backend").get<std::string>());
    auto const& weights = expected.at("weights");
    ASSERT_EQ(file.weights.size(), weights.size());
    for (std::size_t i = 0; i < weights.size(); ++i)
    {
        auto const& w = file.weights[i];
        auto const& e = weights[i];
        SCOPED_TRACE(e.at("group").get<std::string>() + "/" + e.at("name").get<std::string>());
        EXPECT_EQ(w.group, e.at("group").get<std::string>());
        EXPECT_EQ(w.top_level, e.at("top_level").get<std::string>());
        EXPECT_EQ(w.layer, e.at("layer").get<std::string>());
        EXPECT_EQ(w.name, e.at("name").get<std::string>());
        EXPECT_EQ(w.shape, shape_of(e.at("shape")));
        EXPECT_EQ(w.values, floats_of(e.at("values")));  // bit for bit
    }
}
}  // namespace

TEST(KerasWeightsFile, FlatModel)
{
    expect_as_written("flat.h5");
    // Spot checks of what the manifest says, in words: two group levels, the
    // ":0" suffix dropped, an unnamed weight kept as it is.
    auto const file = KerasWeightsFile::read(fixtures().path("flat.h5"));
    ASSERT_EQ(file.weights.size(), 4u);
    EXPECT_EQ(file.weights[0].group, "conv3d_5/conv3d_5");
    EXPECT_EQ(file.weights[0].name, "kernel");
    EXPECT_EQ(file.weights[0].shape, (std::vector<std::size_t>{2, 2, 2, 1, 2}));  // Keras (kx, ky, kz, in, out)
    EXPECT_EQ(file.weights[1].name, "param_0");
    EXPECT_EQ(file.weights[1].layer, "conv3d_5");
    EXPECT_EQ(file.weights[3].group, "dense_3/dense_3");
    EXPECT_EQ(file.weights[3].shape, (std::vector<std::size_t>{4, 3}));  // Dense (in, out)
}

TEST(KerasWeightsFile, NestedModelWithOtherNumberTypes)
{
    // float64 and int32 datasets are converted to float32; `layer_names` is
    // stored as variable-length strings here.
    expect_as_written("nested.h5");
    auto const file = KerasWeightsFile::read(fixtures().path("nested.h5"));
    ASSERT_FALSE(file.weights.empty());
    EXPECT_EQ(file.weights[0].top_level, "sequential_2");
    EXPECT_EQ(file.weights[0].layer, "batch_normalization_2");
}

TEST(KerasWeightsFile, ModelSaveFileReadsModelWeightsOnly)
{
    // optimizer_weights are left out; keras_version comes from the root.
    expect_as_written("model_save.h5");
}

TEST(KerasWeightsFile, BadInputIsAOneLineError)
{
    auto const strings = test::error_message([] { KerasWeightsFile::read(fixtures().path("bad/strings.h5")); });
    EXPECT_CONTAINS(strings, "is not numeric");
    EXPECT_CONTAINS(strings, "dense_1/dense_1/kernel:0");
    EXPECT_CONTAINS(strings, "bad/strings.h5");

    auto const empty = test::error_message([] { KerasWeightsFile::read(fixtures().path("bad/empty.h5")); });
    EXPECT_CONTAINS(empty, "no weights in the file");
    EXPECT_CONTAINS(empty, "bad/empty.h5");

    auto const text = test::error_message([] { KerasWeightsFile::read(fixtures().path("bad/not_hdf5.h5")); });
    EXPECT_CONTAINS(text, "not an HDF5 file");

    auto const missing = test::error_message([] { KerasWeightsFile::read(fixtures().path("missing.h5")); });
    EXPECT_CONTAINS(missing, "file not found");
    EXPECT_CONTAINS(missing, "missing.h5");

    auto const folder = test::error_message([] { KerasWeightsFile::read(fixtures().path("bad")); });
    EXPECT_CONTAINS(folder, "not a regular file");

    for (auto const* message : {&strings, &empty, &text, &missing, &folder})
        EXPECT_EQ(message->find('\n'), std::string::npos) << *message;
}

//! A file with one float dataset of `dims`, chunked by `chunk`, nothing stored
//! (HDF5 allocates chunks only when written: the extents are only declared).
void write_declared_only(std::string const& path, std::vector<hsize_t> const& dims, std::vector<hsize_t> const& chunk)
{
    hid_t const file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t const space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t const creation = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(creation, static_cast<int>(chunk.size()), chunk.data());
    hid_t const links = H5Pcreate(H5P_LINK_CREATE);
    H5Pset_create_intermediate_group(links, 1);
    H5Dclose(H5Dcreate2(file, "model_weights/dense_1/dense_1/kernel:0", H5T_NATIVE_FLOAT, space, links, creation,
                        H5P_DEFAULT));
    H5Pclose(links);
    H5Pclose(creation);
    H5Sclose(space);
    H5Fclose(file);
}

// Found by fuzz/KerasWeightsFuzzer.cc: a few bytes can declare 2^40 values.
// Sizes are checked before anything is allocated or read.
TEST(KerasWeightsFile, DeclaredButNotStoredSizesAreRefusedBeforeReading)
{
    test::TempDir dir;
    write_declared_only(dir / "huge.h5", {hsize_t(1) << 40}, {1 << 20});
    EXPECT_CONTAINS(test::error_message([&] { KerasWeightsFile::read(dir / "huge.h5"); }),
                    "declares more values than a weights file can hold");
    // Within the file's budget, but none of it stored
    write_declared_only(dir / "empty.h5", {1 << 22}, {1 << 20});
    EXPECT_CONTAINS(test::error_message([&] { read_float_datasets(dir / "empty.h5"); }),
                    "declares 4194304 values but stores 0 bytes");
    // Few values, split into a chunk each (slow to read even when empty)
    write_declared_only(dir / "chunks.h5", {100, 100}, {1, 1});
    EXPECT_CONTAINS(test::error_message([&] { KerasWeightsFile::read(dir / "chunks.h5"); }),
                    "is split into 10000 chunks");
}

TEST(FloatDatasets, ReadEveryDatasetAsFloat)
{
    auto const datasets = read_float_datasets(fixtures().path("tool.h5"));
    auto const& expected = fixtures().manifest.at("tool.h5").at("datasets");
    ASSERT_EQ(datasets.size(), expected.size());
    for (std::size_t i = 0; i < datasets.size(); ++i)
    {
        SCOPED_TRACE(expected[i].at("path").get<std::string>());
        EXPECT_EQ(datasets[i].path, expected[i].at("path").get<std::string>());
        EXPECT_EQ(datasets[i].shape, shape_of(expected[i].at("shape")));
        EXPECT_EQ(datasets[i].values, floats_of(expected[i].at("values")));
        EXPECT_EQ(datasets[i].size(), datasets[i].values.size());
    }
    // The scalar has no dimensions and one value.
    EXPECT_EQ(datasets.back().path, "scalar");
    EXPECT_TRUE(datasets.back().shape.empty());
    EXPECT_EQ(datasets.back().values, std::vector<float>{2.5f});

    EXPECT_CONTAINS(test::error_message([] { read_float_datasets(fixtures().path("bad/strings.h5")); }), "is not numeric");
    EXPECT_CONTAINS(test::error_message([] { read_float_datasets(fixtures().path("bad/not_hdf5.h5")); }), "not an HDF5 file");
}

TEST(FloatDatasets, WrittenFilesReadBackWithH5py)
{
    test::TempDir dir;
    std::string const path = dir / "scores.h5";
    std::vector<FloatDataset> const datasets{
        {"probability", {2, 3}, {0.25f, 0.5f, 1e-30f, -3.0f, 7.125f, 1e30f}},
        {"energy", {2}, {100.5f, 200.25f}},
        {"scalar", {}, {42.0f}},
    };
    write_float_datasets(path, datasets, R"({"tool":"test","quote":"\""})", false);

    auto const dump = dump_with_h5py(path);
    auto const& stored = dump.at("datasets");
    ASSERT_EQ(stored.size(), datasets.size());
    for (auto const& d : datasets)
    {
        SCOPED_TRACE(d.path);
        auto const& s = stored.at(d.path);
        EXPECT_EQ(s.at("dtype"), "<f4");  // little-endian float32
        EXPECT_EQ(shape_of(s.at("shape")), d.shape);
        EXPECT_EQ(floats_of(s.at("values")), d.values);
    }
    EXPECT_EQ(nlohmann::json::parse(dump.at("attrs").at("calo3dgan").get<std::string>()),
              nlohmann::json::parse(R"({"tool":"test","quote":"\""})"));

    // And the reader gets the same back.
    auto const back = read_float_datasets(path);
    ASSERT_EQ(back.size(), 3u);
    EXPECT_EQ(back[0].path, "energy");  // name order
    EXPECT_EQ(back[0].values, datasets[1].values);

    // Empty metadata becomes "{}"; the same inputs give the same bytes.
    std::string const a = dir / "a.h5", b = dir / "b.h5";
    write_float_datasets(a, datasets, "", false);
    write_float_datasets(b, datasets, "", false);
    EXPECT_EQ(dump_with_h5py(a).at("attrs").at("calo3dgan"), "{}");
    auto const bytes = [](std::string const& p) {
        std::ifstream in(p, std::ios::binary);
        return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    };
    EXPECT_EQ(bytes(a), bytes(b));
}

TEST(FloatDatasets, WriteRejectsBadRequestsAndLeavesNothing)
{
    test::TempDir dir;
    std::string const path = dir / "out.h5";
    std::vector<FloatDataset> const good{{"x", {2}, {1.0f, 2.0f}}};
    write_float_datasets(path, good, "{}", false);

    EXPECT_CONTAINS(test::error_message([&] { write_float_datasets(path, good, "{}", false); }), "output file exists");
    EXPECT_NO_THROW(write_float_datasets(path, good, "{}", true));
    fs::create_directories(dir / "folder");
    EXPECT_CONTAINS(test::error_message([&] { write_float_datasets(dir / "folder", good, "{}", true); }), "is a folder");

    std::string const other = dir / "other.h5";
    EXPECT_CONTAINS(test::error_message([&] { write_float_datasets(other, {{"x", {3}, {1.0f}}}, "{}", false); }),
                    "has 1 values for shape (3,)");
    EXPECT_CONTAINS(test::error_message([&] { write_float_datasets(other, {{"a/b", {1}, {1.0f}}}, "{}", false); }),
                    "is empty or nested");
    EXPECT_CONTAINS(test::error_message([&] { write_float_datasets(other, good, "{not json", false); }), "not valid JSON");
    EXPECT_FALSE(fs::exists(other));
}
}  // namespace calo::io
