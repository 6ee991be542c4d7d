#include "calo3dgan/inference/ModelFile.hh"

#include <hdf5.h>
#include <unistd.h>

#include <filesystem>
#include <functional>
#include <vector>

#include "calo3dgan/base/Error.hh"

namespace calo::inference
{
namespace
{
//! Closes an HDF5 handle when it goes out of scope.
class Handle
{
  public:
    Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
    ~Handle()
    {
        if (id_ >= 0)
            close_(id_);
    }
    Handle(Handle const&) = delete;
    Handle& operator=(Handle const&) = delete;
    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }

  private:
    hid_t id_;
    herr_t (*close_)(hid_t);
};

//! HDF5 prints its error stack by default; the reader reports one line itself.
class QuietHdf5
{
  public:
    QuietHdf5() { H5Eget_auto2(H5E_DEFAULT, &function_, &data_), H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }
    ~QuietHdf5() { H5Eset_auto2(H5E_DEFAULT, function_, data_); }

  private:
    H5E_auto2_t function_ = nullptr;
    void* data_ = nullptr;
};

//---------------------------------------------------------------------------//
// Writing
//---------------------------------------------------------------------------//
class Writer
{
  public:
    explicit Writer(std::string path) : path_(std::move(path)) {}

    void attribute(hid_t object, char const* name, std::string const& value) const
    {
        Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type.get(), value.empty() ? 1 : value.size());
        H5Tset_cset(type.get(), H5T_CSET_UTF8);
        Handle space(H5Screate(H5S_SCALAR), H5Sclose);
        Handle attr(H5Acreate2(object, name, type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(attr.valid() && H5Awrite(attr.get(), type.get(), value.empty() ? "" : value.data()) >= 0, name);
    }
    void attribute(hid_t object, char const* name, std::vector<double> const& values) const
    {
        write_attribute(object, name, H5T_NATIVE_DOUBLE, values.data(), values.size());
    }
    void attribute(hid_t object, char const* name, std::vector<int> const& values) const
    {
        write_attribute(object, name, H5T_NATIVE_INT, values.data(), values.size());
    }
    void attribute(hid_t object, char const* name, Int3 values) const
    {
        attribute(object, name, std::vector<int>(values.begin(), values.end()));
    }
    void dataset(hid_t group, char const* name, std::vector<float> const& values,
                 std::vector<hsize_t> const& dims) const
    {
        Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
        Handle set(H5Dcreate2(group, name, H5T_IEEE_F32LE, space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                   H5Dclose);
        check(set.valid() && H5Dwrite(set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) >= 0,
              name);
    }
    Handle group(hid_t parent, char const* name) const
    {
        hid_t const id = H5Gcreate2(parent, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        check(id >= 0, name);
        return Handle(id, H5Gclose);
    }
    void check(bool ok, char const* what) const
    {
        CALO_VALIDATE(ok, std::string("could not write `") + what + "` (where: " + path_ +
                              ") — check free space and permissions of the output folder");
    }

  private:
    void write_attribute(hid_t object, char const* name, hid_t type, void const* data, std::size_t count) const
    {
        hsize_t const dims[1] = {count};
        Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
        Handle attr(H5Acreate2(object, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(attr.valid() && H5Awrite(attr.get(), type, data) >= 0, name);
    }
    std::string path_;
};

void write_contents(GeneratorModel const& model, hid_t file, Writer const& w)
{
    w.attribute(file, "format", std::string(kModelFileFormat));
    w.attribute(file, "format_version", std::vector<int>{kModelFileVersion});
    w.attribute(file, "name", model.name);
    w.attribute(file, "conditioning", std::string(to_string(model.conditioning)));
    w.attribute(file, "latent_size", std::vector<int>{model.latent_size});
    w.attribute(file, "yscale", std::vector<double>{model.yscale});
    w.attribute(file, "xscale", std::vector<double>{model.xscale});
    w.attribute(file, "power", std::vector<double>{model.power});
    w.attribute(file, "file_unit_gev", std::vector<double>{model.file_unit_gev});
    w.attribute(file, "image_shape", model.image_shape);
    w.attribute(file, "energy_range_gev", std::vector<double>(model.energy_range_gev.begin(), model.energy_range_gev.end()));
    w.attribute(file, "angle_range_rad", std::vector<double>(model.angle_range_rad.begin(), model.angle_range_rad.end()));
    w.attribute(file, "config_toml", model.config_toml);
    w.attribute(file, "provenance", model.provenance_json);
    w.attribute(file, "block_count", std::vector<int>{static_cast<int>(model.blocks.size())});

    auto const dense = w.group(file, "dense");
    auto const units = static_cast<hsize_t>(model.dense_bias.size());
    w.attribute(dense.get(), "reshape", std::vector<int>{model.reshape[0], model.reshape[1], model.reshape[2],
                                                         model.reshape_channels});
    w.dataset(dense.get(), "weight", model.dense_weight, {units, static_cast<hsize_t>(model.latent_size)});
    w.dataset(dense.get(), "bias", model.dense_bias, {units});

    auto const blocks = w.group(file, "blocks");
    for (std::size_t i = 0; i < model.blocks.size(); ++i)
    {
        auto const& b = model.blocks[i];
        auto const g = w.group(blocks.get(), std::to_string(i).c_str());
        w.attribute(g.get(), "upsample", b.upsample);
        w.attribute(g.get(), "pad_before", b.pad_before);
        w.attribute(g.get(), "pad_after", b.pad_after);
        w.attribute(g.get(), "kernel", b.kernel);
        w.attribute(g.get(), "channels", std::vector<int>{b.in_channels, b.out_channels});
        w.attribute(g.get(), "activation", std::string(to_string(b.activation)));
        w.attribute(g.get(), "leaky_slope", std::vector<double>{b.leaky_slope});
        auto const o = static_cast<hsize_t>(b.out_channels);
        w.dataset(g.get(), "weight", b.weight,
                  {o, static_cast<hsize_t>(b.in_channels), static_cast<hsize_t>(b.kernel[0]),
                   static_cast<hsize_t>(b.kernel[1]), static_cast<hsize_t>(b.kernel[2])});
        if (!b.bias.empty())
            w.dataset(g.get(), "bias", b.bias, {o});
        if (b.has_batchnorm)
        {
            auto const bn = w.group(g.get(), "batchnorm");
            w.attribute(bn.get(), "epsilon", std::vector<double>{b.batchnorm.epsilon});
            w.dataset(bn.get(), "gamma", b.batchnorm.gamma, {o});
            w.dataset(bn.get(), "beta", b.batchnorm.beta, {o});
            w.dataset(bn.get(), "mean", b.batchnorm.mean, {o});
            w.dataset(bn.get(), "variance", b.batchnorm.variance, {o});
        }
    }
}

//---------------------------------------------------------------------------//
// Reading
//---------------------------------------------------------------------------//
class Reader
{
  public:
    explicit Reader(std::string path) : path_(std::move(path)) {}

    [[noreturn]] void fail(std::string const& what) const
    {
        throw InputError(what + " (where: " + path_ +
                         ") — the model file is damaged or not a calo3dgan generator model; write it again with "
                         "`calo3dgan export`");
    }
    bool has(hid_t object, char const* name) const { return H5Aexists(object, name) > 0; }
    std::string text(hid_t object, char const* name) const
    {
        if (!has(object, name))
            fail(std::string("attribute `") + name + "` is missing");
        Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
        Handle type(H5Aget_type(attr.get()), H5Tclose);
        if (H5Tget_class(type.get()) != H5T_STRING || H5Tis_variable_str(type.get()) > 0)
            fail(std::string("attribute `") + name + "` is not a fixed-length string");
        std::size_t const size = H5Tget_size(type.get());
        if (size == 0 || size > (std::size_t(64) << 20))
            fail(std::string("attribute `") + name + "` has an implausible size");
        std::string value(size, '\0');
        if (H5Aread(attr.get(), type.get(), value.data()) < 0)
            fail(std::string("attribute `") + name + "` cannot be read");
        auto const end = value.find('\0');
        if (end != std::string::npos)
            value.resize(end);
        return value;
    }
    template<class T>
    std::vector<T> numbers(hid_t object, char const* name, std::size_t count) const
    {
        if (!has(object, name))
            fail(std::string("attribute `") + name + "` is missing");
        Handle attr(H5Aopen(object, name, H5P_DEFAULT), H5Aclose);
        Handle space(H5Aget_space(attr.get()), H5Sclose);
        Handle type(H5Aget_type(attr.get()), H5Tclose);
        auto const points = H5Sget_simple_extent_npoints(space.get());
        bool const numeric = H5Tget_class(type.get()) == H5T_INTEGER || H5Tget_class(type.get()) == H5T_FLOAT;
        if (!numeric || points != static_cast<hssize_t>(count))
            fail(std::string("attribute `") + name + "` should hold " + std::to_string(count) + " number(s)");
        std::vector<T> values(count);
        hid_t const memory_type = std::is_same_v<T, int> ? H5T_NATIVE_INT : H5T_NATIVE_DOUBLE;
        if (H5Aread(attr.get(), memory_type, values.data()) < 0)
            fail(std::string("attribute `") + name + "` cannot be read as numbers");
        return values;
    }
    Int3 int3(hid_t object, char const* name) const
    {
        auto const v = numbers<int>(object, name, 3);
        return {v[0], v[1], v[2]};
    }
    Handle group(hid_t parent, std::string const& name) const
    {
        if (H5Lexists(parent, name.c_str(), H5P_DEFAULT) <= 0)
            fail("group `" + name + "` is missing");
        hid_t const id = H5Gopen2(parent, name.c_str(), H5P_DEFAULT);
        if (id < 0)
            fail("`" + name + "` is not a group");
        return Handle(id, H5Gclose);
    }
    bool exists(hid_t parent, char const* name) const { return H5Lexists(parent, name, H5P_DEFAULT) > 0; }

    //! A float dataset whose shape must be exactly `dims` (checked before reading).
    std::vector<float> floats(hid_t group, char const* name, std::vector<hsize_t> const& dims,
                              std::string const& where) const
    {
        if (!exists(group, name))
            fail(where + "/" + name + " is missing");
        Handle set(H5Dopen2(group, name, H5P_DEFAULT), H5Dclose);
        if (!set.valid())
            fail(where + "/" + name + " is not a dataset");
        Handle space(H5Dget_space(set.get()), H5Sclose);
        Handle type(H5Dget_type(set.get()), H5Tclose);
        int const rank = H5Sget_simple_extent_ndims(space.get());
        std::vector<hsize_t> actual(rank > 0 ? static_cast<std::size_t>(rank) : 0);
        if (rank > 0)
            H5Sget_simple_extent_dims(space.get(), actual.data(), nullptr);
        if (rank < 0 || actual != dims || H5Tget_class(type.get()) != H5T_FLOAT)
        {
            std::string shape;
            for (auto d : dims) shape += (shape.empty() ? "" : "x") + std::to_string(d);
            fail(where + "/" + name + " is not a float array of shape " + shape);
        }
        std::size_t count = 1;
        for (auto d : dims) count *= static_cast<std::size_t>(d);
        std::vector<float> values(count);
        if (count > 0 && H5Dread(set.get(), H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()) < 0)
            fail(where + "/" + name + " cannot be read (truncated file?)");
        return values;
    }

  private:
    std::string path_;
};

Activation parse_activation(std::string const& text, Reader const& reader)
{
    for (auto a : {Activation::linear, Activation::relu, Activation::leaky_relu})
    {
        if (text == to_string(a))
            return a;
    }
    reader.fail("unknown activation `" + text + "`");
}

//! Sizes the reader accepts before the full validation: bounds every allocation.
void check_plausible(int value, int limit, char const* what, Reader const& reader)
{
    if (value <= 0 || value > limit)
        reader.fail(std::string(what) + " " + std::to_string(value) + " is out of range");
}

GeneratorModel read_contents(hid_t file, Reader const& r)
{
    GeneratorModel m;
    m.name = r.text(file, "name");
    auto const conditioning = r.text(file, "conditioning");
    if (conditioning == "product")
        m.conditioning = Conditioning::product;
    else if (conditioning == "concatenate")
        m.conditioning = Conditioning::concatenate;
    else
        r.fail("unknown conditioning `" + conditioning + "`");
    m.latent_size = r.numbers<int>(file, "latent_size", 1)[0];
    check_plausible(m.latent_size, 1 << 16, "latent size", r);
    m.yscale = r.numbers<double>(file, "yscale", 1)[0];
    m.xscale = r.numbers<double>(file, "xscale", 1)[0];
    m.power = r.numbers<double>(file, "power", 1)[0];
    m.file_unit_gev = r.numbers<double>(file, "file_unit_gev", 1)[0];
    m.image_shape = r.int3(file, "image_shape");
    auto const energy = r.numbers<double>(file, "energy_range_gev", 2);
    auto const angle = r.numbers<double>(file, "angle_range_rad", 2);
    m.energy_range_gev = {energy[0], energy[1]};
    m.angle_range_rad = {angle[0], angle[1]};
    m.config_toml = r.text(file, "config_toml");
    m.provenance_json = r.text(file, "provenance");
    int const block_count = r.numbers<int>(file, "block_count", 1)[0];
    check_plausible(block_count, 64, "block count", r);

    auto const dense = r.group(file, "dense");
    auto const reshape = r.numbers<int>(dense.get(), "reshape", 4);
    for (int v : reshape) check_plausible(v, 4096, "reshape size", r);
    m.reshape = {reshape[0], reshape[1], reshape[2]};
    m.reshape_channels = reshape[3];
    auto const units = static_cast<hsize_t>(reshape[0]) * reshape[1] * reshape[2] * reshape[3];
    if (units > (hsize_t(1) << 28) / static_cast<hsize_t>(m.latent_size))
        r.fail("the dense layer is implausibly large");
    m.dense_weight = r.floats(dense.get(), "weight", {units, static_cast<hsize_t>(m.latent_size)}, "dense");
    m.dense_bias = r.floats(dense.get(), "bias", {units}, "dense");

    auto const blocks = r.group(file, "blocks");
    for (int i = 0; i < block_count; ++i)
    {
        auto const name = std::to_string(i);
        auto const where = "blocks/" + name;
        auto const g = r.group(blocks.get(), name);
        ConvBlock b;
        b.upsample = r.int3(g.get(), "upsample");
        b.pad_before = r.int3(g.get(), "pad_before");
        b.pad_after = r.int3(g.get(), "pad_after");
        b.kernel = r.int3(g.get(), "kernel");
        for (int axis = 0; axis < 3; ++axis)
        {
            check_plausible(b.upsample[axis], 64, "upsampling factor", r);
            check_plausible(b.kernel[axis], 64, "kernel size", r);
        }
        auto const channels = r.numbers<int>(g.get(), "channels", 2);
        check_plausible(channels[0], 65536, "input channels", r);
        check_plausible(channels[1], 65536, "output channels", r);
        b.in_channels = channels[0];
        b.out_channels = channels[1];
        b.activation = parse_activation(r.text(g.get(), "activation"), r);
        b.leaky_slope = r.numbers<double>(g.get(), "leaky_slope", 1)[0];
        auto const o = static_cast<hsize_t>(b.out_channels);
        std::vector<hsize_t> const wdims{o, static_cast<hsize_t>(b.in_channels), static_cast<hsize_t>(b.kernel[0]),
                                         static_cast<hsize_t>(b.kernel[1]), static_cast<hsize_t>(b.kernel[2])};
        hsize_t weight_count = 1;
        for (auto d : wdims) weight_count *= d;
        if (weight_count > (hsize_t(1) << 28))
            r.fail(where + " declares an implausibly large kernel");
        b.weight = r.floats(g.get(), "weight", wdims, where);
        if (r.exists(g.get(), "bias"))
            b.bias = r.floats(g.get(), "bias", {o}, where);
        b.has_batchnorm = r.exists(g.get(), "batchnorm");
        if (b.has_batchnorm)
        {
            auto const bn = r.group(g.get(), "batchnorm");
            auto const bn_where = where + "/batchnorm";
            b.batchnorm.epsilon = r.numbers<double>(bn.get(), "epsilon", 1)[0];
            b.batchnorm.gamma = r.floats(bn.get(), "gamma", {o}, bn_where);
            b.batchnorm.beta = r.floats(bn.get(), "beta", {o}, bn_where);
            b.batchnorm.mean = r.floats(bn.get(), "mean", {o}, bn_where);
            b.batchnorm.variance = r.floats(bn.get(), "variance", {o}, bn_where);
        }
        m.blocks.push_back(std::move(b));
    }
    return m;
}
}  // namespace

bool is_model_file(std::string const& path)
{
    QuietHdf5 quiet;
    if (H5Fis_hdf5(path.c_str()) <= 0)
        return false;
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.valid() || H5Aexists(file.get(), "format") <= 0)
        return false;
    try
    {
        return Reader(path).text(file.get(), "format") == kModelFileFormat;
    }
    catch (InputError const&)
    {
        return false;
    }
}

GeneratorModel read_model_file(std::string const& path)
{
    QuietHdf5 quiet;
    CALO_VALIDATE(std::filesystem::is_regular_file(path),
                  "model file not found (where: " + path + ") — give the .h5 file written by `calo3dgan export`");
    CALO_VALIDATE(H5Fis_hdf5(path.c_str()) > 0, "not an HDF5 file (where: " + path +
                                                   ") — give the .h5 model file written by `calo3dgan export`, "
                                                   "not a checkpoint or an ONNX file");
    Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    CALO_VALIDATE(file.valid(), "cannot open the model file (where: " + path + ") — check that it is readable");
    Reader const reader(path);
    CALO_VALIDATE(reader.has(file.get(), "format") && reader.text(file.get(), "format") == kModelFileFormat,
                  "HDF5 file is not a calo3dgan generator model (where: " + path +
                      ") — write one with `calo3dgan export --checkpoint C -o generator.h5`");
    int const version = reader.numbers<int>(file.get(), "format_version", 1)[0];
    CALO_VALIDATE(version >= 1 && version <= kModelFileVersion,
                  "model file format version " + std::to_string(version) + " is not supported (where: " + path +
                      ") — this library reads version " + std::to_string(kModelFileVersion) +
                      "; use a matching calo3dgan");
    auto model = read_contents(file.get(), reader);
    validate(model, path);
    return model;
}

void write_model_file(GeneratorModel const& model, std::string const& path, bool overwrite)
{
    validate(model, "model to export");
    CALO_VALIDATE(overwrite || !std::filesystem::exists(path),
                  "output file exists (where: " + path + ") — pass --overwrite or choose another -o");
    auto const target = std::filesystem::absolute(path);
    auto const temporary = target.parent_path() / ("." + target.filename().string() + ".tmp" +
                                                   std::to_string(static_cast<long>(::getpid())));
    QuietHdf5 quiet;
    try
    {
        {
            Handle file(H5Fcreate(temporary.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
            CALO_VALIDATE(file.valid(), "cannot create the model file (where: " + target.string() +
                                            ") — check that the folder exists and is writable");
            write_contents(model, file.get(), Writer(target.string()));
            CALO_VALIDATE(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0,
                          "could not write the model file (where: " + target.string() + ") — check free space");
        }
        std::filesystem::rename(temporary, target);
    }
    catch (...)
    {
        std::error_code ignored;
        std::filesystem::remove(temporary, ignored);
        throw;
    }
}
}  // namespace calo::inference
