#include "calo3dgan/nn/Checkpoint.hh"

#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/LayerTable.hh"

namespace fs = std::filesystem;

namespace calo::nn
{
namespace
{
constexpr char const kFormatKey[] = "calo3dgan_checkpoint_format";
constexpr std::int64_t kFormatVersion = 1;

/*!
 * What libtorch says about a damaged archive, on one line. Besides c10::Error
 * its loader throws torch::jit::ErrorReport (with the TorchScript source
 * around the fault on the following lines) or std::out_of_range for damaged
 * type names in the archive's pickle (found by fuzz/CheckpointFuzzer.cc).
 */
std::string torch_message(std::exception const& e)
{
    auto const* c10_error = dynamic_cast<c10::Error const*>(&e);
    std::string text = c10_error ? c10_error->what_without_backtrace() : e.what();
    text.erase(0, text.find_first_not_of(" \n"));
    return text.substr(0, text.find('\n'));
}

std::string read_string(torch::serialize::InputArchive& archive, char const* key, std::string const& path)
{
    c10::IValue value;
    CALO_VALIDATE(
        archive.try_read(key, value) && value.isString(),
        "checkpoint has no '" + std::string(key) + "' entry (where: " + path + ") — is it a calo3dgan checkpoint?");
    return value.toStringRef();
}
}  // namespace

void write_checkpoint_entries(torch::serialize::OutputArchive& archive, ArchitectureConfig const& config,
                              Generator const& generator, Discriminator const& discriminator,
                              std::string const& metadata_json)
{
    archive.write(kFormatKey, c10::IValue(kFormatVersion));
    archive.write("config_toml", c10::IValue(to_toml_string(config)));
    archive.write("metadata_json", c10::IValue(metadata_json));
    torch::serialize::OutputArchive g;
    generator->save(g);
    archive.write("generator", g);
    archive.write("has_discriminator", c10::IValue(static_cast<bool>(discriminator)));
    if (discriminator)
    {
        torch::serialize::OutputArchive d;
        discriminator->save(d);
        archive.write("discriminator", d);
    }
}

void save_archive_atomically(torch::serialize::OutputArchive& archive, std::string const& path)
{
    // Through a writer that checks every write: libtorch's own file writer
    // ends the process (std::terminate) when the disk fills up.
    AtomicFileWriter file(path, "the checkpoint");
    try
    {
        archive.save_to([&file](void const* data, std::size_t size) { return file.write(data, size); });
    }
    catch (c10::Error const& e)
    {
        throw InputError("cannot write checkpoint (where: " + path + ": " + e.what_without_backtrace() +
                         ") — check disk space and permissions");
    }
    file.commit();
}

std::string resolve_checkpoint_path(std::string const& path_or_run)
{
    CALO_VALIDATE(fs::exists(path_or_run),
                  "checkpoint not found (where: " + path_or_run + ") — give a checkpoint file or a run folder");
    if (!fs::is_directory(path_or_run))
        return path_or_run;
    fs::path const latest = fs::path(path_or_run) / run_layout::kLatestFile;
    std::ifstream in(latest);
    std::string name;
    CALO_VALIDATE(in && std::getline(in, name) && !name.empty(),
                  "run folder has no checkpoint yet (where: " + latest.string() + " missing) — train first");
    fs::path const file = fs::path(path_or_run) / run_layout::kCheckpointDir / name;
    CALO_VALIDATE(fs::exists(file), "latest checkpoint is missing (where: " + file.string() + ")");
    return file.string();
}

namespace
{
//! Parameter and buffer shapes by name.
std::map<std::string, std::vector<std::int64_t>> shapes_of(torch::nn::Module const& module)
{
    std::map<std::string, std::vector<std::int64_t>> shapes;
    for (auto const& p : module.named_parameters()) shapes[p.key()] = p.value().sizes().vec();
    for (auto const& b : module.named_buffers()) shapes[b.key()] = b.value().sizes().vec();
    return shapes;
}

std::string shape_text(std::vector<std::int64_t> const& shape)
{
    std::string text = "(";
    for (std::size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
    return text + ")";
}

/*!
 * Reading an archive replaces each tensor, shape included: weights of
 * another architecture would load and fail only in the first forward pass.
 * Compare with the shapes the config gives before anything uses them.
 */
void load_with_shapes(torch::nn::Module& module, torch::serialize::InputArchive& archive, std::string const& network,
                      std::string const& path)
{
    auto const expected = shapes_of(module);
    module.load(archive);
    for (auto const& [name, shape] : shapes_of(module))
    {
        CALO_VALIDATE(expected.at(name) == shape,
                      "checkpoint does not match its own config (where: " + path + ": " + network + " tensor " + name +
                          " has shape " + shape_text(shape) + ", the config gives " + shape_text(expected.at(name)) +
                          ") — the file was changed or written by another program");
    }
}

/*!
 * The networks are built from the config before the file's tensors replace
 * theirs, so a config edited to declare a million filters made a checkpoint
 * of kilobytes allocate 12.5 GB (found by fuzz/CheckpointFuzzer.cc). The
 * file stores every parameter and buffer the config declares in four bytes;
 * the config may declare at most one value per byte of the file, which
 * bounds memory by four times the file size and leaves smaller damage (a
 * missing tensor) to the comparison that names it.
 */
void check_declared_size(ArchitectureConfig const& config, bool with_discriminator, std::string const& path)
{
    std::int64_t values = count_parameters(describe_generator(config)).total();
    if (with_discriminator)
        values += count_parameters(describe_discriminator(config)).total();
    auto const bytes = fs::file_size(path);
    CALO_VALIDATE(static_cast<std::uintmax_t>(values) <= bytes,
                  "checkpoint does not match its own config (where: " + path + ": the config declares networks of " +
                      std::to_string(values) + " values, the file holds " + std::to_string(bytes) +
                      " bytes) — the file was changed or written by another program");
}
}  // namespace

LoadedCheckpoint load_checkpoint(std::string const& path_or_run, torch::Device device)
{
    LoadedCheckpoint result;
    result.path = resolve_checkpoint_path(path_or_run);
    try
    {
        result.archive.load_from(result.path, device);
    }
    catch (std::exception const& e)
    {
        throw InputError("cannot read checkpoint (where: " + result.path + ": " + torch_message(e) +
                         ") — is it a calo3dgan checkpoint?");
    }
    c10::IValue format;
    CALO_VALIDATE(result.archive.try_read(kFormatKey, format) && format.isInt(),
                  "not a calo3dgan checkpoint (where: " + result.path + ")");
    CALO_VALIDATE(format.toInt() == kFormatVersion,
                  "unsupported checkpoint format " + std::to_string(format.toInt()) + " (where: " + result.path + ")");
    result.config = parse_config(read_string(result.archive, "config_toml", result.path), result.path);
    result.metadata_json = read_string(result.archive, "metadata_json", result.path);
    c10::IValue has_d;
    bool const has_d_entry = result.archive.try_read("has_discriminator", has_d);
    CALO_VALIDATE(!has_d_entry || has_d.isBool(), "checkpoint entry 'has_discriminator' is not true or false (where: " +
                                                      result.path + ") — the file is damaged");
    bool const with_discriminator = has_d_entry && has_d.toBool();
    check_declared_size(result.config, with_discriminator, result.path);
    try
    {
        result.generator = Generator(result.config, 0);
        torch::serialize::InputArchive g;
        result.archive.read("generator", g);
        load_with_shapes(*result.generator, g, "generator", result.path);
        result.generator->to(device);
        if (with_discriminator)
        {
            result.discriminator = Discriminator(result.config, 0);
            torch::serialize::InputArchive d;
            result.archive.read("discriminator", d);
            load_with_shapes(*result.discriminator, d, "discriminator", result.path);
            result.discriminator->to(device);
        }
    }
    catch (InputError const&)
    {
        throw;
    }
    catch (std::exception const& e)
    {
        throw InputError("checkpoint does not match its own config (where: " + result.path + ": " +
                         torch_message(e) + ")");
    }
    return result;
}
}  // namespace calo::nn
