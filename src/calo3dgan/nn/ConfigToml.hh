#pragma once
// Architecture configurations as TOML: files, `--set` overrides, and the
// resolved text written into runs and checkpoints.
#include <string>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn
{
/*!
 * Load a TOML architecture file.
 *
 * The key `family` ("a" or "b") is required; every other key defaults to the
 * built-in preset of that family, and an array of blocks replaces the preset's
 * array as a whole. Unknown keys and wrong types throw InputError naming the
 * file and the key. The result is validated.
 */
ArchitectureConfig load_config(std::string const& path);

//! Parse TOML text (as load_config; `origin` names the source in messages).
ArchitectureConfig parse_config(std::string const& text, std::string const& origin = "<string>");

/*!
 * Apply one `--set` override "key.sub=value" and revalidate.
 *
 * Keys are dotted TOML paths; array elements are addressed by index, e.g.
 * `train.batch_size=64`, `batchnorm.epsilon=1e-6`,
 * `generator.blocks.1.filters=16`, `train.loss_weights=[3,0.1,25,0.1]`.
 * Values are TOML literals; a bare word is taken as a string. An unknown key
 * throws InputError listing the valid keys at that level.
 */
void apply_override(ArchitectureConfig& config, std::string const& assignment);

//! The resolved configuration as TOML (complete: parse_config gives it back).
std::string to_toml_string(ArchitectureConfig const& config);
}  // namespace calo::nn
