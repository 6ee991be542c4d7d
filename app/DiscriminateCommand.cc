// calo3dgan discriminate: score showers with a trained or imported discriminator.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "DeviceOption.hh"
#include "InferCommands.hh"
#include "Metadata.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/infer/ShowerScorer.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ConfigToml.hh"

namespace calo::app
{
namespace
{
struct DiscriminateOptions
{
    std::string checkpoint;
    std::vector<std::string> inputs;
    std::string output;
    long long batch = 64;  //!< tuning only: never changes the output
    std::string device = "cpu";
    int threads = 0;
    bool overwrite = false;
};

io::FloatDataset column(char const* name, std::vector<float> values)
{
    io::FloatDataset dataset;
    dataset.path = name;
    dataset.shape = {values.size()};
    dataset.values = std::move(values);
    return dataset;
}

void run_discriminate(DiscriminateOptions const& opt)
{
    CALO_VALIDATE_USAGE(!opt.checkpoint.empty(), "--checkpoint is required");
    CALO_VALIDATE_USAGE(!opt.inputs.empty(), "--input is required");
    CALO_VALIDATE_USAGE(!opt.output.empty(), "-o/--output is required");
    CALO_VALIDATE_USAGE(opt.batch > 0, "--batch must be positive (got " + std::to_string(opt.batch) + ")");
    CALO_VALIDATE(opt.overwrite || !std::filesystem::exists(opt.output),
                  "output file exists (where: " + opt.output + ") — pass --overwrite or choose another -o");
    auto const device = parse_device(opt.device);
    configure_threads(opt.threads);

    infer::ShowerScorerOptions options;
    options.device = device;
    options.batch_size = opt.batch;
    auto const checkpoint_path = nn::resolve_checkpoint_path(opt.checkpoint);
    auto scorer = infer::ShowerScorer::load(checkpoint_path, options);
    auto const& config = scorer.config();
    io::DatasetReader const reader(opt.inputs);
    CALO_VALIDATE(reader.shape() == config.image_shape,
                  "input images are " + reader.shape().to_string() + " (layout " + event::to_string(reader.layout()) +
                      ", where: " + reader.files().front().path + ") but model " + config.name + " takes " +
                      config.image_shape.to_string() + " — score them with a model made for layout " +
                      event::to_string(reader.layout()));

    std::size_t const n = reader.num_events();
    spdlog::info("scoring {} events from {} file(s) with {} ({})", n, reader.files().size(), config.name,
                 checkpoint_path);
    infer::ShowerScores scores;
    std::vector<float> energy, theta;
    ProgressBar progress(static_cast<std::int64_t>(n), {"discriminate", "events"});
    std::size_t const chunk = static_cast<std::size_t>(std::max<long long>(opt.batch, 256));
    for (std::size_t first = 0; first < n; first += chunk)
    {
        throw_if_interrupted();
        auto const events = reader.read(first, std::min(chunk, n - first));
        scores.append(scorer.score(events));
        energy.insert(energy.end(), events.energy_gev.begin(), events.energy_gev.end());
        theta.insert(theta.end(), events.theta_rad.begin(), events.theta_rad.end());
        progress.update(static_cast<std::int64_t>(first + events.size()));
    }
    progress.finish();

    std::vector<io::FloatDataset> datasets;
    datasets.push_back(column("probability", std::move(scores.probability)));
    datasets.push_back(column("energy_estimate_gev", std::move(scores.energy_estimate_gev)));
    datasets.push_back(column("ecal_gev", std::move(scores.ecal_gev)));
    if (config.has_angle_head())
        datasets.push_back(column("angle_rad", std::move(scores.angle_rad)));
    datasets.push_back(column("energy", std::move(energy)));
    if (reader.has_theta())
        datasets.push_back(column("theta", std::move(theta)));

    nlohmann::json metadata = provenance("discriminate");
    std::vector<std::string> files;
    for (auto const& f : reader.files()) files.push_back(f.path);
    metadata["discrimination"] = {{"checkpoint", checkpoint_path},
                                  {"model", config.name},
                                  {"inputs", files},
                                  {"events", n},
                                  {"config_toml", nn::to_toml_string(config)}};
    io::write_float_datasets(opt.output, datasets, metadata.dump(), opt.overwrite);
    spdlog::info("wrote scores of {} events to {} in {:.1f} s", n, opt.output, progress.elapsed_seconds());
}
}  // namespace

void add_discriminate_command(CLI::App& app)
{
    auto opt = std::make_shared<DiscriminateOptions>();
    auto* cmd = app.add_subcommand("discriminate",
                                   "Score showers with a trained or imported 3DGAN discriminator: P(real), energy "
                                   "estimate, ECAL sum and (model b) measured angle per event");
    cmd->add_option("--checkpoint", opt->checkpoint, "Checkpoint file or run folder (with a discriminator)")
        ->required();
    cmd->add_option("--input", opt->inputs, "Dataset files or folders (layout of the model)")
        ->expected(1, -1)
        ->required();
    cmd->add_option("-o,--output", opt->output,
                    "Output HDF5 file: probability, energy_estimate_gev, ecal_gev, angle_rad (b), energy, theta")
        ->required();
    cmd->add_option("--batch", opt->batch, "Events per forward pass; never changes the output")->capture_default_str();
    cmd->add_option("--device", opt->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--threads", opt->threads, "CPU threads for libtorch (0: all cores, shared among the ranks on a node)");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace an existing output file");
    cmd->callback([opt] { run_discriminate(*opt); });
}
}  // namespace calo::app
