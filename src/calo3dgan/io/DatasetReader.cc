#include "calo3dgan/io/DatasetReader.hh"

#include <H5Cpp.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/detail/Hdf5Support.hh"

namespace fs = std::filesystem;

namespace calo::io
{
namespace
{
//! Where a per-event scalar lives: a (N,) or (N,1) dataset, or one column of `target`.
enum class Column
{
    none,
    vector,    //!< (N,) or (N,1)
    target2d,  //!< target[:, column]
    target3d   //!< target[:, 0, column]
};

struct ScalarSource
{
    Column kind = Column::none;
    H5::DataSet dataset;
    hsize_t column = 0;
};

struct OpenFile
{
    H5::H5File file;
    H5::DataSet ecal;
    ScalarSource energy;
    ScalarSource theta;
    ScalarSource mtheta;
    ScalarSource pdg;
    hsize_t events_per_read = std::numeric_limits<hsize_t>::max();  //!< see chunk_limited_events
};

std::vector<hsize_t> dims_of(H5::DataSet const& dataset)
{
    H5::DataSpace const space = dataset.getSpace();
    std::vector<hsize_t> dims(space.getSimpleExtentNdims());
    space.getSimpleExtentDims(dims.data());
    return dims;
}

std::string describe_dims(std::vector<hsize_t> const& dims)
{
    std::ostringstream os;
    os << "(";
    for (std::size_t i = 0; i < dims.size(); ++i) os << (i ? "," : "") << dims[i];
    os << (dims.size() == 1 ? ",)" : ")");
    return os.str();
}

bool has_dataset(H5::H5File const& file, char const* name)
{
    if (H5Lexists(file.getId(), name, H5P_DEFAULT) <= 0)
        return false;
    return file.childObjType(name) == H5O_TYPE_DATASET;
}

std::string list_keys(H5::H5File const& file)
{
    std::string keys;
    for (hsize_t i = 0; i < file.getNumObjs(); ++i) keys += (i ? ", " : "") + file.getObjnameByIdx(i);
    return keys.empty() ? "none" : keys;
}

bool is_numeric(H5::DataSet const& dataset)
{
    H5T_class_t const type_class = dataset.getTypeClass();
    return type_class == H5T_FLOAT || type_class == H5T_INTEGER;
}

//! The *.h5 / *.hdf5 files in a folder, sorted by name.
std::vector<std::string> list_folder(std::string const& folder)
{
    std::vector<std::string> files;
    for (auto const& entry : fs::directory_iterator(folder))
    {
        auto const ext = entry.path().extension().string();
        if ((ext == ".h5" || ext == ".hdf5") && entry.is_regular_file())
            files.push_back(entry.path().string());
    }
    std::sort(files.begin(), files.end());
    CALO_VALIDATE(!files.empty(), "no *.h5 or *.hdf5 files in folder (where: " + folder +
                                      ") — give a folder with 3DGAN/LCD HDF5 files, or the files themselves");
    return files;
}

std::vector<std::string> expand_inputs(std::vector<std::string> const& inputs)
{
    CALO_VALIDATE(!inputs.empty(), "no input files given — give HDF5 files or folders holding them");
    std::vector<std::string> files;
    for (auto const& input : inputs)
    {
        std::error_code ec;
        auto const status = fs::status(input, ec);
        CALO_VALIDATE(fs::exists(status), "input not found (where: " + input + ") — check the path");
        if (fs::is_directory(status))
        {
            auto const listed = list_folder(input);
            files.insert(files.end(), listed.begin(), listed.end());
        }
        else
        {
            CALO_VALIDATE(fs::is_regular_file(status),
                          "input is not a regular file (where: " + input + ") — give HDF5 files or folders");
            files.push_back(input);
        }
    }
    return files;
}

/*!
 * HDF5 1.10 keeps a few kB of bookkeeping for every chunk one read touches
 * (found by fuzz/DatasetReaderFuzzer.cc: 4 events of an `ECAL` stored in
 * one-cell chunks took 1.6 s and 750 MB, so a batch of 128 would take
 * 24 GB). One event may span at most kMaxChunksPerEvent chunks of a dataset
 * (h5py's automatic chunking gives at most about 1,200), and reads are split
 * so that each touches at most kMaxChunksPerRead.
 */
constexpr hsize_t kMaxChunksPerEvent = 4096;
constexpr hsize_t kMaxChunksPerRead = 4096;

//! How many events one read of `dataset` may cover; InputError if one event
//! spans more than kMaxChunksPerEvent of its chunks.
hsize_t chunk_limited_events(H5::DataSet const& dataset, std::string const& name, std::string const& path)
{
    H5::DSetCreatPropList const creation = dataset.getCreatePlist();
    std::vector<hsize_t> const dims = dims_of(dataset);
    if (creation.getLayout() != H5D_CHUNKED || dims.empty())
        return std::numeric_limits<hsize_t>::max();
    std::vector<hsize_t> chunk(dims.size(), 1);
    creation.getChunk(static_cast<int>(chunk.size()), chunk.data());
    for (auto& c : chunk) c = std::max<hsize_t>(c, 1);
    hsize_t per_event = 1;
    for (std::size_t i = 1; i < dims.size(); ++i)
    {
        per_event *= (dims[i] + chunk[i] - 1) / chunk[i];
        if (per_event > kMaxChunksPerEvent)
        {
            std::string one_event = "1";
            for (std::size_t k = 1; k < dims.size(); ++k) one_event += "x" + std::to_string(dims[k]);
            throw InputError("dataset `" + name + "` is stored in chunks of " + describe_dims(chunk) +
                             " values, more than " + std::to_string(kMaxChunksPerEvent) +
                             " chunks for each event (where: " + path + ") — rewrite the file with larger chunks: " +
                             "h5repack -l " + name + ":CHUNK=" + one_event + " IN OUT");
        }
    }
    // A read of n events touches at most n / chunk[0] + 2 chunk rows along the event axis.
    hsize_t const rows = kMaxChunksPerRead / per_event;
    return rows > 2 ? (rows - 2) * chunk[0] : 1;
}

[[noreturn]] void bad_dataset(std::string const& path, std::string const& what, std::string const& hint)
{
    throw InputError(what + " (where: " + path + ") — " + hint);
}

//! An optional per-event dataset of shape (N,) or (N,1); throws if present with another shape.
ScalarSource open_vector(H5::H5File const& file, char const* name, hsize_t events, std::string const& path)
{
    ScalarSource source;
    if (!has_dataset(file, name))
        return source;
    H5::DataSet dataset = file.openDataSet(name);
    auto const dims = dims_of(dataset);
    std::string const where_ds = "dataset `" + std::string(name) + "`";
    if (!is_numeric(dataset) || dims.empty() || dims.size() > 2 || (dims.size() == 2 && dims[1] != 1))
    {
        bad_dataset(path,
                    where_ds + " has shape " + describe_dims(dims) +
                        (is_numeric(dataset) ? "" : " and is not numeric") + ", expected (N,) numbers",
                    "the file is not in the 3DGAN/LCD layout");
    }
    if (dims[0] != events)
    {
        bad_dataset(path,
                    "inconsistent event counts: " + where_ds + " has " + std::to_string(dims[0]) +
                        " entries but `ECAL` has " + std::to_string(events) + " events",
                    "the file is truncated or corrupt");
    }
    source.kind = Column::vector;
    source.dataset = dataset;
    return source;
}

OpenFile open_file(std::string const& path, FileInfo& info)
{
    CALO_VALIDATE(H5::H5File::isHdf5(path.c_str()),
                  "not an HDF5 file (where: " + path + ") — give 3DGAN/LCD .h5 files");
    OpenFile open;
    open.file = H5::H5File(path, H5F_ACC_RDONLY);
    H5::H5File const& file = open.file;
    info.path = path;

    // ECAL (N, x, y, layers)
    if (!has_dataset(file, "ECAL"))
    {
        bad_dataset(path, "missing dataset `ECAL` (keys: " + list_keys(file) + ")",
                    "give 3DGAN/LCD files with ECAL images (N,25,25,25) or (N,51,51,25)");
    }
    open.ecal = file.openDataSet("ECAL");
    auto const ecal_dims = dims_of(open.ecal);
    if (ecal_dims.size() != 4 || !is_numeric(open.ecal))
    {
        bad_dataset(path,
                    "dataset `ECAL` has shape " + describe_dims(ecal_dims) +
                        (is_numeric(open.ecal) ? "" : " and is not numeric") +
                        ", expected numbers of rank 4 (N, x, y, layers)",
                    "give 3DGAN/LCD files with ECAL images (N,25,25,25) or (N,51,51,25)");
    }
    info.events = static_cast<std::size_t>(ecal_dims[0]);
    info.shape =
        geo::ImageShape{static_cast<int>(ecal_dims[1]), static_cast<int>(ecal_dims[2]), static_cast<int>(ecal_dims[3])};
    auto const layout = event::layout_for_shape(info.shape);
    if (!layout)
    {
        bad_dataset(path,
                    "dataset `ECAL` has images of " + info.shape.to_string() + " (shape " + describe_dims(ecal_dims) +
                        "), expected 25x25x25 (layout a) or 51x51x25 (layout b)",
                    "crop or convert the images to a 3DGAN window");
    }
    info.layout = *layout;
    hsize_t const events = ecal_dims[0];
    open.events_per_read = chunk_limited_events(open.ecal, "ECAL", path);

    // Primary energy: `energy`, else `target` column 1.
    open.energy = open_vector(file, "energy", events, path);
    bool const has_target = has_dataset(file, "target");
    ScalarSource target;
    std::vector<hsize_t> target_dims;
    if (has_target)
    {
        target.dataset = file.openDataSet("target");
        target_dims = dims_of(target.dataset);
        if (is_numeric(target.dataset) && target_dims.size() == 2 && target_dims[1] >= 2)
            target.kind = Column::target2d;
        else if (is_numeric(target.dataset) && target_dims.size() == 3 && target_dims[1] >= 1 && target_dims[2] >= 2)
            target.kind = Column::target3d;
    }
    if (open.energy.kind != Column::none)
    {
        info.energy_key = "energy";
    }
    else if (target.kind != Column::none)
    {
        if (target_dims[0] != events)
        {
            bad_dataset(path,
                        "inconsistent event counts: dataset `target` has " + std::to_string(target_dims[0]) +
                            " entries but `ECAL` has " + std::to_string(events) + " events",
                        "the file is truncated or corrupt");
        }
        open.energy = target;
        open.energy.column = 1;
        info.energy_key = target.kind == Column::target2d ? "target[:,1]" : "target[:,0,1]";
    }
    else if (has_target)
    {
        bad_dataset(path,
                    "missing primary energy: no dataset `energy`, and `target` has shape " +
                        describe_dims(target_dims) + " without column 1 (expected (N,k>=2) or (N,1,k>=2))",
                    "give files with the primary energy in `energy` or `target[:,1]`");
    }
    else
    {
        bad_dataset(path,
                    "missing primary energy: neither dataset `energy` nor `target` (keys: " + list_keys(file) + ")",
                    "give files with the primary energy in `energy` or `target[:,1]`");
    }

    open.theta = open_vector(file, "theta", events, path);
    open.mtheta = open_vector(file, "mtheta", events, path);
    info.has_theta = open.theta.kind != Column::none;
    info.has_mtheta = open.mtheta.kind != Column::none;

    // PDG id: optional, never an error (`pdgID` in the raw LCD files, target[:,0] in the fixed-angle ones).
    if (has_dataset(file, "pdgID"))
    {
        H5::DataSet pdg = file.openDataSet("pdgID");
        auto const dims = dims_of(pdg);
        if (is_numeric(pdg) && !dims.empty() && dims.size() <= 2 && dims[0] == events &&
            (dims.size() == 1 || dims[1] == 1))
        {
            open.pdg.kind = Column::vector;
            open.pdg.dataset = pdg;
        }
    }
    if (open.pdg.kind == Column::none && target.kind != Column::none && target_dims[0] == events)
    {
        open.pdg = target;
        open.pdg.column = 0;
    }
    for (auto const* source : {&open.energy, &open.theta, &open.mtheta, &open.pdg})
    {
        if (source->kind != Column::none)
        {
            std::string const name = source->dataset.getObjName();  // "/energy"
            open.events_per_read =
                std::min(open.events_per_read, chunk_limited_events(source->dataset, name.substr(1), path));
        }
    }

    if (file.attrExists("calo3dgan"))
    {
        try
        {
            H5::Attribute const attribute = file.openAttribute("calo3dgan");
            if (attribute.getTypeClass() == H5T_STRING)
                attribute.read(attribute.getStrType(), info.metadata_json);
        }
        catch (H5::Exception const&)
        {
            info.metadata_json.clear();  // unreadable metadata is not fatal: the data are what matter
        }
    }
    return open;
}

//! Read `count` values starting at event `first` into out (float).
void read_scalar(ScalarSource const& source, hsize_t first, hsize_t count, float* out)
{
    auto const dims = dims_of(source.dataset);
    std::vector<hsize_t> start(dims.size(), 0);
    std::vector<hsize_t> block(dims.size(), 1);
    start[0] = first;
    block[0] = count;
    if (source.kind == Column::target2d)
        start[1] = source.column;
    else if (source.kind == Column::target3d)
        start[2] = source.column;
    H5::DataSpace file_space = source.dataset.getSpace();
    file_space.selectHyperslab(H5S_SELECT_SET, block.data(), start.data());
    H5::DataSpace mem_space(1, &count);
    source.dataset.read(out, H5::PredType::NATIVE_FLOAT, mem_space, file_space);
}

std::string format_value(float v)
{
    std::ostringstream os;
    os << v;
    return os.str();
}
}  // namespace

struct DatasetReader::Handles
{
    std::vector<OpenFile> files;
};

DatasetReader::DatasetReader(std::vector<std::string> const& inputs) : handles_(std::make_unique<Handles>())
{
    detail::silence_hdf5_errors();
    auto const paths = expand_inputs(inputs);
    offsets_.push_back(0);
    for (auto const& path : paths)
    {
        FileInfo info;
        try
        {
            handles_->files.push_back(open_file(path, info));
        }
        catch (...)
        {
            detail::rethrow_with_context("cannot read HDF5 file", path,
                                         "check that it is a complete 3DGAN/LCD HDF5 file");
        }
        if (files_.empty())
        {
            layout_ = info.layout;
            shape_ = info.shape;
            has_theta_ = info.has_theta;
            has_mtheta_ = info.has_mtheta;
        }
        else if (info.layout != layout_)
        {
            throw InputError("files mix layouts: " + files_.front().path + " is layout " + to_string(layout_) + " (" +
                             shape_.to_string() + ") but this one is layout " + to_string(info.layout) + " (" +
                             info.shape.to_string() + ") (where: " + path +
                             ", dataset `ECAL`) — give files of one layout");
        }
        has_theta_ = has_theta_ && info.has_theta;
        has_mtheta_ = has_mtheta_ && info.has_mtheta;
        num_events_ += info.events;
        offsets_.push_back(num_events_);
        files_.push_back(std::move(info));
    }
    has_pdg_id_ = std::all_of(handles_->files.begin(), handles_->files.end(),
                              [](OpenFile const& f) { return f.pdg.kind != Column::none; });
}

DatasetReader::~DatasetReader() = default;
DatasetReader::DatasetReader(DatasetReader&&) noexcept = default;
DatasetReader& DatasetReader::operator=(DatasetReader&&) noexcept = default;

event::EventBatch DatasetReader::read(std::size_t first, std::size_t count) const
{
    CALO_VALIDATE(first <= num_events_ && count <= num_events_ - first,
                  "events [" + std::to_string(first) + ", " + std::to_string(first + count) +
                      ") are past the end of the data (where: " + std::to_string(num_events_) + " events in " +
                      std::to_string(files_.size()) + " file(s) starting with " + files_.front().path +
                      ") — ask for fewer events");
    detail::silence_hdf5_errors();
    event::EventBatch batch;
    batch.layout = layout_;
    batch.shape = shape_;
    batch.cells.resize(count * shape_.size());
    batch.energy_gev.resize(count);
    if (has_theta_)
        batch.theta_rad.resize(count);
    if (has_mtheta_)
        batch.measured_angle_rad.resize(count);
    if (has_pdg_id_)
        batch.pdg_id.resize(count);

    std::size_t done = 0;
    // The file holding event `first`: the last offset <= first.
    std::size_t file =
        static_cast<std::size_t>(std::upper_bound(offsets_.begin(), offsets_.end(), first) - offsets_.begin()) - 1;
    while (done < count)
    {
        std::size_t const local_first = first + done - offsets_[file];
        std::size_t const n = std::min(count - done, files_[file].events - local_first);
        if (n > 0)
            read_file_range(file, local_first, n, batch, done);
        done += n;
        ++file;
    }
    return batch;
}

void DatasetReader::read_file_range(std::size_t file, std::size_t first, std::size_t count, event::EventBatch& batch,
                                    std::size_t out) const
{
    OpenFile const& open = handles_->files[file];
    std::string const& path = files_[file].path;
    std::size_t const cells_per_event = shape_.size();
    try
    {
        // In parts that touch a bounded number of chunks each (see chunk_limited_events).
        for (std::size_t done = 0; done < count; done += open.events_per_read)
        {
            hsize_t const part = std::min<hsize_t>(count - done, open.events_per_read);
            hsize_t const from = first + done;
            std::size_t const to = out + done;
            hsize_t const start[4] = {from, 0, 0, 0};
            hsize_t const block[4] = {part, static_cast<hsize_t>(shape_.nx), static_cast<hsize_t>(shape_.ny),
                                      static_cast<hsize_t>(shape_.nz)};
            H5::DataSpace file_space = open.ecal.getSpace();
            file_space.selectHyperslab(H5S_SELECT_SET, block, start);
            H5::DataSpace mem_space(4, block);
            open.ecal.read(batch.cells.data() + to * cells_per_event, H5::PredType::NATIVE_FLOAT, mem_space,
                           file_space);
            read_scalar(open.energy, from, part, batch.energy_gev.data() + to);
            if (has_theta_)
                read_scalar(open.theta, from, part, batch.theta_rad.data() + to);
            if (has_mtheta_)
                read_scalar(open.mtheta, from, part, batch.measured_angle_rad.data() + to);
            if (has_pdg_id_)
                read_scalar(open.pdg, from, part, batch.pdg_id.data() + to);
        }
    }
    catch (...)
    {
        detail::rethrow_with_context(
            "cannot read events " + std::to_string(first) + " to " + std::to_string(first + count - 1), path,
            "the file is truncated or corrupt");
    }

    // Validate: the GAN and the physics validation assume finite, non-negative cell energies.
    float const* cells = batch.cells.data() + out * cells_per_event;
    for (std::size_t k = 0; k < count * cells_per_event; ++k)
    {
        float const v = cells[k];
        if (std::isfinite(v) && v >= 0.0f)
            continue;
        std::size_t const event = k / cells_per_event;
        std::size_t const cell = k % cells_per_event;
        int const iz = static_cast<int>(cell % shape_.nz);
        int const iy = static_cast<int>((cell / shape_.nz) % shape_.ny);
        int const ix = static_cast<int>(cell / (static_cast<std::size_t>(shape_.nz) * shape_.ny));
        throw InputError("invalid cell energy " + format_value(v) + " in event " + std::to_string(first + event) +
                         " at cell (" + std::to_string(ix) + "," + std::to_string(iy) + "," + std::to_string(iz) +
                         ") (where: " + path + ", dataset `ECAL`) — " +
                         (std::isfinite(v) ? "cell energies must be >= 0" : "cell energies must be finite") +
                         "; remove the event or the file");
    }
    auto const check_column = [&](std::vector<float> const& values, char const* name, bool positive)
    {
        if (values.empty())
            return;
        for (std::size_t i = 0; i < count; ++i)
        {
            float const v = values[out + i];
            if (std::isfinite(v) && (!positive || v > 0.0f))
                continue;
            throw InputError("invalid " + std::string(name) + " " + format_value(v) + " in event " +
                             std::to_string(first + i) + " (where: " + path + ", dataset `" +
                             (std::string(name) == "energy" ? files_[file].energy_key : std::string(name)) + "`) — " +
                             (positive ? "energies must be finite and positive" : "angles must be finite") +
                             "; remove the event or the file");
        }
    };
    check_column(batch.energy_gev, "energy", true);
    check_column(batch.theta_rad, "theta", false);
    check_column(batch.measured_angle_rad, "mtheta", false);
}
}  // namespace calo::io
