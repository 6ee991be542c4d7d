// calo3dgan info: layer tables and parameter counts of a 3DGAN model.
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "Commands.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/Discriminator.hh"
#include "calo3dgan/nn/Generator.hh"
#include "calo3dgan/nn/LayerTable.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::app
{
namespace
{
struct InfoOptions
{
    std::string model = "a";             //!< built-in preset: a or b
    std::string config_path;             //!< TOML file instead of a preset
    std::vector<std::string> overrides;  //!< --set key=value, in order
    bool dump_config = false;
};

nn::ArchitectureConfig resolve_config(InfoOptions const& opt)
{
    auto config = opt.config_path.empty() ? nn::preset(opt.model) : nn::load_config(opt.config_path);
    for (auto const& assignment : opt.overrides) nn::apply_override(config, assignment);
    return config;
}

void run_info(InfoOptions const& opt)
{
    auto const config = resolve_config(opt);
    if (opt.dump_config)
    {
        std::cout << nn::to_toml_string(config);
        return;
    }
    auto const gen_layers = nn::describe_generator(config);
    auto const disc_layers = nn::describe_discriminator(config);

    // Build the modules (on the CPU, any seed) and check that their parameter
    // counts agree with the tables derived from the configuration.
    nn::Generator generator(config, 0);
    nn::Discriminator discriminator(config, 0);
    auto const gen_count = generator->parameter_count();
    auto const disc_count = discriminator->parameter_count();
    auto const gen_table = nn::count_parameters(gen_layers);
    auto const disc_table = nn::count_parameters(disc_layers);
    if (gen_count.trainable != gen_table.trainable || gen_count.non_trainable != gen_table.non_trainable ||
        disc_count.trainable != disc_table.trainable || disc_count.non_trainable != disc_table.non_trainable)
    {
        throw std::logic_error("internal error: the built modules' parameter counts differ from the layer tables");
    }

    std::cout << "Model " << config.name << " (family " << nn::to_string(config.family) << "): latent "
              << config.latent_size
              << (config.family == nn::ModelFamily::a ? " (input = y * z)" : " (input = [y, theta, z])") << ", image "
              << config.image_shape.to_string() << " (x, y, z)"
              << ", power " << config.power << "\n\n";
    std::cout << nn::format_layer_table("Generator", gen_layers) << '\n';
    std::cout << nn::format_layer_table("Discriminator", disc_layers) << '\n';
    std::cout << "Generator:     " << nn::format_count(gen_count.trainable) << " trainable, "
              << nn::format_count(gen_count.non_trainable) << " non-trainable parameters\n";
    std::cout << "Discriminator: " << nn::format_count(disc_count.trainable) << " trainable, "
              << nn::format_count(disc_count.non_trainable) << " non-trainable parameters\n";
}
}  // namespace

void add_info_command(CLI::App& app)
{
    auto opt = std::make_shared<InfoOptions>();
    auto* cmd = app.add_subcommand("info", "Print the layer tables and parameter counts of a 3DGAN model");
    auto* model = cmd->add_option("--model", opt->model, "Built-in preset: a (fixed angle) or b (variable angle)")
                      ->check(CLI::IsMember({"a", "b", "3dgan-a", "3dgan-b"}))
                      ->capture_default_str();
    cmd->add_option("--config", opt->config_path, "Model configuration TOML file (e.g. configs/3dgan-b.toml)")
        ->check(CLI::ExistingFile)
        ->excludes(model);
    cmd->add_option("--set", opt->overrides,
                    "Override a configuration value, KEY=VALUE (repeatable), "
                    "e.g. --set generator.blocks.1.filters=16")
        ->type_name("KEY=VALUE");
    cmd->add_flag("--dump-config", opt->dump_config, "Print the resolved configuration as TOML and exit");
    cmd->callback([opt] { run_info(*opt); });
}
}  // namespace calo::app
