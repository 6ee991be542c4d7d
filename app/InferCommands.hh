#pragma once
// Inference subcommands (generate, discriminate, import-keras, validate); registered
// in main.cc next to those of Commands.hh.
namespace CLI
{
class App;
}

namespace calo::app
{
void add_import_keras_command(CLI::App& app);
void add_generate_command(CLI::App& app);
void add_discriminate_command(CLI::App& app);
void add_validate_command(CLI::App& app);
void add_export_command(CLI::App& app);
}  // namespace calo::app
