#include "calo3dgan/io/DatasetReader.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "LcdFixtures.hh"
#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetWriter.hh"

namespace fs = std::filesystem;

namespace calo::io
{
namespace
{
//! Events with values unique to (tag, event, cell), so misplaced reads show.
event::EventBatch make_batch(event::Layout layout, std::size_t n, int tag)
{
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = default_shape(layout);
    batch.cells.assign(n * batch.shape.size(), 0.0f);
    for (std::size_t i = 0; i < n; ++i)
    {
        float const base = 1000.0f * tag + 10.0f * static_cast<float>(i);
        batch.energy_gev.push_back(base + 1.0f);
        for (int iz = 0; iz < batch.shape.nz; ++iz)
        {
            int const ix = (iz + static_cast<int>(i)) % batch.shape.nx;
            batch.image(i)[batch.shape.index(ix, iz % batch.shape.ny, iz)] = base + 0.25f * iz + 0.5f;
        }
        if (layout == event::Layout::variable_angle)
        {
            batch.theta_rad.push_back(1.0f + 0.01f * static_cast<float>(tag) + 0.001f * static_cast<float>(i));
            batch.measured_angle_rad.push_back(2.0f + 0.01f * static_cast<float>(tag) + 0.001f * static_cast<float>(i));
        }
    }
    return batch;
}

event::EventBatch concat(std::vector<event::EventBatch> const& parts)
{
    event::EventBatch all = parts.front();
    for (std::size_t p = 1; p < parts.size(); ++p)
    {
        auto const& b = parts[p];
        all.cells.insert(all.cells.end(), b.cells.begin(), b.cells.end());
        all.energy_gev.insert(all.energy_gev.end(), b.energy_gev.begin(), b.energy_gev.end());
        all.theta_rad.insert(all.theta_rad.end(), b.theta_rad.begin(), b.theta_rad.end());
        all.measured_angle_rad.insert(all.measured_angle_rad.end(), b.measured_angle_rad.begin(), b.measured_angle_rad.end());
    }
    return all;
}

void expect_events_equal(event::EventBatch const& actual, event::EventBatch const& expected, std::size_t first)
{
    ASSERT_EQ(actual.layout, expected.layout);
    ASSERT_EQ(actual.shape, expected.shape);
    std::size_t const cells = expected.shape.size();
    for (std::size_t i = 0; i < actual.size(); ++i)
    {
        EXPECT_EQ(actual.energy_gev[i], expected.energy_gev[first + i]) << "event " << first + i;
        if (!expected.theta_rad.empty())
        {
            EXPECT_EQ(actual.theta_rad[i], expected.theta_rad[first + i]);
            EXPECT_EQ(actual.measured_angle_rad[i], expected.measured_angle_rad[first + i]);
        }
        EXPECT_TRUE(std::equal(actual.image(i), actual.image(i) + cells, expected.image(first + i)))
            << "cells of event " << first + i;
    }
}

void write_file(std::string const& path, std::vector<event::EventBatch> const& batches, std::string const& metadata = "{}")
{
    event::Layout const layout = batches.front().layout;
    DatasetWriter writer(path, layout, default_shape(layout), metadata, false);
    for (auto const& b : batches) writer.append(b);
    writer.commit();
}

void expect_mentions(std::string const& message, std::vector<std::string> const& words)
{
    for (auto const& w : words)
        EXPECT_NE(message.find(w), std::string::npos) << "'" << w << "' missing from: " << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
}
}  // namespace

TEST(DatasetReader, RoundTripFixedAngleWithSeveralAppends)
{
    test::TempDir dir;
    std::vector<event::EventBatch> parts{make_batch(event::Layout::fixed_angle, 3, 1), make_batch(event::Layout::fixed_angle, 4, 2)};
    write_file(dir / "a.h5", parts, R"({"config": {"x": 1}})");
    auto const expected = concat(parts);

    DatasetReader const reader({dir / "a.h5"});
    EXPECT_EQ(reader.num_events(), 7u);
    EXPECT_EQ(reader.layout(), event::Layout::fixed_angle);
    EXPECT_EQ(reader.shape(), geo::kFixedAngleShape);
    ASSERT_EQ(reader.files().size(), 1u);
    auto const& info = reader.files()[0];
    EXPECT_EQ(info.path, dir / "a.h5");
    EXPECT_EQ(info.events, 7u);
    EXPECT_EQ(info.energy_key, "energy");
    EXPECT_FALSE(info.has_theta);
    EXPECT_FALSE(info.has_mtheta);
    EXPECT_EQ(info.metadata_json, R"({"config": {"x": 1}})");

    auto const all = reader.read(0, 7);
    EXPECT_EQ(all.size(), 7u);
    EXPECT_TRUE(all.theta_rad.empty());
    EXPECT_TRUE(all.measured_angle_rad.empty());
    ASSERT_EQ(all.pdg_id.size(), 7u);  // from target[:,0]
    EXPECT_EQ(all.pdg_id[6], 11.0f);
    expect_events_equal(all, expected, 0);
    auto const middle = reader.read(2, 3);  // spans the two appends
    EXPECT_EQ(middle.size(), 3u);
    expect_events_equal(middle, expected, 2);
    EXPECT_EQ(reader.read(7, 0).size(), 0u);
}

TEST(DatasetReader, RoundTripVariableAngle)
{
    test::TempDir dir;
    std::vector<event::EventBatch> parts{make_batch(event::Layout::variable_angle, 2, 1), make_batch(event::Layout::variable_angle, 1, 2),
                                  make_batch(event::Layout::variable_angle, 3, 3)};
    write_file(dir / "b.h5", parts);
    auto const expected = concat(parts);
    DatasetReader const reader({dir / "b.h5"});
    EXPECT_EQ(reader.layout(), event::Layout::variable_angle);
    EXPECT_EQ(reader.shape(), geo::kVariableAngleShape);
    EXPECT_TRUE(reader.has_theta());
    EXPECT_TRUE(reader.has_mtheta());
    EXPECT_FALSE(reader.has_pdg_id());
    auto const all = reader.read(0, 6);
    ASSERT_EQ(all.theta_rad.size(), 6u);
    ASSERT_EQ(all.measured_angle_rad.size(), 6u);
    EXPECT_TRUE(all.pdg_id.empty());
    expect_events_equal(all, expected, 0);
    expect_events_equal(reader.read(1, 4), expected, 1);
}

TEST(DatasetReader, FolderIsSortedByNameAndReadsCrossFileBoundaries)
{
    test::TempDir dir;
    // Written out of order; tags make every event distinguishable.
    auto const c = make_batch(event::Layout::variable_angle, 2, 3);
    auto const a = make_batch(event::Layout::variable_angle, 3, 1);
    auto const b = make_batch(event::Layout::variable_angle, 1, 2);
    write_file(dir / "run_c.h5", {c});
    write_file(dir / "run_a.h5", {a});
    write_file(dir / "run_b.hdf5", {b});
    std::ofstream(dir / "notes.txt") << "ignored";
    fs::create_directory(dir.path() / "sub.h5");  // a folder, not a file: ignored

    DatasetReader const reader({dir.path().string()});
    ASSERT_EQ(reader.files().size(), 3u);
    EXPECT_EQ(fs::path(reader.files()[0].path).filename(), "run_a.h5");
    EXPECT_EQ(fs::path(reader.files()[1].path).filename(), "run_b.hdf5");
    EXPECT_EQ(fs::path(reader.files()[2].path).filename(), "run_c.h5");
    EXPECT_EQ(reader.num_events(), 6u);
    auto const expected = concat({a, b, c});
    for (std::size_t first = 0; first < 6; ++first)
    {
        for (std::size_t count = 0; first + count <= 6; ++count)
        {
            auto const batch = reader.read(first, count);
            ASSERT_EQ(batch.size(), count);
            expect_events_equal(batch, expected, first);
        }
    }

    // Inputs keep their order; a file may follow a folder.
    DatasetReader const mixed({dir / "run_c.h5", dir.path().string()});
    EXPECT_EQ(mixed.num_events(), 8u);
    expect_events_equal(mixed.read(0, 8), concat({c, a, b, c}), 0);
}

TEST(DatasetReader, ReadsEveryValueOfIndependentlyWrittenLcdFiles)
{
    auto const& fx = test::lcd_fixtures();
    for (auto const& [name, entry] : fx.manifest["files"].items())
    {
        SCOPED_TRACE(name);
        DatasetReader const reader({fx.path(name)});
        std::size_t const n = entry["events"];
        auto const& info = reader.files().at(0);
        EXPECT_EQ(info.events, n);
        EXPECT_EQ(to_string(info.layout), entry["layout"].get<std::string>());
        auto const shape = entry["shape"].get<std::vector<int>>();
        EXPECT_EQ(info.shape, (geo::ImageShape{shape[0], shape[1], shape[2]}));
        EXPECT_EQ(info.energy_key, entry["energy_key"].get<std::string>());
        EXPECT_EQ(info.has_theta, !entry["theta"].is_null());
        EXPECT_EQ(info.has_mtheta, !entry["mtheta"].is_null());
        EXPECT_TRUE(info.metadata_json.empty());

        auto const batch = reader.read(0, n);
        auto const cells = fx.load(entry["cells"]);
        ASSERT_EQ(batch.cells.size(), cells.size());
        std::size_t mismatches = 0;
        for (std::size_t k = 0; k < cells.size(); ++k) mismatches += batch.cells[k] != static_cast<float>(cells[k]);
        EXPECT_EQ(mismatches, 0u);

        auto const expect_column = [&](std::vector<float> const& actual, char const* key)
        {
            if (entry[key].is_null())
            {
                EXPECT_TRUE(actual.empty()) << key;
                return;
            }
            auto const values = entry[key].get<std::vector<double>>();
            ASSERT_EQ(actual.size(), values.size()) << key;
            for (std::size_t i = 0; i < values.size(); ++i)
                EXPECT_EQ(actual[i], static_cast<float>(values[i])) << key << " event " << i;
        };
        expect_column(batch.energy_gev, "energy");
        expect_column(batch.theta_rad, "theta");
        expect_column(batch.measured_angle_rad, "mtheta");
        expect_column(batch.pdg_id, "pdg_id");

        // Event by event, as a trainer would stream them.
        for (std::size_t i = 0; i < n; ++i)
        {
            auto const one = reader.read(i, 1);
            EXPECT_TRUE(std::equal(one.cells.begin(), one.cells.end(), batch.image(i)));
        }
    }
}

TEST(DatasetReader, ReadsLcdFolders)
{
    auto const& fx = test::lcd_fixtures();
    DatasetReader const fixed({fx.path("fixed")});
    EXPECT_EQ(fixed.layout(), event::Layout::fixed_angle);
    EXPECT_EQ(fixed.num_events(), 8u);
    EXPECT_EQ(fixed.files()[0].energy_key, "target[:,1]");
    EXPECT_EQ(fixed.files()[1].energy_key, "target[:,0,1]");
    auto const fixed_batch = fixed.read(3, 4);  // crosses from a_target2d (5 events) into b_target3d
    auto const e1 = fx.manifest["files"]["fixed/a_target2d.h5"]["energy"];
    auto const e2 = fx.manifest["files"]["fixed/b_target3d.h5"]["energy"];
    EXPECT_EQ(fixed_batch.energy_gev, (std::vector<float>{e1[3], e1[4], e2[0], e2[1]}));
    EXPECT_EQ(fixed_batch.pdg_id, (std::vector<float>{11, 11, 22, 22}));

    DatasetReader const var({fx.path("var")});
    EXPECT_EQ(var.layout(), event::Layout::variable_angle);
    EXPECT_EQ(var.num_events(), 15u);
    EXPECT_TRUE(var.has_theta());
    EXPECT_FALSE(var.has_mtheta());  // only b_meas.h5 has it: batches carry none
    EXPECT_FALSE(var.has_pdg_id());
    auto const batch = var.read(4, 4);
    EXPECT_EQ(batch.theta_rad.size(), 4u);
    EXPECT_TRUE(batch.measured_angle_rad.empty());
}

TEST(DatasetReader, RejectsBrokenLcdFilesNamingFileAndDataset)
{
    auto const& fx = test::lcd_fixtures();
    ASSERT_FALSE(fx.manifest["bad"].empty());
    for (auto const& [name, words] : fx.manifest["bad"].items())
    {
        SCOPED_TRACE(name);
        std::string const path = fx.path("bad/" + name);
        auto const message = test::error_message(
            [&]
            {
                DatasetReader const reader({path});
                reader.read(0, reader.num_events());
            });
        auto expected = words.get<std::vector<std::string>>();
        expected.push_back(path);
        expect_mentions(message, expected);
    }
}

TEST(DatasetReader, RejectsBadInputs)
{
    auto const& fx = test::lcd_fixtures();
    test::TempDir dir;
    expect_mentions(test::error_message([&] { DatasetReader({}); }), {"no input files"});
    expect_mentions(test::error_message([&] { DatasetReader({dir / "missing.h5"}); }), {"not found", dir / "missing.h5"});
    expect_mentions(test::error_message([&] { DatasetReader({dir.path().string()}); }), {"no *.h5", dir.path().string()});
    std::ofstream(dir / "readme.txt") << "x";
    expect_mentions(test::error_message([&] { DatasetReader({dir.path().string()}); }), {"no *.h5", dir.path().string()});
    expect_mentions(test::error_message(
                        [&] {
                            DatasetReader({fx.path("fixed/a_target2d.h5"), fx.path("var/a_raw.h5")});
                        }),
                    {"mix layouts", fx.path("var/a_raw.h5"), fx.path("fixed/a_target2d.h5"), "`ECAL`"});

    DatasetReader const reader({fx.path("var")});
    expect_mentions(test::error_message([&] { reader.read(10, 6); }), {"past the end", "15 events"});
    expect_mentions(test::error_message([&] { reader.read(16, 0); }), {"past the end"});

    // A truncated file: HDF5's own error, translated with context.
    std::string const truncated = dir / "truncated.h5";
    fs::copy_file(fx.path("var/a_raw.h5"), truncated);
    fs::resize_file(truncated, fs::file_size(truncated) / 2);
    auto const message = test::error_message(
        [&]
        {
            DatasetReader const r({truncated});
            r.read(0, r.num_events());
        });
    expect_mentions(message, {truncated});
    EXPECT_EQ(message.find("<"), std::string::npos) << message;  // an InputError, no other exception
}

TEST(DatasetReader, CorruptChunkGivesInputErrorWithHdf5Detail)
{
    test::TempDir dir;
    std::string const path = dir / "corrupt.h5";
    write_file(path, {make_batch(event::Layout::variable_angle, 3, 1)});
    // Overwrite bytes inside the compressed chunk of event 1 (located with h5py).
    std::ofstream(dir / "corrupt.py") << "import h5py, sys\n"
                                         "with h5py.File(sys.argv[1], 'r') as f:\n"
                                         "    info = f['ECAL'].id.get_chunk_info(1)\n"
                                         "with open(sys.argv[1], 'r+b') as f:\n"
                                         "    f.seek(info.byte_offset + 20)\n"
                                         "    f.write(b'\\x55' * min(200, info.size - 40))\n";
    auto const result = test::run_command(test::python() + " " + (dir / "corrupt.py") + " " + path);
    ASSERT_EQ(result.exit_code, 0) << result.output;

    DatasetReader const reader({path});
    EXPECT_EQ(reader.read(0, 1).size(), 1u);  // other chunks still read
    auto const message = test::error_message([&] { reader.read(0, 3); });
    expect_mentions(message, {"cannot read events 0 to 2", path, "inflate"});
}

// Found by fuzz/DatasetReaderFuzzer.cc: HDF5 keeps bookkeeping for each chunk
// a read touches, so one-cell chunks cost 1.6 s and 750 MB for 4 events.
TEST(DatasetReader, ChunksTooSmallAreRefusedAndSmallOnesAreReadInParts)
{
    test::TempDir dir;
    std::string const tiny = dir / "tiny_chunks.h5";
    std::string const small = dir / "small_chunks.h5";
    // ECAL[i, x, y, z] = i + x / 100; in 625 chunks per event (read 4 events at a time) or 15625.
    std::ofstream(dir / "write.py") << "import h5py, numpy as np, sys\n"
                                       "n = 40\n"
                                       "ecal = (np.arange(n)[:, None, None, None] + np.arange(25)[None, :, None, None] / 100.0"
                                       " + np.zeros((n, 25, 25, 25))).astype(np.float32)\n"
                                       "for path, chunks in ((sys.argv[1], (1, 1, 1, 1)), (sys.argv[2], (1, 5, 5, 1))):\n"
                                       "    with h5py.File(path, 'w') as f:\n"
                                       "        f.create_dataset('ECAL', data=ecal[:2] if chunks[1] == 1 else ecal, chunks=chunks)\n"
                                       "        f['energy'] = np.arange(1, n + 1, dtype=np.float32)[:2 if chunks[1] == 1 else n]\n";
    auto const result = test::run_command(test::python() + " " + (dir / "write.py") + " " + tiny + " " + small);
    ASSERT_EQ(result.exit_code, 0) << result.output;

    auto const message = test::error_message([&] { DatasetReader reader({tiny}); });
    expect_mentions(message, {tiny, "`ECAL`", "(1,1,1,1)", "h5repack -l ECAL:CHUNK=1x25x25x25"});

    DatasetReader const reader({small});
    auto const batch = reader.read(1, 38);  // ten parts, the first and last not aligned
    ASSERT_EQ(batch.size(), 38u);
    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        EXPECT_EQ(batch.energy_gev[i], static_cast<float>(i + 2));
        EXPECT_FLOAT_EQ(batch.image(i)[batch.shape.index(24, 3, 7)], static_cast<float>(i + 1) + 0.24f);
    }
}

TEST(DatasetReader, IsMovable)
{
    auto const& fx = test::lcd_fixtures();
    DatasetReader a({fx.path("fixed")});
    DatasetReader b = std::move(a);
    EXPECT_EQ(b.num_events(), 8u);
    EXPECT_EQ(b.read(7, 1).size(), 1u);
}
}  // namespace calo::io
