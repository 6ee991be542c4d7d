// libFuzzer harness: checkpoints (train --resume, export, generate), built at
// the level of their structure: the archive of a valid small model written
// with torch::serialize::OutputArchive as training writes it, with each entry
// kept, dropped or replaced by a value of another type, the config TOML and
// metadata JSON edited (numbers replaced by huge or negative ones, bytes
// overwritten), the tensors of the networks dropped, reshaped, retyped or
// filled with NaN; then the zip possibly truncated or some of its bytes
// changed. Loading must fail with one InputError or give networks of the
// shapes the config gives; never crash, hang or allocate in proportion to a
// declared size.
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "Hdf5Mutator.hh"  // Bytes
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/Presets.hh"

namespace
{
namespace fs = std::filesystem;
using calo::fuzz::Bytes;

//! Model A with two filters per block: a checkpoint of 20 kB instead of 4 MB.
calo::nn::ArchitectureConfig const& small_config()
{
    static calo::nn::ArchitectureConfig const config = []
    {
        auto c = calo::nn::preset_a();
        c.name = "fuzz";
        for (auto& block : c.generator.blocks) block.filters = std::min(block.filters, 2);
        for (auto& block : c.discriminator.blocks) block.filters = std::min(block.filters, 2);
        c.generator.reshape_channels = 2;
        c.latent_size = 8;
        calo::nn::validate(c);
        return c;
    }();
    return config;
}

//! A TOML text edited by `in`: a number replaced, or some bytes overwritten.
std::string edit_text(std::string text, Bytes& in)
{
    int const edits = in.byte() % 4;
    for (int e = 0; e < edits && !text.empty(); ++e)
    {
        std::size_t const at = in.number(2) % text.size();
        if (in.byte() % 2)
        {
            // the number at or after `at`: huge, negative, zero or fractional
            std::size_t const start = text.find_first_of("0123456789", at);
            if (start == std::string::npos)
                continue;
            std::size_t const end = text.find_first_not_of("0123456789.e-", start);
            char const* const numbers[] = {"1000000", "65536", "4096", "-1", "0", "2147483647", "1e300", "nan", "0.5"};
            text.replace(start, end - start, numbers[in.byte() % 9]);
        }
        else
        {
            for (std::size_t k = 0, n = 1 + in.byte() % 8; k < n && at + k < text.size(); ++k)
                text[at + k] = static_cast<char>(in.byte());
        }
    }
    return text;
}

//! A tensor edited by `in`: dropped (undefined), reshaped, retyped, NaN, or kept.
torch::Tensor edit_tensor(torch::Tensor const& t, Bytes& in)
{
    switch (in.byte() % 8)
    {
        case 0:
            return {};
        case 1:  // another shape of up to four axes (sizes up to 2^12)
        {
            std::vector<std::int64_t> shape(in.byte() % 5);
            for (auto& s : shape) s = in.byte() % 2 ? in.byte() % 9 : std::int64_t(1) << (in.byte() % 13);
            std::int64_t n = 1;
            for (auto s : shape) n *= s;
            return n <= (1 << 20) ? torch::zeros(shape) : t;
        }
        case 2:
            return t.to(torch::kFloat64);
        case 3:
            return t.to(torch::kInt64);
        case 4:
            return t.to(torch::kBool);
        case 5:
            return t.is_floating_point() ? torch::full_like(t, std::numeric_limits<float>::quiet_NaN()) : t;
        case 6:  // a view: strides that are not contiguous
            return t.dim() > 1 ? t.transpose(0, t.dim() - 1) : t;
        default:
            return t;
    }
}

//! A network's entries edited by `in`, nested per submodule as Module::save writes them.
void write_network(torch::nn::Module const& module, torch::serialize::OutputArchive& out, Bytes& in)
{
    auto write = [&](std::string const& name, torch::Tensor const& t, bool buffer)
    {
        torch::Tensor const edited = in.empty() ? t : edit_tensor(t, in);
        if (edited.defined())
            out.write(name, edited, buffer);
    };
    for (auto const& p : module.named_parameters(/*recurse=*/false)) write(p.key(), p.value(), false);
    for (auto const& b : module.named_buffers(/*recurse=*/false)) write(b.key(), b.value(), true);
    for (auto const& child : module.named_children())
    {
        torch::serialize::OutputArchive nested;
        write_network(*child.value(), nested, in);
        out.write(child.key(), nested);
    }
}

//! One top-level entry: kept (0), dropped (1), or replaced by an int, a string, a bool or a tensor.
template<class Write>
void write_entry(torch::serialize::OutputArchive& archive, char const* key, Bytes& in, Write const& keep)
{
    switch (in.empty() ? 0 : in.byte() % 8)
    {
        case 1:
            return;
        case 2:
            archive.write(key, c10::IValue(static_cast<std::int64_t>(in.number(8))));
            return;
        case 3:
            archive.write(key, c10::IValue(std::string(in.byte() % 16, static_cast<char>(in.byte()))));
            return;
        case 4:
            archive.write(key, c10::IValue(in.byte() % 2 == 0));
            return;
        case 5:
            archive.write(key, torch::zeros({in.byte() % 4}));
            return;
        default:
            keep();
    }
}

std::string checkpoint_bytes(Bytes& in)
{
    auto const& config = small_config();
    calo::nn::Generator generator(config, 1);
    calo::nn::Discriminator discriminator(config, 2);
    torch::serialize::OutputArchive archive;
    write_entry(archive, "calo3dgan_checkpoint_format", in,
                [&] { archive.write("calo3dgan_checkpoint_format", c10::IValue(std::int64_t(1))); });
    write_entry(archive, "config_toml", in,
                [&] { archive.write("config_toml", c10::IValue(edit_text(calo::nn::to_toml_string(config), in))); });
    write_entry(archive, "metadata_json", in,
                [&] { archive.write("metadata_json", c10::IValue(edit_text(R"({"epoch": 3, "step": 120})", in))); });
    write_entry(archive, "generator", in,
                [&]
                {
                    torch::serialize::OutputArchive g;
                    write_network(*generator, g, in);
                    archive.write("generator", g);
                });
    write_entry(archive, "has_discriminator", in, [&] { archive.write("has_discriminator", c10::IValue(true)); });
    write_entry(archive, "discriminator", in,
                [&]
                {
                    torch::serialize::OutputArchive d;
                    write_network(*discriminator, d, in);
                    archive.write("discriminator", d);
                });
    std::ostringstream os;
    archive.save_to(os);
    std::string bytes = os.str();
    // The zip itself: truncated, or bytes changed anywhere (headers, central
    // directory, the pickles, the TorchScript code, tensor data).
    switch (in.byte() % 4)
    {
        case 1:
            bytes.resize(bytes.size() * in.byte() / 256);
            break;
        case 2:
            for (int k = 0, n = 1 + in.byte() % 8; k < n && !bytes.empty(); ++k)
                bytes[in.number(4) % bytes.size()] = static_cast<char>(in.byte());
            break;
        default:
            break;
    }
    return bytes;
}

void require(bool condition)
{
    if (!condition)
        __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***)
{
    torch::set_num_threads(1);
    small_config();
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    auto const path = (fs::temp_directory_path() / ("calo3dgan-fuzz-checkpoint-" + std::to_string(::getpid()) + ".pt"))
                          .string();
    Bytes in(data, size);
    {
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        std::string const bytes = checkpoint_bytes(in);
        out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    try
    {
        auto const loaded = calo::nn::load_checkpoint(path);
        // What loaded is what the config describes: a network of its shapes.
        calo::nn::Generator const fresh(loaded.config, 0);
        auto const expected = fresh->named_parameters();
        auto const got = loaded.generator->named_parameters();
        require(expected.size() == got.size());
        for (auto const& p : expected) require(got[p.key()].sizes() == p.value().sizes());
        if (std::getenv("CALO3DGAN_FUZZ_VERBOSE"))
            std::fprintf(stderr, "loaded\n");
    }
    catch (calo::InputError const& e)
    {
        if (std::getenv("CALO3DGAN_FUZZ_VERBOSE"))
            std::fprintf(stderr, "%s\n", e.what());  // what a run of one input refused, for reading findings
    }
    return 0;
}
