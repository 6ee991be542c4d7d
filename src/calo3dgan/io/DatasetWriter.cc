#include "calo3dgan/io/DatasetWriter.hh"

#include <H5Cpp.h>
#include <libdeflate.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <vector>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/ParallelFor.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"
#include "calo3dgan/io/detail/Hdf5Support.hh"

namespace fs = std::filesystem;

namespace calo::io
{
namespace
{
//! PDG id stored in `target[:,0]` when the batch carries none: 3DGAN data are electrons.
constexpr float kDefaultPdgId = 11.0f;
//! Events per chunk of the 1-D (and target) datasets.
constexpr hsize_t kScalarChunk = 1024;
constexpr int kGzipLevel = 4;

H5::DataSet create_extendable(H5::H5File& file, char const* name, std::vector<hsize_t> event_dims)
{
    // event_dims: the shape of one event (empty for a scalar per event).
    std::vector<hsize_t> dims{0};
    std::vector<hsize_t> max_dims{H5S_UNLIMITED};
    std::vector<hsize_t> chunk{event_dims.empty() ? kScalarChunk : 1};
    for (hsize_t d : event_dims)
    {
        dims.push_back(d);
        max_dims.push_back(d);
        chunk.push_back(d);
    }
    if (event_dims.size() == 1)  // target (N,2): many events per chunk
        chunk[0] = kScalarChunk;
    H5::DataSpace space(static_cast<int>(dims.size()), dims.data(), max_dims.data());
    H5::DSetCreatPropList props;
    props.setChunk(static_cast<int>(chunk.size()), chunk.data());
    props.setShuffle();
    props.setDeflate(kGzipLevel);
    // No modification times: the same events must give bit-identical files.
    H5Pset_obj_track_times(props.getId(), false);
    return file.createDataSet(name, H5::PredType::IEEE_F32LE, space, props);
}

//! Grow `dataset` to `events` rows; returns its new dimensions.
std::vector<hsize_t> extend_to(H5::DataSet& dataset, hsize_t events)
{
    H5::DataSpace old_space = dataset.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(old_space.getSimpleExtentNdims()));
    old_space.getSimpleExtentDims(dims.data());
    dims[0] = events;
    dataset.extend(dims.data());
    return dims;
}

//! Grow `dataset` by `count` events and write `data` (count events, float) into the new rows.
void append_rows(H5::DataSet& dataset, hsize_t first, hsize_t count, float const* data)
{
    auto const dims = extend_to(dataset, first + count);
    int const rank = static_cast<int>(dims.size());
    H5::DataSpace file_space = dataset.getSpace();
    std::vector<hsize_t> start(rank, 0);
    std::vector<hsize_t> block = dims;
    start[0] = first;
    block[0] = count;
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
    H5::DataSpace mem_space(rank, block.data());
    dataset.write(data, H5::PredType::NATIVE_FLOAT, mem_space, file_space);
}

/*!
 * Append `count` images as one chunk each, compressed here on `threads`
 * threads through the dataset's filter pipeline (HDF5's byte shuffle for
 * 4-byte values, then deflate in the zlib format the gzip filter reads) and
 * written with H5Dwrite_chunk. Deflate is libdeflate's at kGzipLevel: 2.4x
 * zlib's speed at this level, slightly smaller chunks, the same data.
 */
void append_images_compressed(H5::DataSet& dataset, hsize_t first, hsize_t count, float const* data,
                              std::size_t values_per_image, int threads)
{
    auto const rank = extend_to(dataset, first + count).size();
    std::size_t const bytes = values_per_image * sizeof(float);
    std::vector<std::vector<unsigned char>> chunks(count);
    parallel_for(0, static_cast<std::int64_t>(count), threads,
                 [&](std::int64_t i)
                 {
                     // One compressor per thread (it holds a few hundred kB of tables).
                     thread_local std::unique_ptr<libdeflate_compressor, void (*)(libdeflate_compressor*)> compressor(
                         libdeflate_alloc_compressor(kGzipLevel), libdeflate_free_compressor);
                     if (!compressor)
                         throw InputError("libdeflate could not allocate a compressor — out of memory");
                     auto const* source = reinterpret_cast<unsigned char const*>(data + i * values_per_image);
                     std::vector<unsigned char> shuffled(bytes);
                     for (std::size_t v = 0; v < values_per_image; ++v)
                         for (std::size_t b = 0; b < sizeof(float); ++b)
                             shuffled[b * values_per_image + v] = source[v * sizeof(float) + b];
                     auto& chunk = chunks[i];
                     chunk.resize(libdeflate_zlib_compress_bound(compressor.get(), bytes));
                     std::size_t const size = libdeflate_zlib_compress(compressor.get(), shuffled.data(), bytes,
                                                                       chunk.data(), chunk.size());
                     if (size == 0)
                         throw InputError("libdeflate could not compress an image");
                     chunk.resize(size);
                 });
    std::vector<hsize_t> offset(rank, 0);
    for (hsize_t i = 0; i < count; ++i)
    {
        offset[0] = first + i;
        if (H5Dwrite_chunk(dataset.getId(), H5P_DEFAULT, 0, offset.data(), chunks[i].size(), chunks[i].data()) < 0)
            throw H5::DataSetIException("H5Dwrite_chunk", "direct chunk write failed");
    }
}

/*!
 * Drop the HDF5 handles after a failed write. Their C++ destructors retry
 * the close and print to std::cerr when it fails again (a full disk): the
 * failure is reported once, by the exception, so that output is discarded.
 */
template<class Handles>
void drop_after_failure(std::unique_ptr<Handles>& handles)
{
    std::streambuf* const saved = std::cerr.rdbuf(nullptr);
    handles.reset();
    std::cerr.rdbuf(saved);
    std::cerr.clear();
}

void check_values(std::vector<float> const& values, std::size_t n, char const* name, std::string const& path,
                  bool non_negative)
{
    for (std::size_t i = 0; i < values.size(); ++i)
    {
        float const v = values[i];
        bool const ok = std::isfinite(v) && (!non_negative || v >= 0.0f);
        if (!ok)
        {
            std::size_t const per_event = values.size() / std::max<std::size_t>(n, 1);
            throw InputError("invalid " + std::string(name) + " value " + std::to_string(v) + " in event " +
                             std::to_string(i / per_event) + " of the batch to write (where: " + path +
                             ") — the producer of these events is broken; nothing was written");
        }
    }
}
}  // namespace

