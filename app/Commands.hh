#pragma once
// Each subcommand lives in its own file: an options struct, set-up of its
// CLI11 subcommand, and a run function. main.cc only registers them.
namespace CLI
{
class App;
}

namespace calo::app
{
void add_simulate_command(CLI::App& app);
void add_inspect_command(CLI::App& app);
void add_info_command(CLI::App& app);
void add_train_command(CLI::App& app);
void add_evolve_command(CLI::App& app);
void add_search_command(CLI::App& app);
}  // namespace calo::app
