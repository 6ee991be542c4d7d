#include "calo3dgan/io/DatasetWriter.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include <hdf5.h>

#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"

namespace fs = std::filesystem;

namespace calo::io
{
namespace
{
event::EventBatch make_batch(event::Layout layout, std::size_t n, float seed = 1.0f)
{
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = default_shape(layout);
    batch.cells.assign(n * batch.shape.size(), 0.0f);
    for (std::size_t i = 0; i < n; ++i)
    {
        batch.energy_gev.push_back(10.0f * seed + static_cast<float>(i));
        // a short track, different per event
        for (int iz = 0; iz < 10; ++iz)
            batch.image(i)[batch.shape.index(5 + static_cast<int>(i % 4), 6 + iz / 2, iz)] = 0.5f + iz + seed;
        if (layout == event::Layout::variable_angle)
            batch.theta_rad.push_back(1.0f + 0.1f * static_cast<float>(i));
    }
    return batch;
}

//! [event, x, y, z, value] of every non-zero cell, events in order, C order
//! within an event (as numpy's nonzero lists them).
nlohmann::json nonzero_cells(std::vector<event::EventBatch> const& batches)
{
    nlohmann::json cells = nlohmann::json::array();
    std::size_t event = 0;
    for (auto const& batch : batches)
        for (std::size_t i = 0; i < batch.size(); ++i, ++event)
            for (int x = 0; x < batch.shape.nx; ++x)
                for (int y = 0; y < batch.shape.ny; ++y)
                    for (int z = 0; z < batch.shape.nz; ++z)
                        if (float const v = batch.image(i)[batch.shape.index(x, y, z)]; v != 0)
                            cells.push_back({event, x, y, z, v});
    return cells;
}

std::vector<std::string> folder_entries(fs::path const& dir)
{
    std::vector<std::string> names;
    for (auto const& e : fs::directory_iterator(dir)) names.push_back(e.path().filename().string());
    return names;
}

//! Describe the file with h5py (independent of the C++ reader).
nlohmann::json describe_with_h5py(std::string const& path)
{
    std::string const code =
        "import h5py, json, sys\n"
        "f = h5py.File(sys.argv[1], 'r')\n"
        "d = {k: {'shape': list(f[k].shape), 'dtype': str(f[k].dtype), 'chunks': list(f[k].chunks),\n"
        "         'compression': f[k].compression, 'level': f[k].compression_opts, 'shuffle': f[k].shuffle}\n"
        "     for k in f.keys()}\n"
        "a = f.attrs['calo3dgan']\n"
        "d['attr'] = a.decode() if isinstance(a, bytes) else str(a)\n"
        "if 'target' in f: d['target_values'] = f['target'][()].tolist()\n"
        "d['energy_values'] = f['energy'][()].tolist()\n"
        "if 'mtheta' in f: d['mtheta_values'] = f['mtheta'][()].tolist()\n"
        "if 'theta' in f: d['theta_values'] = f['theta'][()].tolist()\n"
        "e = f['ECAL'][()]\n"
        "d['ecal_nonzero'] = [[int(i) for i in ix] + [float(e[tuple(ix)])] for ix in zip(*e.nonzero())]\n"
        "print(json.dumps(d))\n";
    test::TempDir tmp;
    std::ofstream(tmp / "describe.py") << code;
    auto const result = test::run_command(test::python() + " " + (tmp / "describe.py") + " " + path);
    EXPECT_EQ(result.exit_code, 0) << result.output;
    return nlohmann::json::parse(result.output);
}
}  // namespace

TEST(DatasetWriter, WritesTheFixedAngleLayout)
{
    test::TempDir dir;
    std::string const path = dir / "fixed.h5";
    auto const electrons = make_batch(event::Layout::fixed_angle, 3);
    auto gamma = make_batch(event::Layout::fixed_angle, 2, 2.0f);
    gamma.pdg_id = {22.0f, 22.0f};
    {
        DatasetWriter writer(path, event::Layout::fixed_angle, default_shape(event::Layout::fixed_angle), R"({"seed": 7})", false);
        writer.append(electrons);
        writer.append(gamma);
        EXPECT_EQ(writer.num_events(), 5u);
        writer.commit();
    }
    auto const d = describe_with_h5py(path);
    EXPECT_EQ(d["ECAL"]["shape"], nlohmann::json({5, 25, 25, 25}));
    EXPECT_EQ(d["ECAL"]["dtype"], "float32");
    EXPECT_EQ(d["ECAL"]["chunks"], nlohmann::json({1, 25, 25, 25}));
    EXPECT_EQ(d["ECAL"]["compression"], "gzip");
    EXPECT_EQ(d["ECAL"]["level"], 4);
    EXPECT_EQ(d["ECAL"]["shuffle"], true);
    EXPECT_EQ(d["energy"]["shape"], nlohmann::json({5}));
    EXPECT_EQ(d["target"]["shape"], nlohmann::json({5, 2}));
    EXPECT_EQ(d["target"]["dtype"], "float32");
    EXPECT_FALSE(d.contains("theta"));
    EXPECT_FALSE(d.contains("mtheta"));
    EXPECT_EQ(nlohmann::json::parse(d["attr"].get<std::string>())["seed"], 7);
    auto const target = d["target_values"];
    auto const energy = d["energy_values"];
    for (int i = 0; i < 5; ++i)
    {
        EXPECT_EQ(target[i][0], i < 3 ? 11.0 : 22.0);  // PDG id: e- by default
        EXPECT_EQ(target[i][1], energy[i]);
    }
    EXPECT_EQ(energy, nlohmann::json({10.0, 11.0, 12.0, 20.0, 21.0}));
    // Every cell where it was put, with its value (10 per event).
    EXPECT_EQ(d["ecal_nonzero"].size(), 50u);
    EXPECT_EQ(d["ecal_nonzero"], nonzero_cells({electrons, gamma}));
}

TEST(DatasetWriter, WritesTheVariableAngleLayoutAndFillsMtheta)
{
    test::TempDir dir;
    std::string const path = dir / "var.h5";
    auto batch = make_batch(event::Layout::variable_angle, 2);
    {
        DatasetWriter writer(path, event::Layout::variable_angle, default_shape(event::Layout::variable_angle), "", false);
        writer.append(batch);  // no mtheta: measured from the image
        auto with_mtheta = make_batch(event::Layout::variable_angle, 1);
        with_mtheta.measured_angle_rad = {0.25f};
        writer.append(with_mtheta);
        writer.commit();
    }
    auto const d = describe_with_h5py(path);
    EXPECT_EQ(d["ECAL"]["shape"], nlohmann::json({3, 51, 51, 25}));
    EXPECT_EQ(d["ECAL"]["chunks"], nlohmann::json({1, 51, 51, 25}));
    for (char const* key : {"energy", "theta", "mtheta"})
    {
        EXPECT_EQ(d[key]["shape"], nlohmann::json({3})) << key;
        EXPECT_EQ(d[key]["dtype"], "float32") << key;
    }
    EXPECT_FALSE(d.contains("target"));
    EXPECT_EQ(d["attr"], "{}");
    for (int i = 0; i < 2; ++i)
    {
        EXPECT_FLOAT_EQ(d["mtheta_values"][i].get<float>(),
                        static_cast<float>(geo::measured_angle(batch.image(i), batch.shape)));
    }
    EXPECT_FLOAT_EQ(d["mtheta_values"][2].get<float>(), 0.25f);
    EXPECT_EQ(d["theta_values"], nlohmann::json({1.0f, 1.1f, 1.0f}));
    EXPECT_EQ(d["energy_values"], nlohmann::json({10.0, 11.0, 10.0}));
    EXPECT_EQ(d["ecal_nonzero"].size(), 30u);
    EXPECT_EQ(d["ecal_nonzero"], nonzero_cells({batch, make_batch(event::Layout::variable_angle, 1)}));
}

TEST(DatasetWriter, RefusesAnExistingFileWithoutOverwrite)
{
    test::TempDir dir;
    std::string const path = dir / "exists.h5";
    std::ofstream(path) << "keep me";
    auto const message =
        test::error_message([&] { DatasetWriter(path, event::Layout::fixed_angle, default_shape(event::Layout::fixed_angle), "{}", false); });
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("exists"), std::string::npos) << message;
    EXPECT_NE(message.find("--overwrite"), std::string::npos) << message;
    std::ifstream in(path);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "keep me");
    EXPECT_EQ(folder_entries(dir.path()).size(), 1u);
}

