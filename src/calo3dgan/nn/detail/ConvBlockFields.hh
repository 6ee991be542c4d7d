#pragma once
/*!
 * The fields of ConvBlockConfig, listed once.
 *
 * Equality, TOML reading and writing, validation and `--set` overrides (which
 * go through TOML) all iterate over this table, so a new block field is added
 * here and in the struct, nowhere else.
 */
#include <limits>
#include <variant>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn::detail
{
//! Which networks' blocks have a field.
enum BlockRoles : unsigned
{
    kGeneratorBlock = 1u,
    kDiscriminatorBlock = 2u,
    kAnyBlock = kGeneratorBlock | kDiscriminatorBlock,
};

using ConvBlockMember = std::variant<Int3 ConvBlockConfig::*, int ConvBlockConfig::*, double ConvBlockConfig::*,
                                     bool ConvBlockConfig::*, ConvPadding ConvBlockConfig::*,
                                     Initializer ConvBlockConfig::*, Activation ConvBlockConfig::*>;

struct ConvBlockField
{
    char const* key;  //!< TOML key
    ConvBlockMember member;
    unsigned roles = kAnyBlock;
    //! Numbers (every axis of an Int3) must lie in [minimum, below).
    double minimum = -std::numeric_limits<double>::infinity();
    double below = std::numeric_limits<double>::infinity();
    char const* rule = "";  //!< the range in words, for messages
};

inline constexpr double kUnbounded = std::numeric_limits<double>::infinity();

inline ConvBlockField const kConvBlockFields[] = {
    {"upsample", &ConvBlockConfig::upsample, kGeneratorBlock, 1, kUnbounded, ">= 1 on every axis"},
    {"zero_padding", &ConvBlockConfig::zero_padding, kAnyBlock, 0, kUnbounded, ">= 0 on every axis"},
    {"filters", &ConvBlockConfig::filters, kAnyBlock, 1, kUnbounded, ">= 1"},
    {"kernel", &ConvBlockConfig::kernel, kAnyBlock, 1, kUnbounded, ">= 1 on every axis"},
    {"padding", &ConvBlockConfig::padding},
    {"bias", &ConvBlockConfig::bias},
    {"initializer", &ConvBlockConfig::initializer},
    {"activation", &ConvBlockConfig::activation},
    {"batchnorm", &ConvBlockConfig::batchnorm},
    {"dropout", &ConvBlockConfig::dropout, kDiscriminatorBlock, 0, 1, "in [0, 1)"},
};
}  // namespace calo::nn::detail
