#include "Hdf5Mutator.hh"

#include <hdf5.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <utility>
#include <vector>

namespace calo::fuzz
{
namespace
{
struct Target
{
    std::string object;  //!< path of the group or dataset
    std::string attribute;  //!< empty for a dataset
};

herr_t collect_attribute(hid_t, char const* name, H5A_info_t const*, void* data)
{
    auto* pair = static_cast<std::pair<std::vector<Target>*, std::string>*>(data);
    pair->first->push_back({pair->second, name});
    return 0;
}

herr_t collect_object(hid_t root, char const* name, H5O_info_t const* info, void* data)
{
    auto* targets = static_cast<std::vector<Target>*>(data);
    std::string const path = name;
    if (info->type == H5O_TYPE_DATASET)
        targets->push_back({path, {}});
    hid_t const object = H5Oopen(root, name, H5P_DEFAULT);
    if (object >= 0)
    {
        std::pair<std::vector<Target>*, std::string> pair{targets, path};
        H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_NATIVE, nullptr, collect_attribute, &pair);
        H5Oclose(object);
    }
    return 0;
}

std::vector<hsize_t> dims_from(Bytes& in, bool absurd)
{
    int const rank = 1 + in.byte() % 5;
    std::vector<hsize_t> dims(rank);
    for (auto& d : dims)
        d = absurd ? (hsize_t(1) << (in.byte() % 41)) : hsize_t(in.byte() % 9);
    return dims;
}

constexpr hsize_t kMaxWrittenChunks = 4096;

//! Chunks of a dataset (1 if not chunked).
hsize_t chunk_count(hid_t dataset)
{
    hid_t const plist = H5Dget_create_plist(dataset);
    hid_t const space = H5Dget_space(dataset);
    int const rank = H5Sget_simple_extent_ndims(space);
    hsize_t count = 1;
    if (rank > 0 && H5Pget_layout(plist) == H5D_CHUNKED)
    {
        std::vector<hsize_t> dims(rank), chunk(rank, 1);
        H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        H5Pget_chunk(plist, rank, chunk.data());
        for (int i = 0; i < rank; ++i)
            count = std::min<hsize_t>(count * ((dims[i] + chunk[i] - 1) / std::max<hsize_t>(chunk[i], 1)), 1ull << 60);
    }
    H5Sclose(space);
    H5Pclose(plist);
    return count;
}

//! Values of a type class chosen by `in`: NaN, Inf, huge, negative, zero or
//! the fuzzer's bytes.
std::vector<double> values_from(Bytes& in, std::size_t n)
{
    double const specials[] = {std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity(),
                               -1e300, -1.0, 0.0, 1e30};
    std::uint8_t const how = in.byte() % 7;
    std::vector<double> values(n);
    for (auto& v : values) v = how < 6 ? specials[how] : static_cast<double>(in.byte()) - 16.0;
    return values;
}

//! Case 6: the dataset at `name` stored again, same shape and type, in
//! chunks of a shape chosen by `in` (at most 4^rank chunks), maybe deflated,
//! with a fill value, and maybe only partly written.
void restore_chunked(hid_t file, std::string const& name, Bytes& in)
{
    hid_t const set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
    if (set < 0)
        return;
    hid_t const space = H5Dget_space(set);
    hid_t const type = H5Dget_type(set);
    int const rank = H5Sget_simple_extent_ndims(space);
    hssize_t const n = H5Sget_simple_extent_npoints(space);
    std::vector<hsize_t> dims(std::max(rank, 0));
    H5Sget_simple_extent_dims(space, dims.data(), nullptr);
    std::vector<float> values;
    bool const numeric = H5Tget_class(type) == H5T_FLOAT || H5Tget_class(type) == H5T_INTEGER;
    if (rank > 0 && numeric && n > 0 && n < (1 << 20) && chunk_count(set) <= kMaxWrittenChunks)
    {
        values.resize(static_cast<std::size_t>(n));
        if (H5Dread(set, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
            values.clear();
    }
    H5Dclose(set);
    if (!values.empty())
    {
        std::vector<hsize_t> chunk(dims.size());
        for (std::size_t i = 0; i < dims.size(); ++i)
            chunk[i] = std::max<hsize_t>(1, (dims[i] + in.byte() % 4) / (1 + in.byte() % 4));
        hid_t const plist = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(plist, rank, chunk.data());
        if (std::uint8_t const level = in.byte() % 12; level < 10)
            H5Pset_deflate(plist, level);
        float const fill = in.byte() % 2 ? std::numeric_limits<float>::quiet_NaN() : -1.0f;
        H5Pset_fill_value(plist, H5T_NATIVE_FLOAT, &fill);
        H5Ldelete(file, name.c_str(), H5P_DEFAULT);
        hid_t const again = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
        if (again >= 0)
        {
            // Half the time only the first chunk row is written: the rest reads as the fill value.
            hid_t const part = H5Scopy(space);
            if (in.byte() % 2)
            {
                std::vector<hsize_t> start(dims.size(), 0), count = dims;
                count[0] = std::min(count[0], chunk[0]);
                H5Sselect_hyperslab(part, H5S_SELECT_SET, start.data(), nullptr, count.data(), nullptr);
                hid_t const memory = H5Scopy(part);
                H5Dwrite(again, H5T_NATIVE_FLOAT, memory, part, H5P_DEFAULT, values.data());
                H5Sclose(memory);
            }
            else
            {
                H5Dwrite(again, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
            }
            H5Sclose(part);
            H5Dclose(again);
        }
        H5Pclose(plist);
    }
    H5Tclose(type);
    H5Sclose(space);
}

//! Case 7: a root dataset called `name`, replacing one of that name.
void add_named(hid_t file, std::string const& name, Bytes& in)
{
    // The shape of the dataset it replaces with the first (event) axis
    // declared up to 2^40 long in chunks of one value, one stored; or a
    // small shape of the fuzzer's choice.
    std::vector<hsize_t> dims;
    bool const absurd_events = in.byte() % 2 && H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0;
    if (absurd_events)
    {
        hid_t const set = H5Dopen2(file, name.c_str(), H5P_DEFAULT);
        hid_t const space = set >= 0 ? H5Dget_space(set) : -1;
        int const rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : 0;
        dims.resize(std::max(rank, 1), 1);
        if (rank > 0)
            H5Sget_simple_extent_dims(space, dims.data(), nullptr);
        dims[0] = hsize_t(1) << (in.byte() % 41);
        if (space >= 0)
            H5Sclose(space);
        if (set >= 0)
            H5Dclose(set);
    }
    if (H5Lexists(file, name.c_str(), H5P_DEFAULT) > 0)
        H5Ldelete(file, name.c_str(), H5P_DEFAULT);
    if (absurd_events)
    {
        std::vector<hsize_t> chunk(dims.size(), 1);
        hid_t const space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
        hid_t const plist = H5Pcreate(H5P_DATASET_CREATE);
        H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
        double const fill = in.byte() % 2 ? 1.0 : 0.0;  // positive energies are valid ones
        H5Pset_fill_value(plist, H5T_NATIVE_DOUBLE, &fill);
        hid_t const set = H5Dcreate2(file, name.c_str(), H5T_NATIVE_FLOAT, space, H5P_DEFAULT, plist, H5P_DEFAULT);
        // HDF5 1.10.8 crashes writing into a dataset of 2^64 values or more (its count overflows).
        bool countable = true;
        hsize_t n = 1;
        for (auto d : dims)
        {
            countable = countable && d > 0 && n <= (hsize_t(1) << 62) / d;
            n = countable ? n * d : n;
        }
        if (set >= 0 && countable)
        {
            // One value stored, or HDF5 answers every read with the fill value without looking at chunks.
            std::vector<hsize_t> start(dims.size(), 0);
            hsize_t const one = 1;
            hid_t const memory = H5Screate_simple(1, &one, nullptr);
            H5Sselect_hyperslab(space, H5S_SELECT_SET, start.data(), nullptr, chunk.data(), nullptr);
            H5Dwrite(set, H5T_NATIVE_DOUBLE, memory, space, H5P_DEFAULT, &fill);
            H5Sclose(memory);
        }
        if (set >= 0)
            H5Dclose(set);
        H5Pclose(plist);
        H5Sclose(space);
        return;
    }
    dims = dims_from(in, false);
    hsize_t n = 1;
    for (auto d : dims) n *= d;
    hid_t const space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t type = -1;
    switch (in.byte() % 5)
    {
        case 0: type = H5Tcopy(H5T_NATIVE_FLOAT); break;
        case 1: type = H5Tcopy(H5T_NATIVE_DOUBLE); break;
        case 2: type = H5Tcopy(H5T_NATIVE_INT32); break;
        case 3: type = H5Tcopy(H5T_NATIVE_UINT8); break;
        default: type = H5Tcopy(H5T_C_S1); H5Tset_size(type, 8); break;
    }
    hid_t const set = H5Dcreate2(file, name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (set >= 0)
    {
        if (H5Tget_class(type) == H5T_STRING)
        {
            std::vector<char> text(n * 8, 'x');
            H5Dwrite(set, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, text.data());
        }
        else
        {
            // Out-of-range values (NaN into integers) are HDF5's conversion to decide.
            auto const values = values_from(in, n);
            H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
        }
        H5Dclose(set);
    }
    H5Tclose(type);
    H5Sclose(space);
}

void mutate(hid_t file, Target const& t, Bytes& in, std::vector<std::string> const& names)
{
    hid_t const object = H5Oopen(file, t.object.c_str(), H5P_DEFAULT);
    if (object < 0)
        return;
    switch (in.byte() % (names.empty() ? 6 : 8))
    {
        case 0:  // the attribute or dataset disappears
            if (t.attribute.empty())
            {
                H5Oclose(object);
                H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
                return;
            }
            H5Adelete(object, t.attribute.c_str());
            break;
        case 1:  // an attribute becomes integers of another count, any values
        {
            if (t.attribute.empty())
                break;
            H5Adelete(object, t.attribute.c_str());
            auto dims = dims_from(in, false);
            hid_t const space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
            hsize_t n = 1;
            for (auto d : dims) n *= d;
            std::vector<std::int32_t> values(n);
            for (auto& v : values) v = static_cast<std::int32_t>(in.number(4));
            hid_t const attr = H5Acreate2(object, t.attribute.c_str(), H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT);
            if (attr >= 0)
            {
                H5Awrite(attr, H5T_NATIVE_INT32, values.data());
                H5Aclose(attr);
            }
            H5Sclose(space);
            break;
        }
        case 2:  // an attribute becomes a string of the fuzzer's bytes
        {
            if (t.attribute.empty())
                break;
            H5Adelete(object, t.attribute.c_str());
            std::string text(in.byte() % 64, '\0');
            for (auto& c : text) c = static_cast<char>(in.byte());
            hid_t const type = H5Tcopy(H5T_C_S1);
            H5Tset_size(type, text.empty() ? 1 : text.size());
            hid_t const space = H5Screate(H5S_SCALAR);
            hid_t const attr = H5Acreate2(object, t.attribute.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT);
            if (attr >= 0)
            {
                text.resize(std::max<std::size_t>(text.size(), 1));
                H5Awrite(attr, type, text.data());
                H5Aclose(attr);
            }
            H5Sclose(space);
            H5Tclose(type);
            break;
        }
        case 3:  // a dataset redeclared with absurd extents, nothing stored
        {
            if (!t.attribute.empty())
                break;
            H5Oclose(object);
            H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
            auto dims = dims_from(in, true);
            std::vector<hsize_t> chunk(dims.size(), 1);
            hid_t const space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
            hid_t const plist = H5Pcreate(H5P_DATASET_CREATE);
            H5Pset_chunk(plist, static_cast<int>(chunk.size()), chunk.data());
            hid_t const type = in.byte() % 2 ? H5T_NATIVE_FLOAT : H5T_NATIVE_DOUBLE;
            hid_t const set = H5Dcreate2(file, t.object.c_str(), type, space, H5P_DEFAULT, plist, H5P_DEFAULT);
            if (set >= 0)
                H5Dclose(set);
            H5Pclose(plist);
            H5Sclose(space);
            return;
        }
        case 4:  // a dataset's values replaced by NaN, Inf, huge or negative ones
        {
            if (!t.attribute.empty())
                break;
            hid_t const space = H5Dget_space(object);
            hssize_t const n = H5Sget_simple_extent_npoints(space);
            // HDF5 1.10 keeps a few kB of bookkeeping per chunk while it
            // writes: filling 2^17 one-value chunks (left by case 3) took
            // 750 MB and seconds, which was the fuzzers' memory growth.
            if (n > 0 && n < (1 << 20) && chunk_count(object) <= kMaxWrittenChunks)
            {
                float const specials[] = {std::numeric_limits<float>::quiet_NaN(),
                                          std::numeric_limits<float>::infinity(), -1e38f, -1.0f, 0.0f};
                std::vector<float> values(static_cast<std::size_t>(n), specials[in.byte() % 5]);
                H5Dwrite(object, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data());
            }
            H5Sclose(space);
            break;
        }
        case 5:  // a dataset of the same shape in another type (int32)
        {
            if (!t.attribute.empty())
                break;
            hid_t const space = H5Dget_space(object);
            H5Oclose(object);
            H5Ldelete(file, t.object.c_str(), H5P_DEFAULT);
            hid_t const set = H5Dcreate2(file, t.object.c_str(), H5T_NATIVE_INT32, space, H5P_DEFAULT, H5P_DEFAULT,
                                         H5P_DEFAULT);
            if (set >= 0)
                H5Dclose(set);
            H5Sclose(space);
            return;
        }
        case 6:  // the same dataset stored in other chunks
            H5Oclose(object);
            if (t.attribute.empty())
                restore_chunked(file, t.object, in);
            return;
        case 7:  // a dataset the reader looks up, added or replaced
            H5Oclose(object);
            add_named(file, names[in.byte() % names.size()], in);
            return;
    }
    H5Oclose(object);
}
}  // namespace

void mutate_structure(std::string const& path, Bytes& in, int max_mutations, std::vector<std::string> const& names)
{
    {
        hid_t const file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        if (file < 0)
            __builtin_trap();  // the copy of the valid file must open
        std::vector<Target> targets;
        H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect_object, &targets, H5O_INFO_BASIC);
        for (int op = 0; op < max_mutations && !in.empty() && !targets.empty(); ++op)
            mutate(file, targets[in.byte() % targets.size()], in, names);
        H5Fclose(file);
    }
    if (std::uint8_t const cut = in.byte(); cut > 200)
        std::filesystem::resize_file(path, std::filesystem::file_size(path) * (cut - 200) / 56);
}

void copy_valid_file(std::string const& from, std::string const& to)
{
    for (;;)
    {
        std::error_code ec;
        std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, ec);
        if (!ec)
            return;
        if (ec != std::errc::interrupted)
            throw std::filesystem::filesystem_error("cannot copy the valid file", from, to, ec);
    }
}

void require_all_closed()
{
    // Datatypes are left out: the C++ API keeps its predefined types open.
    if (H5Fget_obj_count(H5F_OBJ_ALL, H5F_OBJ_FILE | H5F_OBJ_DATASET | H5F_OBJ_GROUP | H5F_OBJ_ATTR) != 0)
        __builtin_trap();
}
}  // namespace calo::fuzz