TEST(DatasetWriter, OverwriteReplacesOnlyOnCommit)
{
    test::TempDir dir;
    std::string const path = dir / "exists.h5";
    std::ofstream(path) << "old";
    {
        DatasetWriter writer(path, event::Layout::fixed_angle, default_shape(event::Layout::fixed_angle), "{}", true);
        writer.append(make_batch(event::Layout::fixed_angle, 1));
        std::ifstream in(path);
        std::string content;
        std::getline(in, content);
        EXPECT_EQ(content, "old");  // untouched until commit
        writer.commit();
    }
    EXPECT_EQ(describe_with_h5py(path)["ECAL"]["shape"], nlohmann::json({1, 25, 25, 25}));
    EXPECT_EQ(folder_entries(dir.path()), std::vector<std::string>{"exists.h5"});
}

TEST(DatasetWriter, WithoutCommitLeavesNoFile)
{
    test::TempDir dir;
    {
        DatasetWriter writer(dir / "partial.h5", event::Layout::variable_angle, default_shape(event::Layout::variable_angle), "{}",
                             false);
        writer.append(make_batch(event::Layout::variable_angle, 2));
        EXPECT_EQ(folder_entries(dir.path()).size(), 1u);  // the hidden temporary
    }
    EXPECT_TRUE(folder_entries(dir.path()).empty());
}

