#pragma once
// Provenance written into every output file: tool, version, build, command.
#include <nlohmann/json.hpp>
#include <string>

namespace calo::app
{
//! Build info and the command name; callers add their resolved options.
//! No time stamps: the same inputs and seed must give bit-identical files.
nlohmann::json provenance(std::string const& command);
}  // namespace calo::app
