#include "Metadata.hh"

#include "calo3dgan/BuildInfo.hh"

namespace calo::app
{
nlohmann::json provenance(std::string const& command)
{
    return {{"tool", "calo3dgan"},
            {"command", command},
            {"version", kVersion},
            {"git_revision", kGitRevision},
            {"compiler", kCompiler},
            {"build_type", kBuildType}};
}
}  // namespace calo::app