struct DatasetWriter::Handles
{
    H5::H5File file;
    H5::DataSet ecal;
    H5::DataSet energy;
    H5::DataSet target;  // layout a
    H5::DataSet theta;   // layout b
    H5::DataSet mtheta;  // layout b
};

DatasetWriter::DatasetWriter(std::string path, event::Layout layout, geo::ImageShape shape, std::string metadata_json,
                             bool overwrite)
    : file_(path), layout_(layout), shape_(shape)
{
    detail::silence_hdf5_errors();
    CALO_VALIDATE(shape == default_shape(layout), "image shape " + shape.to_string() + " does not match layout " +
                                                      to_string(layout) + " (" + default_shape(layout).to_string() +
                                                      ") (where: " + path +
                                                      ") — write layout a as 25x25x25 and layout b as 51x51x25");
    CALO_VALIDATE(overwrite || !fs::exists(path),
                  "output file exists (where: " + path + ") — pass --overwrite or choose another output path");
    CALO_VALIDATE(!fs::is_directory(path), "output path is a folder (where: " + path + ") — give a file name");
    fs::path const parent = fs::path(path).parent_path();
    ensure_writable_directory(parent.empty() ? std::string(".") : parent.string());

    if (metadata_json.empty())
        metadata_json = "{}";
    CALO_VALIDATE(
        nlohmann::json::accept(metadata_json),
        "metadata for the `calo3dgan` attribute is not valid JSON (where: " + path + ") — this is a bug in the caller");

    try
    {
        handles_ = std::make_unique<Handles>();
        handles_->file = H5::H5File(file_.temp_path(), H5F_ACC_TRUNC);
        auto const nx = static_cast<hsize_t>(shape.nx);
        auto const ny = static_cast<hsize_t>(shape.ny);
        auto const nz = static_cast<hsize_t>(shape.nz);
        handles_->ecal = create_extendable(handles_->file, "ECAL", {nx, ny, nz});
        handles_->energy = create_extendable(handles_->file, "energy", {});
        if (layout == event::Layout::fixed_angle)
        {
            handles_->target = create_extendable(handles_->file, "target", {2});
        }
        else
        {
            handles_->theta = create_extendable(handles_->file, "theta", {});
            handles_->mtheta = create_extendable(handles_->file, "mtheta", {});
        }
        H5::StrType const str_type(H5::PredType::C_S1, H5T_VARIABLE);
        H5::Attribute attribute = handles_->file.createAttribute("calo3dgan", str_type, H5::DataSpace(H5S_SCALAR));
        attribute.write(str_type, metadata_json);
    }
    catch (...)
    {
        handles_.reset();
        detail::rethrow_with_context("cannot create HDF5 file", file_.temp_path(),
                                     "check the output folder (free space, permissions)");
    }
}

