// libFuzzer harness: model configurations as users write them (a TOML file)
// and `--set` overrides. Any input may be rejected with InputError; none may
// crash, hang or allocate without bound.
#include <cstddef>
#include <cstdint>
#include <string>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/Presets.hh"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size)
{
    std::string const text(reinterpret_cast<char const*>(data), size);
    try
    {
        auto config = calo::nn::parse_config(text, "fuzz.toml");
        // A valid configuration must survive the round trip unchanged
        if (calo::nn::parse_config(calo::nn::to_toml_string(config)) != config)
            __builtin_trap();
    }
    catch (calo::InputError const&)
    {
    }
    // The same bytes as one --set override of each preset
    for (auto const* name : {"a", "b"})
    {
        auto config = calo::nn::preset(name);
        try
        {
            calo::nn::apply_override(config, text);
        }
        catch (calo::InputError const&)
        {
        }
    }
    return 0;
}