TEST(DatasetWriter, FailedAppendLeavesNoFile)
{
    test::TempDir dir;
    std::string const path = dir / "bad.h5";
    {
        DatasetWriter writer(path, event::Layout::fixed_angle, default_shape(event::Layout::fixed_angle), "{}", false);
        writer.append(make_batch(event::Layout::fixed_angle, 1));
        auto batch = make_batch(event::Layout::fixed_angle, 2);
        batch.image(1)[17] = std::numeric_limits<float>::quiet_NaN();
        auto const message = test::error_message([&] { writer.append(batch); });
        EXPECT_NE(message.find("event 1"), std::string::npos) << message;
        EXPECT_NE(message.find(path), std::string::npos) << message;
    }
    EXPECT_TRUE(folder_entries(dir.path()).empty());
}

TEST(DatasetWriter, RejectsInconsistentInput)
{
    test::TempDir dir;
    std::string const path = dir / "x.h5";
    EXPECT_NE(test::error_message(
                  [&] {
                      DatasetWriter(path, event::Layout::fixed_angle, {51, 51, 25}, "{}", false);
                  })
                  .find("does not match layout a"),
              std::string::npos);
    EXPECT_NE(test::error_message(
                  [&] {
                      DatasetWriter(path, event::Layout::fixed_angle, {25, 25, 25}, "{not json", false);
                  })
                  .find("not valid JSON"),
              std::string::npos);

    DatasetWriter writer(path, event::Layout::variable_angle, default_shape(event::Layout::variable_angle), "{}", false);
    EXPECT_NE(test::error_message([&] { writer.append(make_batch(event::Layout::fixed_angle, 1)); }).find("does not match"),
              std::string::npos);
    auto no_theta = make_batch(event::Layout::variable_angle, 2);
    no_theta.theta_rad.clear();
    EXPECT_NE(test::error_message([&] { writer.append(no_theta); }).find("theta"), std::string::npos);
    auto negative = make_batch(event::Layout::variable_angle, 1);
    negative.cells[3] = -1.0f;
    EXPECT_NE(test::error_message([&] { writer.append(negative); }).find("invalid cell value -1"), std::string::npos);
    auto short_cells = make_batch(event::Layout::variable_angle, 2);
    short_cells.cells.resize(10);
    EXPECT_NE(test::error_message([&] { writer.append(short_cells); }).find("cells"), std::string::npos);
}

