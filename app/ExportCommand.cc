// calo3dgan export: write a trained model in a format other programs load.
//
// Formats dispatch in one place (run_export): onnx (ONNX model for ONNX
// Runtime hosts such as Geant4 Par04 and Key4hep DDML) and engine (the model
// file of calo3dgan's inference library). The format comes from --format or,
// without it, from the -o extension.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <memory>
#include <string>

#include "InferCommands.hh"
#include "Metadata.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/GeneratorExport.hh"
#include "calo3dgan/inference/ModelFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/onnx/OnnxExport.hh"

namespace calo::app
{
namespace
{
namespace fs = std::filesystem;

enum class ExportFormat
{
    onnx,    //!< ONNX model (.onnx)
    engine,  //!< model file of calo3dgan's torch-free inference engine and library (.h5)
};

struct ExportCommandOptions
{
    std::string checkpoint;
    std::string output;
    std::string format;  //!< onnx | engine; empty: from the -o extension
    bool discriminator = false;
    int opset = onnx::kMinOpset;
    bool as_written = false;
    bool layers_first = false;
    bool overwrite = false;
};

ExportFormat resolve_format(ExportCommandOptions const& opt)
{
    std::string format = opt.format;
    if (format.empty())
    {
        auto extension = fs::path(opt.output).extension().string();
        std::transform(extension.begin(), extension.end(), extension.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (extension == ".onnx")
            format = "onnx";
        else if (extension == ".h5" || extension == ".hdf5")
            format = "engine";
        else
            throw UsageError("cannot tell the export format from -o " + opt.output +
                             " — pass --format onnx or engine (or name the file *.onnx or *.h5)");
    }
    if (format == "onnx")
        return ExportFormat::onnx;
    if (format == "engine")
        return ExportFormat::engine;
    throw UsageError("unknown export format '" + format + "' — use --format onnx or --format engine");
}

bool same_file(std::string const& a, std::string const& b)
{
    std::error_code ec;
    return fs::exists(a, ec) && fs::exists(b, ec) && fs::equivalent(a, b, ec);
}

void export_onnx(ExportCommandOptions const& opt, std::string const& checkpoint_path)
{
    CALO_VALIDATE_USAGE(opt.opset >= onnx::kMinOpset && opt.opset <= onnx::kMaxOpset,
                        "--opset " + std::to_string(opt.opset) + " is not supported — choose " +
                            std::to_string(onnx::kMinOpset) + " to " + std::to_string(onnx::kMaxOpset));
    CALO_VALIDATE_USAGE(!((opt.as_written || opt.layers_first) && opt.discriminator),
                        std::string(opt.as_written ? "--as-written" : "--layers-first") +
                            " applies to the generator only — drop it for --discriminator");
    onnx::ExportOptions options;
    options.opset = opt.opset;
    options.rewrite = !opt.as_written;
    options.layers_first = opt.layers_first;
    nlohmann::json metadata = provenance("export");
    metadata["export"] = {{"checkpoint", checkpoint_path},
                          {"format", "onnx"},
                          {"model", opt.discriminator ? "discriminator" : "generator"},
                          {"opset", opt.opset},
                          {"graph", opt.as_written ? "as-written" : "rewritten"},
                          {"layers_first", opt.layers_first}};
    options.provenance_json = metadata.dump();
    auto const model = opt.discriminator ? onnx::export_discriminator(checkpoint_path, options)
                                         : onnx::export_generator(checkpoint_path, options);
    onnx::write_model(model, opt.output, opt.overwrite);
    auto const join = [](std::vector<std::string> const& names)
    {
        std::string text;
        for (auto const& n : names) text += (text.empty() ? "" : ", ") + n;
        return text;
    };
    spdlog::info("exported the {} of {} ({}) to {}: ONNX opset {}, {} nodes, {} weights, {:.1f} MB; inputs {}; "
                 "outputs {}",
                 opt.discriminator ? "discriminator" : "generator", model.model_name, checkpoint_path, opt.output,
                 opt.opset, model.num_nodes, model.num_weights, model.bytes.size() / 1e6, join(model.inputs),
                 join(model.outputs));
}

//! The generator as the inference engine's model file (docs/inference.md).
void export_engine(ExportCommandOptions const& opt, std::string const& checkpoint_path)
{
    CALO_VALIDATE_USAGE(!opt.discriminator, "the engine model file holds a generator — drop --discriminator or use "
                                            "--format onnx");
    CALO_VALIDATE_USAGE(!opt.as_written && !opt.layers_first,
                        "--as-written and --layers-first apply to ONNX graphs — drop them for --format engine");
    auto const loaded = nn::load_checkpoint(checkpoint_path);
    nlohmann::json metadata = provenance("export");
    metadata["export"] = {{"checkpoint", checkpoint_path}, {"format", "engine"}, {"model", "generator"}};
    metadata["checkpoint_metadata"] = nlohmann::json::parse(loaded.metadata_json, nullptr, false);
    auto const model = infer::to_generator_model(loaded.generator, metadata.dump());
    inference::write_model_file(model, opt.output, opt.overwrite);
    spdlog::info("exported the generator of {} ({}) to {}: inference engine model file, {} blocks, {:.1f} MB of weights",
                 model.name, checkpoint_path, opt.output, model.blocks.size(),
                 4e-6 * static_cast<double>(model.dense_weight.size() + [&] {
                     std::size_t n = 0;
                     for (auto const& b : model.blocks) n += b.weight.size();
                     return n;
                 }()));
}

void run_export(ExportCommandOptions const& opt)
{
    CALO_VALIDATE_USAGE(!opt.checkpoint.empty(), "--checkpoint is required");
    CALO_VALIDATE_USAGE(!opt.output.empty(), "-o/--output is required");
    auto const format = resolve_format(opt);
    // Checks that need no model come first: a refused run reads nothing.
    CALO_VALIDATE(opt.overwrite || !fs::exists(opt.output),
                  "output file exists (where: " + opt.output + ") — pass --overwrite or choose another -o");
    auto const checkpoint_path = nn::resolve_checkpoint_path(opt.checkpoint);
    CALO_VALIDATE(!same_file(opt.output, checkpoint_path),
                  "output would replace the checkpoint (where: " + opt.output + ") — choose another -o");
    switch (format)
    {
        case ExportFormat::onnx:
            export_onnx(opt, checkpoint_path);
            return;
        case ExportFormat::engine:
            export_engine(opt, checkpoint_path);
            return;
    }
}
}  // namespace

void add_export_command(CLI::App& app)
{
    auto opt = std::make_shared<ExportCommandOptions>();
    auto* cmd = app.add_subcommand("export",
                                   "Export a trained or imported model for other programs: the inference library's "
                                   "model file (.h5, docs/inference.md) or ONNX for ONNX Runtime (Geant4 Par04, "
                                   "Key4hep DDML; docs/onnx.md)");
    cmd->add_option("--checkpoint", opt->checkpoint, "Checkpoint file or run folder")->required();
    cmd->add_option("-o,--output", opt->output, "Output file (*.h5 engine model or *.onnx)")->required();
    cmd->add_option("--format", opt->format, "engine or onnx (default: from the -o extension, .h5 or .onnx)");
    cmd->add_flag("--discriminator", opt->discriminator,
                  "Export the discriminator (outputs probability, energy_estimate_gev, ecal_gev, angle_rad for "
                  "model b) instead of the generator");
    cmd->add_option("--opset", opt->opset,
                    "ONNX operator set, " + std::to_string(onnx::kMinOpset) + " to " + std::to_string(onnx::kMaxOpset))
        ->capture_default_str();
    cmd->add_flag("--as-written", opt->as_written,
                  "Generator graph with the layers as written (Resize + padded Conv) instead of the faster exact "
                  "rewrites; same results up to float rounding");
    cmd->add_flag("--layers-first", opt->layers_first,
                  "Generator output cells_gev as (N, layer, x, y), the order Key4hep DDML's RegularGridGANModel "
                  "reads (default (N, x, y, layer), the dataset order)");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace an existing output file");
    cmd->callback([opt] { run_export(*opt); });
}
}  // namespace calo::app
