// calo3dgan import-keras: convert Keras 2 weights of the original 3DGAN into a checkpoint.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "InferCommands.hh"
#include "Metadata.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/KerasCheckpoint.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::app
{
namespace
{
struct ImportKerasOptions
{
    std::string model;               //!< a or b (the preset the weights belong to)
    std::string generator_file;      //!< Keras generator weights
    std::string discriminator_file;  //!< Keras discriminator weights (optional)
    std::string output;              //!< checkpoint file
    double xscale = 0;               //!< cell scale used in training; 0: the preset's (A 100, B 1)
    bool overwrite = false;
};

void run_import_keras(ImportKerasOptions const& opt)
{
    CALO_VALIDATE_USAGE(opt.model == "a" || opt.model == "b" || opt.model == "3dgan-a" || opt.model == "3dgan-b",
                        "unknown --model '" + opt.model +
                            "' — use a (fixed angle, 25x25x25) or b (variable angle, "
                            "51x51x25)");
    CALO_VALIDATE_USAGE(opt.xscale >= 0, "--xscale must be positive (got " + std::to_string(opt.xscale) + ")");
    infer::KerasImportRequest request;
    request.config = nn::preset(opt.model);
    if (opt.xscale > 0)
        request.config.train.xscale = opt.xscale;
    request.generator_file = opt.generator_file;
    request.discriminator_file = opt.discriminator_file;
    request.output = opt.output;
    request.overwrite = opt.overwrite;
    auto metadata = provenance("import-keras");
    metadata["keras_import"] = {{"model", request.config.name},
                                {"generator_file", opt.generator_file},
                                {"discriminator_file", opt.discriminator_file},
                                {"xscale", request.config.train.xscale}};
    request.metadata_json = metadata.dump();
    infer::import_keras_checkpoint(request);
    spdlog::info("imported {} generator{} weights (xscale {}) into {}", request.config.name,
                 opt.discriminator_file.empty() ? "" : " and discriminator", request.config.train.xscale, opt.output);
    if (opt.discriminator_file.empty())
        spdlog::info("no --discriminator given: the checkpoint can generate but not discriminate");
}
}  // namespace

void add_import_keras_command(CLI::App& app)
{
    auto opt = std::make_shared<ImportKerasOptions>();
    auto* cmd = app.add_subcommand("import-keras",
                                   "Convert Keras 2 weight files of the original 3DGAN into a "
                                   "checkpoint for generate and discriminate");
    cmd->add_option("--model", opt->model, "Architecture of the weights: a (Energy-gan) or b (Anglegan)")->required();
    cmd->add_option("--generator", opt->generator_file, "Keras generator weights (.h5/.hdf5)")->required();
    cmd->add_option("--discriminator", opt->discriminator_file, "Keras discriminator weights (optional)");
    cmd->add_option("-o,--output", opt->output, "Checkpoint file to write")->required();
    cmd->add_option("--xscale", opt->xscale,
                    "Cell scale the weights were trained with (default: the preset's, A 100, B 1; early model-A "
                    "files used 1)");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace an existing checkpoint file");
    cmd->callback([opt] { run_import_keras(*opt); });
}
}  // namespace calo::app
