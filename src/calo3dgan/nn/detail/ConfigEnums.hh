#pragma once
// The names of the configuration enums, as written in TOML files and messages.
#include <cstddef>
#include <string>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn::detail
{
template <class E>
struct EnumName
{
    E value;
    char const* name;
};

inline constexpr EnumName<ModelFamily> kFamilyNames[] = {{ModelFamily::a, "a"}, {ModelFamily::b, "b"}};
inline constexpr EnumName<Activation> kActivationNames[] = {
    {Activation::linear, "linear"}, {Activation::relu, "relu"}, {Activation::leaky_relu, "leaky_relu"}};
inline constexpr EnumName<Initializer> kInitializerNames[] = {{Initializer::glorot_uniform, "glorot_uniform"},
                                                              {Initializer::glorot_normal, "glorot_normal"},
                                                              {Initializer::he_uniform, "he_uniform"},
                                                              {Initializer::he_normal, "he_normal"}};
inline constexpr EnumName<ConvPadding> kPaddingNames[] = {{ConvPadding::valid, "valid"},
                                                          {ConvPadding::same, "same"}};

//! The table of names of each enum.
inline constexpr auto const& enum_names(ModelFamily) { return kFamilyNames; }
inline constexpr auto const& enum_names(Activation) { return kActivationNames; }
inline constexpr auto const& enum_names(Initializer) { return kInitializerNames; }
inline constexpr auto const& enum_names(ConvPadding) { return kPaddingNames; }

template <class E>
char const* enum_to_string(E value)
{
    for (auto const& entry : enum_names(value))
    {
        if (entry.value == value)
            return entry.name;
    }
    return "?";
}

//! "\"a\", \"b\"": the valid names, for messages.
template <class E>
std::string enum_choices()
{
    std::string result;
    for (auto const& entry : enum_names(E{}))
        result += (result.empty() ? "\"" : ", \"") + std::string(entry.name) + "\"";
    return result;
}
}  // namespace calo::nn::detail
