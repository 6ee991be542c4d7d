#pragma once
// Files that ship with calo3dgan (plotting scripts, the default model), found
// in the source tree the binary was built from or under the install prefix.
#include <optional>
#include <string>
#include <vector>

namespace calo
{
/*!
 * Path of `name` in the first of these folders that has it as a regular file:
 * the folder in environment variable `env` (if set), <source>/`source_dir`,
 * <prefix>/share/calo3dgan/`install_dir`. `searched` receives the folders.
 */
std::optional<std::string> find_data_file(char const* env, std::string const& source_dir,
                                          std::string const& install_dir, std::string const& name,
                                          std::vector<std::string>* searched = nullptr);

//! Folder and file of the shipped default generator (the inference engine's
//! model file, models/README.md): model A trained on the embedded Monte Carlo.
inline constexpr char const kDefaultModelDir[] = "3dgan-a-mc";
inline constexpr char const kDefaultModelFile[] = "generator.h5";

/*!
 * The shipped default generator: $CALO3DGAN_MODEL (a model file) if set,
 * else models/3dgan-a-mc/generator.h5 in the source tree or under
 * <prefix>/share/calo3dgan. Throws InputError when $CALO3DGAN_MODEL names no
 * file; returns nullopt when no model ships with this build.
 */
std::optional<std::string> default_model_path();
}  // namespace calo
