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

void mutate(hid_t file, Target const& t, Bytes& in)
{
    hid_t const object = H5Oopen(file, t.object.c_str(), H5P_DEFAULT);
    if (object < 0)
        return;
    switch (in.byte() % 6)
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
            if (n > 0 && n < (1 << 20))
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
    }
    H5Oclose(object);
}
}  // namespace

void mutate_structure(std::string const& path, Bytes& in, int max_mutations)
{
    {
        hid_t const file = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
        if (file < 0)
            __builtin_trap();  // the copy of the valid file must open
        std::vector<Target> targets;
        H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_NATIVE, collect_object, &targets, H5O_INFO_BASIC);
        for (int op = 0; op < max_mutations && !in.empty() && !targets.empty(); ++op)
            mutate(file, targets[in.byte() % targets.size()], in);
        H5Fclose(file);
    }
    if (std::uint8_t const cut = in.byte(); cut > 200)
        std::filesystem::resize_file(path, std::filesystem::file_size(path) * (cut - 200) / 56);
}
}  // namespace calo::fuzz
