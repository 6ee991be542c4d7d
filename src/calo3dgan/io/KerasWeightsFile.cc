#include "calo3dgan/io/KerasWeightsFile.hh"

#include <H5Cpp.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <nlohmann/json.hpp>
#include <sstream>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/detail/Hdf5Support.hh"

namespace fs = std::filesystem;

namespace calo::io
{
namespace
{
std::size_t product(std::vector<std::size_t> const& shape)
{
    std::size_t n = 1;
    for (auto d : shape) n *= d;
    return n;
}

std::string describe_shape(std::vector<std::size_t> const& shape)
{
    std::ostringstream os;
    os << "(";
    for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
    os << (shape.size() == 1 ? ",)" : ")");
    return os.str();
}

void check_readable_hdf5(std::string const& path, std::string const& what_to_give)
{
    CALO_VALIDATE(fs::exists(path), "file not found (where: " + path + ") — " + what_to_give);
    CALO_VALIDATE(fs::is_regular_file(path), "not a regular file (where: " + path + ") — " + what_to_give);
    CALO_VALIDATE(H5::H5File::isHdf5(path.c_str()), "not an HDF5 file (where: " + path + ") — " + what_to_give);
}

/*!
 * A file may declare extents it does not store (found by
 * fuzz/KerasWeightsFuzzer.cc: 2^40 values declared in a few bytes), so sizes
 * are checked before anything is allocated: at most 16 Mi values in a file
 * (64 MB; the 3DGAN networks and their optimizer state hold about 2 M), and
 * no dataset may declare more than 1024 times the bytes it stores (weights
 * are stored uncompressed; the factor leaves room for compression).
 */
constexpr std::size_t kMaxFileValues = std::size_t(1) << 24;
constexpr hsize_t kMaxExpansion = 1024;
constexpr hsize_t kMaxChunks = 4096;

//! Read a numeric dataset as float32 (HDF5 converts integer and double
//! types), counting its values against the file's `budget`.
FloatDataset read_dataset(H5::DataSet const& dataset, std::string const& name, std::string const& file_path,
                          std::size_t& budget)
{
    H5T_class_t const type_class = dataset.getTypeClass();
    CALO_VALIDATE(type_class == H5T_FLOAT || type_class == H5T_INTEGER,
                  "dataset `" + name + "` is not numeric (where: " + file_path +
                      ") — the file is not a Keras weights file or is corrupt");
    H5::DataSpace const space = dataset.getSpace();
    std::vector<hsize_t> dims(static_cast<std::size_t>(space.getSimpleExtentNdims()));
    space.getSimpleExtentDims(dims.data());
    FloatDataset result;
    result.path = name;
    result.shape.assign(dims.begin(), dims.end());
    std::size_t count = 1;
    for (auto d : dims)
    {
        CALO_VALIDATE(d <= budget && count <= budget / std::max<hsize_t>(d, 1),
                      "dataset `" + name + "` declares more values than a weights file can hold (more than " +
                          std::to_string(kMaxFileValues) + " in the file; where: " + file_path +
                          ") — the file is not a Keras weights file of these models or is corrupt");
        count *= static_cast<std::size_t>(d);
    }
    // Each chunk costs HDF5 a lookup even when nothing is stored: 2^14 values
    // in chunks of one took 25 s to read under the fuzzer. Weights are
    // stored contiguously or in a few chunks.
    H5::DSetCreatPropList const creation = dataset.getCreatePlist();
    if (creation.getLayout() == H5D_CHUNKED && !dims.empty())
    {
        std::vector<hsize_t> chunk(dims.size(), 1);
        creation.getChunk(static_cast<int>(chunk.size()), chunk.data());
        hsize_t chunks = 1;
        for (std::size_t i = 0; i < dims.size(); ++i) chunks *= (dims[i] + chunk[i] - 1) / std::max<hsize_t>(chunk[i], 1);
        CALO_VALIDATE(chunks <= kMaxChunks, "dataset `" + name + "` is split into " + std::to_string(chunks) +
                                                " chunks (where: " + file_path +
                                                ") — the file is corrupt or not a weights file");
    }
    hsize_t const stored = H5Dget_storage_size(dataset.getId());
    hsize_t const declared = static_cast<hsize_t>(count) * dataset.getDataType().getSize();
    CALO_VALIDATE(declared <= std::max<hsize_t>(stored, 64) * kMaxExpansion,
                  "dataset `" + name + "` declares " + std::to_string(count) + " values but stores " +
                      std::to_string(stored) + " bytes (where: " + file_path +
                      ") — the file is truncated, corrupt or not a weights file");
    budget -= count;
    result.values.resize(count);
    if (!result.values.empty())
        dataset.read(result.values.data(), H5::PredType::NATIVE_FLOAT);
    return result;
}

//! Visit every dataset below `group` (depth first, HDF5 name order).
void visit_datasets(H5::Group const& group, std::string const& prefix,
                    std::function<void(H5::DataSet const&, std::string const&)> const& visit)
{
    hsize_t const n = group.getNumObjs();
    for (hsize_t i = 0; i < n; ++i)
    {
        std::string const name = group.getObjnameByIdx(i);
        std::string const full = prefix.empty() ? name : prefix + "/" + name;
        switch (group.childObjType(name))
        {
            case H5O_TYPE_GROUP:
                visit_datasets(group.openGroup(name), full, visit);
                break;
            case H5O_TYPE_DATASET:
                visit(group.openDataSet(name), full);
                break;
            default:
                break;  // named data types: no weights
        }
    }
}

//! String or string-array attribute; empty if absent or not a string (Keras
//! writes an empty list as an empty float array).
std::vector<std::string> read_string_attribute(H5::H5Object const& object, char const* name)
{
    std::vector<std::string> result;
    if (!object.attrExists(name))
        return result;
    H5::Attribute const attribute = object.openAttribute(name);
    H5::DataType const type = attribute.getDataType();
    if (type.getClass() != H5T_STRING)
        return result;
    H5::DataSpace const space = attribute.getSpace();
    auto const count = static_cast<std::size_t>(space.getSimpleExtentNpoints());
    H5::StrType const str_type = attribute.getStrType();
    if (str_type.isVariableStr())
    {
        std::vector<char*> buffer(count, nullptr);
        attribute.read(str_type, buffer.data());
        for (char* s : buffer)
        {
            result.emplace_back(s ? s : "");
        }
        H5Dvlen_reclaim(str_type.getId(), space.getId(), H5P_DEFAULT, buffer.data());
    }
    else
    {
        std::size_t const size = str_type.getSize();
        std::vector<char> buffer(count * size, '\0');
        attribute.read(str_type, buffer.data());
        for (std::size_t i = 0; i < count; ++i)
        {
            std::string s(buffer.data() + i * size, size);
            s.erase(s.find_last_not_of('\0') + 1);
            result.push_back(s);
        }
    }
    return result;
}

std::string first_or_empty(std::vector<std::string> const& values)
{
    return values.empty() ? std::string() : values.front();
}

//! "kernel:0" -> "kernel"
std::string strip_weight_index(std::string name)
{
    auto const colon = name.rfind(':');
    if (colon != std::string::npos && colon + 1 < name.size() &&
        name.find_first_not_of("0123456789", colon + 1) == std::string::npos)
        name.erase(colon);
    return name;
}

KerasWeight to_weight(FloatDataset dataset)
{
    KerasWeight weight;
    auto const& path = dataset.path;
    auto const slash = path.rfind('/');
    weight.name = strip_weight_index(slash == std::string::npos ? path : path.substr(slash + 1));
    weight.group = slash == std::string::npos ? std::string() : path.substr(0, slash);
    auto const parent = weight.group.rfind('/');
    weight.layer = parent == std::string::npos ? weight.group : weight.group.substr(parent + 1);
    weight.top_level = path.substr(0, path.find('/'));
    weight.shape = std::move(dataset.shape);
    weight.values = std::move(dataset.values);
    return weight;
}

constexpr char const kKerasHint[] = "give a Keras 2 weights file (model.save_weights / model.save, .h5 or .hdf5)";
}  // namespace

std::size_t FloatDataset::size() const
{
    return product(shape);
}

KerasWeightsFile KerasWeightsFile::read(std::string const& path)
{
    detail::silence_hdf5_errors();
    check_readable_hdf5(path, kKerasHint);
    KerasWeightsFile result;
    result.path = path;
    try
    {
        H5::H5File const file(path, H5F_ACC_RDONLY);
        H5::Group root = file.openGroup("/");
        // model.save(): the weights sit in `model_weights`, next to `optimizer_weights`.
        if (!root.attrExists("layer_names") && H5Lexists(file.getId(), "model_weights", H5P_DEFAULT) > 0 &&
            file.childObjType("model_weights") == H5O_TYPE_GROUP)
        {
            root = file.openGroup("model_weights");
        }
        result.layer_names = read_string_attribute(root, "layer_names");
        result.keras_version = first_or_empty(read_string_attribute(root, "keras_version"));
        if (result.keras_version.empty())
            result.keras_version = first_or_empty(read_string_attribute(file.openGroup("/"), "keras_version"));
        result.backend = first_or_empty(read_string_attribute(root, "backend"));
        std::size_t budget = kMaxFileValues;
        visit_datasets(root, "",
                       [&](H5::DataSet const& dataset, std::string const& name)
                       { result.weights.push_back(to_weight(read_dataset(dataset, name, path, budget))); });
    }
    catch (InputError const&)
    {
        throw;
    }
    catch (...)
    {
        detail::rethrow_with_context("cannot read Keras weights", path, kKerasHint);
    }
    CALO_VALIDATE(!result.weights.empty(), "no weights in the file (where: " + path + ") — " + kKerasHint);
    return result;
}

std::vector<FloatDataset> read_float_datasets(std::string const& path)
{
    detail::silence_hdf5_errors();
    check_readable_hdf5(path, "give an HDF5 file");
    std::vector<FloatDataset> result;
    try
    {
        H5::H5File const file(path, H5F_ACC_RDONLY);
        std::size_t budget = kMaxFileValues;
        visit_datasets(file.openGroup("/"), "",
                       [&](H5::DataSet const& dataset, std::string const& name)
                       { result.push_back(read_dataset(dataset, name, path, budget)); });
    }
    catch (InputError const&)
    {
        throw;
    }
    catch (...)
    {
        detail::rethrow_with_context("cannot read HDF5 file", path, "check that the file is complete");
    }
    return result;
}

void write_float_datasets(std::string const& path, std::vector<FloatDataset> const& datasets,
                          std::string const& metadata_json, bool overwrite)
{
    detail::silence_hdf5_errors();
    CALO_VALIDATE(overwrite || !fs::exists(path),
                  "output file exists (where: " + path + ") — pass --overwrite or choose another output path");
    CALO_VALIDATE(!fs::is_directory(path), "output path is a folder (where: " + path + ") — give a file name");
    std::string const metadata = metadata_json.empty() ? "{}" : metadata_json;
    CALO_VALIDATE(
        nlohmann::json::accept(metadata),
        "metadata for the `calo3dgan` attribute is not valid JSON (where: " + path + ") — this is a bug in the caller");
    for (auto const& dataset : datasets)
    {
        CALO_VALIDATE(
            !dataset.path.empty() && dataset.path.find('/') == std::string::npos,
            "dataset name `" + dataset.path + "` is empty or nested (where: " + path + ") — bug in the caller");
        CALO_VALIDATE(dataset.values.size() == dataset.size(),
                      "dataset `" + dataset.path + "` has " + std::to_string(dataset.values.size()) +
                          " values for shape " + describe_shape(dataset.shape) + " (where: " + path +
                          ") — bug in the caller");
    }
    fs::path const parent = fs::path(path).parent_path();
    ensure_writable_directory(parent.empty() ? std::string(".") : parent.string());

    AtomicFile atomic(path);
    try
    {
        H5::H5File file(atomic.temp_path(), H5F_ACC_TRUNC);
        for (auto const& dataset : datasets)
        {
            std::vector<hsize_t> dims(dataset.shape.begin(), dataset.shape.end());
            H5::DataSpace const space =
                dims.empty() ? H5::DataSpace(H5S_SCALAR) : H5::DataSpace(static_cast<int>(dims.size()), dims.data());
            H5::DSetCreatPropList props;
            // No modification times: the same inputs give bit-identical files.
            H5Pset_obj_track_times(props.getId(), false);
            H5::DataSet out = file.createDataSet(dataset.path, H5::PredType::IEEE_F32LE, space, props);
            if (!dataset.values.empty())
                out.write(dataset.values.data(), H5::PredType::NATIVE_FLOAT);
        }
        H5::StrType const str_type(H5::PredType::C_S1, H5T_VARIABLE);
        H5::Attribute attribute = file.createAttribute("calo3dgan", str_type, H5::DataSpace(H5S_SCALAR));
        attribute.write(str_type, metadata);
        file.close();
    }
    catch (...)
    {
        detail::rethrow_with_context("cannot write HDF5 file", atomic.temp_path(),
                                     "check the output folder (free space, permissions)");
    }
    atomic.commit();
}
}  // namespace calo::io