TEST(DatasetWriter, EmptyFileIsValid)
{
    test::TempDir dir;
    std::string const path = dir / "empty.h5";
    DatasetWriter writer(path, event::Layout::fixed_angle, default_shape(event::Layout::fixed_angle), "{}", false);
    writer.commit();
    EXPECT_EQ(describe_with_h5py(path)["ECAL"]["shape"], nlohmann::json({0, 25, 25, 25}));
    EXPECT_NE(test::error_message([&] { writer.append(make_batch(event::Layout::fixed_angle, 1)); }).find("committed"),
              std::string::npos);
}
}  // namespace calo::io

namespace calo::io
{
namespace
{
//! Every stored (compressed) chunk of `name`, and the dataset's values.
std::pair<std::vector<std::string>, std::vector<float>> stored_chunks(std::string const& path, char const* name)
{
    hid_t const file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t const set = H5Dopen2(file, name, H5P_DEFAULT);
    hid_t const space = H5Dget_space(set);
    int const rank = H5Sget_simple_extent_ndims(space);
    std::vector<hsize_t> dims(rank);
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<std::string> chunks;
    std::vector<hsize_t> offset(rank, 0);
    for (hsize_t i = 0; i < dims[0]; ++i)
    {
        offset[0] = i;
        hsize_t size = 0;
        H5Dget_chunk_storage_size(set, offset.data(), &size);
        std::string chunk(size, '\0');
        std::uint32_t mask = 0;
        H5Dread_chunk(set, H5P_DEFAULT, offset.data(), &mask, chunk.data());
        chunks.push_back(std::to_string(mask) + ":" + chunk);
    }
    hsize_t total = 1;
    for (auto d : dims) total *= d;
    std::vector<float> values(total);
    H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
    H5Sclose(space);
    H5Dclose(set);
    H5Fclose(file);
    return {chunks, values};
}
}  // namespace

// Parallel compression with direct chunk writes is a speed option only: the
// same datasets and values, every chunk stored with all filters applied
// (mask 0) and read back by HDF5's own gzip filter, as with the serial path.
TEST(DatasetWriter, ParallelCompressionStoresTheSameValues)
{
    test::TempDir dir;
    auto write = [&](std::string const& name, int threads, event::Layout layout)
    {
        DatasetWriter writer(dir / name, layout, default_shape(layout), R"({"x": 1})", false);
        if (threads > 0)
            writer.set_compression_threads(threads);
        auto batch = make_batch(layout, 5);
        // Dense, noisy content so that compression has work to do.
        for (std::size_t i = 0; i < batch.cells.size(); ++i)
            batch.cells[i] += static_cast<float>((i * 2654435761u) % 1000) * 1e-3f;
        writer.append(batch);
        writer.append(make_batch(layout, 3, 2.0f));
        writer.commit();
    };
    for (auto layout : {event::Layout::fixed_angle, event::Layout::variable_angle})
    {
        write("serial.h5", 0, layout);  // HDF5's own filters
        write("parallel.h5", 2, layout);
        auto const serial = stored_chunks(dir / "serial.h5", "ECAL");
        auto const parallel = stored_chunks(dir / "parallel.h5", "ECAL");
        ASSERT_EQ(serial.first.size(), 8u);
        ASSERT_EQ(parallel.first.size(), 8u);
        for (std::size_t i = 0; i < 8; ++i)
        {
            EXPECT_EQ(parallel.first[i].substr(0, 2), "0:") << "chunk " << i << " not fully filtered";
            // Compressed: well below the 4 bytes per value of the raw image.
            EXPECT_LT(parallel.first[i].size(), default_shape(layout).size() * 4 / 2);
        }
        EXPECT_EQ(serial.second, parallel.second);
        EXPECT_EQ(stored_chunks(dir / "serial.h5", "energy").second,
                  stored_chunks(dir / "parallel.h5", "energy").second);
        fs::remove(dir / "serial.h5");
        fs::remove(dir / "parallel.h5");
    }
}
}  // namespace calo::io
