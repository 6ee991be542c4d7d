#include "calo3dgan/base/DataFiles.hh"

#include <cstdlib>
#include <filesystem>

#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/Error.hh"

namespace calo
{
std::optional<std::string> find_data_file(char const* env, std::string const& source_dir,
                                          std::string const& install_dir, std::string const& name,
                                          std::vector<std::string>* searched)
{
    namespace fs = std::filesystem;
    std::vector<fs::path> dirs;
    if (char const* value = env ? std::getenv(env) : nullptr)
        dirs.emplace_back(value);
    dirs.push_back(fs::path(kSourceDir) / source_dir);
    dirs.push_back(fs::path(kInstallDataDir) / install_dir);
    for (auto const& dir : dirs)
    {
        if (searched)
            searched->push_back(dir.string());
        auto const candidate = dir / name;
        if (fs::is_regular_file(candidate))
            return candidate.string();
    }
    return std::nullopt;
}

std::optional<std::string> default_model_path()
{
    if (char const* env = std::getenv("CALO3DGAN_MODEL"))
    {
        CALO_VALIDATE(std::filesystem::is_regular_file(env),
                      std::string("$CALO3DGAN_MODEL names ") + env + ", which is not a file — set it to a model file "
                          "written by `calo3dgan export`, or unset it");
        return std::string(env);
    }
    std::string const dir = std::string("models/") + kDefaultModelDir;
    return find_data_file(nullptr, dir, dir, kDefaultModelFile);
}
}  // namespace calo