DatasetWriter::~DatasetWriter() = default;

void DatasetWriter::append(event::EventBatch const& batch)
{
    std::string const& path = file_.final_path();
    CALO_VALIDATE(handles_, "cannot append to a committed or failed file (where: " + path + ") — bug in the caller");
    std::size_t const n = batch.size();
    CALO_VALIDATE(batch.layout == layout_ && batch.shape == shape_,
                  "batch layout " + to_string(batch.layout) + " (" + batch.shape.to_string() +
                      ") does not match the file's layout " + to_string(layout_) + " (" + shape_.to_string() +
                      ") (where: " + path + ") — convert the events first");
    CALO_VALIDATE(batch.cells.size() == n * shape_.size(),
                  "batch has " + std::to_string(batch.cells.size()) + " cells for " + std::to_string(n) +
                      " events of " + shape_.to_string() + " (where: " + path + ") — bug in the caller");
    if (n == 0)
        return;
    auto const check_optional = [&](std::vector<float> const& v, char const* name)
    {
        CALO_VALIDATE(v.empty() || v.size() == n, "batch has " + std::to_string(v.size()) + " " + name +
                                                      " values for " + std::to_string(n) + " events (where: " + path +
                                                      ") — bug in the caller");
    };
    check_optional(batch.theta_rad, "theta");
    check_optional(batch.measured_angle_rad, "mtheta");
    check_optional(batch.pdg_id, "pdg_id");
    check_values(batch.cells, n, "cell", path, /*non_negative=*/true);
    check_values(batch.energy_gev, n, "energy", path, /*non_negative=*/true);

    std::vector<float> mtheta;
    if (layout_ == event::Layout::variable_angle)
    {
        CALO_VALIDATE(batch.theta_rad.size() == n, "layout b needs the angle theta of every event (where: " + path +
                                                       ") — fill event::EventBatch::theta_rad");
        check_values(batch.theta_rad, n, "theta", path, false);
        if (batch.measured_angle_rad.empty())
        {
            mtheta.resize(n);
            for (std::size_t i = 0; i < n; ++i)
                mtheta[i] = static_cast<float>(geo::measured_angle(batch.image(i), shape_));
        }
        else
        {
            check_values(batch.measured_angle_rad, n, "mtheta", path, false);
        }
    }

    try
    {
        auto const first = static_cast<hsize_t>(events_);
        auto const count = static_cast<hsize_t>(n);
        if (compression_threads_ < 0)
            append_rows(handles_->ecal, first, count, batch.cells.data());
        else
            append_images_compressed(handles_->ecal, first, count, batch.cells.data(), shape_.size(),
                                     compression_threads_);
        append_rows(handles_->energy, first, count, batch.energy_gev.data());
        if (layout_ == event::Layout::fixed_angle)
        {
            std::vector<float> target(2 * n);
            for (std::size_t i = 0; i < n; ++i)
            {
                target[2 * i] = batch.pdg_id.empty() ? kDefaultPdgId : batch.pdg_id[i];
                target[2 * i + 1] = batch.energy_gev[i];
            }
            append_rows(handles_->target, first, count, target.data());
        }
        else
        {
            append_rows(handles_->theta, first, count, batch.theta_rad.data());
            append_rows(handles_->mtheta, first, count, mtheta.empty() ? batch.measured_angle_rad.data() : mtheta.data());
        }
    }
    catch (...)
    {
        drop_after_failure(handles_);
        detail::rethrow_with_context("cannot write events to HDF5 file", file_.temp_path() + " for " + path,
                                     "check free disk space; the partial file was removed");
    }
    events_ += n;
}

void DatasetWriter::commit()
{
    std::string const& path = file_.final_path();
    CALO_VALIDATE(handles_, "cannot commit a committed or failed file (where: " + path + ") — bug in the caller");
    try
    {
        handles_->file.flush(H5F_SCOPE_GLOBAL);
        handles_->ecal.close();
        handles_->energy.close();
        handles_->target.close();
        handles_->theta.close();
        handles_->mtheta.close();
        handles_->file.close();
    }
    catch (...)
    {
        drop_after_failure(handles_);
        detail::rethrow_with_context("cannot finish HDF5 file", file_.temp_path() + " for " + path,
                                     "check free disk space; the partial file was removed");
    }
    handles_.reset();
    file_.commit();
}
}  // namespace calo::io
