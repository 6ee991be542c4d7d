// calo3dgan generate: showers from a trained or imported generator, written as a dataset.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "DeviceOption.hh"
#include "InferCommands.hh"
#include "Metadata.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/infer/ShowerGenerator.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/mc/Primary.hh"
#include "calo3dgan/nn/Checkpoint.hh"

namespace calo::app
{
namespace
{
constexpr double kDegree = M_PI / 180.0;
//! Upper bound of --energy: far above any 3DGAN training range.
constexpr double kMaxEnergyGev = 1e6;

struct GenerateOptions
{
    std::string checkpoint;
    long long events = 0;  //!< -n; with --latent 0 means "all of the file"
    std::string energy;    //!< GeV; default: the trained range
    std::string theta;     //!< degrees; default: the trained range (model B)
    std::string output;
    std::uint64_t seed = 1;
    std::string latent_file;
    long long batch = 64;  //!< tuning only: never changes the output
    std::string device = "cpu";
    int threads = 0;
    bool overwrite = false;
    bool strict = false;
};

std::string range_spec(double lo, double hi)
{
    auto const text = [](double v)
    {
        char buffer[32];
        std::snprintf(buffer, sizeof buffer, "%.6g", v);
        return std::string(buffer);
    };
    return lo == hi ? text(lo) : text(lo) + ":" + text(hi);
}

//! The FloatDataset called `name`, or nullptr.
io::FloatDataset const* find_dataset(std::vector<io::FloatDataset> const& datasets, char const* name)
{
    for (auto const& d : datasets)
    {
        if (d.path == name)
            return &d;
    }
    return nullptr;
}

//! Explicit inputs from --latent: `z` (N, noise), `energy` (N) GeV, `theta` (N) rad (model B).
infer::GeneratorInputs read_latent_file(std::string const& path, nn::ArchitectureConfig const& config)
{
    auto const datasets = io::read_float_datasets(path);
    auto const* z = find_dataset(datasets, "z");
    auto const* energy = find_dataset(datasets, "energy");
    auto const* theta = find_dataset(datasets, "theta");
    bool const with_angle = config.family == nn::ModelFamily::b;
    auto const noise_size = static_cast<std::size_t>(config.noise_size());
    std::string const layout_hint =
        with_angle ? "z (N, " + std::to_string(noise_size) + ") noise, energy (N,) [GeV] and theta (N,) [rad]"
                   : "z (N, " + std::to_string(noise_size) + ") noise and energy (N,) [GeV]";
    CALO_VALIDATE(z && energy && (!with_angle || theta), std::string("latent file lacks dataset `") +
                                                             (!z        ? "z"
                                                              : !energy ? "energy"
                                                                        : "theta") +
                                                             "` (where: " + path + ") — give " + layout_hint);
    CALO_VALIDATE(z->shape.size() == 2 && z->shape[1] == noise_size,
                  "dataset `z` has " + std::to_string(z->shape.size() == 2 ? z->shape[1] : 0) + " columns, model " +
                      config.name + " needs " + std::to_string(noise_size) + " noise values per event (where: " + path +
                      ") — give " + layout_hint);
    std::size_t const n = z->shape[0];
    auto const is_vector = [n](io::FloatDataset const& d)
    { return (d.shape.size() == 1 && d.shape[0] == n) || (d.shape.size() == 2 && d.shape[0] == n && d.shape[1] == 1); };
    CALO_VALIDATE(is_vector(*energy), "dataset `energy` does not have one value for each of the " + std::to_string(n) +
                                          " rows of `z` (where: " + path + ") — give " + layout_hint);
    infer::GeneratorInputs inputs;
    inputs.noise = z->values;
    inputs.energy_gev = energy->values;
    if (with_angle)
    {
        CALO_VALIDATE(is_vector(*theta), "dataset `theta` does not have one value for each of the " +
                                             std::to_string(n) + " rows of `z` (where: " + path + ") — give " +
                                             layout_hint);
        inputs.theta_rad = theta->values;
    }
    else if (theta)
    {
        spdlog::warn("latent file has `theta`, but model {} is fixed-angle: ignored", config.name);
    }
    return inputs;
}

//! A slice [first, first + count) of explicit inputs.
infer::GeneratorInputs slice(infer::GeneratorInputs const& all, std::size_t first, std::size_t count,
                             std::size_t noise_size)
{
    infer::GeneratorInputs part;
    part.noise.assign(all.noise.begin() + first * noise_size, all.noise.begin() + (first + count) * noise_size);
    part.energy_gev.assign(all.energy_gev.begin() + first, all.energy_gev.begin() + first + count);
    if (!all.theta_rad.empty())
        part.theta_rad.assign(all.theta_rad.begin() + first, all.theta_rad.begin() + first + count);
    return part;
}

void run_generate(GenerateOptions const& opt)
{
    CALO_VALIDATE_USAGE(!opt.checkpoint.empty(), "--checkpoint is required");
    CALO_VALIDATE_USAGE(!opt.output.empty(), "-o/--output is required");
    CALO_VALIDATE_USAGE(opt.events > 0 || (!opt.latent_file.empty() && opt.events == 0),
                        opt.events == 0 ? std::string("-n is required: the number of showers to generate")
                                        : "-n must be positive (got " + std::to_string(opt.events) + ")");
    CALO_VALIDATE_USAGE(opt.batch > 0, "--batch must be positive (got " + std::to_string(opt.batch) + ")");
    CALO_VALIDATE_USAGE(opt.latent_file.empty() || (opt.energy.empty() && opt.theta.empty()),
                        "--latent gives energies and angles itself — drop --energy/--theta");
    CALO_VALIDATE(opt.overwrite || !std::filesystem::exists(opt.output),
                  "output file exists (where: " + opt.output + ") — pass --overwrite or choose another -o");
    auto const device = parse_device(opt.device);
    configure_threads(opt.threads);

    infer::ShowerGeneratorOptions options;
    options.device = device;
    options.batch_size = opt.batch;
    auto const checkpoint_path = nn::resolve_checkpoint_path(opt.checkpoint);
    auto generator = infer::ShowerGenerator::load(checkpoint_path, options);
    auto const& config = generator.config();
    bool const with_angle = config.family == nn::ModelFamily::b;
    auto const noise_size = static_cast<std::size_t>(generator.noise_size());

    // Where the inputs come from: a latent file, or per-event streams.
    infer::GeneratorInputs explicit_inputs;
    std::string energy_text, theta_text;
    std::size_t events = static_cast<std::size_t>(opt.events);
    std::string range_problem;
    auto const [energy_lo, energy_hi] = generator.trained_energy_range_gev();
    auto const [angle_lo, angle_hi] = generator.trained_angle_range_rad();
    std::optional<mc::ValueSpec> energy_spec, theta_deg_spec;
    if (!opt.latent_file.empty())
    {
        explicit_inputs = read_latent_file(opt.latent_file, config);
        std::size_t const available = explicit_inputs.size();
        CALO_VALIDATE(available > 0, "latent file has no events (where: " + opt.latent_file + ")");
        if (events == 0)
            events = available;
        CALO_VALIDATE(events <= available,
                      "-n " + std::to_string(events) + " asks for more events than the " + std::to_string(available) +
                          " in the latent file (where: " + opt.latent_file + ") — lower -n or drop it");
        auto const first = explicit_inputs.energy_gev.begin();
        auto const [e_min, e_max] = std::minmax_element(first, first + events);
        double t_min = angle_lo, t_max = angle_hi;
        if (with_angle)
        {
            auto const t =
                std::minmax_element(explicit_inputs.theta_rad.begin(), explicit_inputs.theta_rad.begin() + events);
            t_min = *t.first;
            t_max = *t.second;
        }
        range_problem = generator.range_warning(*e_min, *e_max, t_min, t_max);
        energy_text = "from " + opt.latent_file;
        theta_text = with_angle ? energy_text : "90";
    }
    else
    {
        energy_text = opt.energy.empty() ? range_spec(energy_lo, energy_hi) : opt.energy;
        energy_spec = mc::ValueSpec::parse(energy_text, "--energy", 0.0, kMaxEnergyGev, "GeV");
        if (with_angle)
        {
            theta_text = opt.theta.empty() ? range_spec(angle_lo / kDegree, angle_hi / kDegree) : opt.theta;
            theta_deg_spec = mc::ValueSpec::parse(theta_text, "--theta", 0.0, 180.0 - 1e-9, "deg");
        }
        else
        {
            theta_text = "90";
            if (!opt.theta.empty())
            {
                auto const spec = mc::ValueSpec::parse(opt.theta, "--theta", 0.0, 180.0, "deg");
                CALO_VALIDATE_USAGE(spec.min() == 90.0 && spec.max() == 90.0,
                                    "model " + config.name + " is fixed-angle (90 deg) — drop --theta " + opt.theta +
                                        " or use a model-b checkpoint");
            }
        }
        range_problem = generator.range_warning(energy_spec->min(), energy_spec->max(),
                                                with_angle ? theta_deg_spec->min() * kDegree : angle_lo,
                                                with_angle ? theta_deg_spec->max() * kDegree : angle_hi);
    }
    if (!range_problem.empty())
    {
        CALO_VALIDATE(!opt.strict, range_problem + " (where: " + checkpoint_path +
                                       ") — choose conditions inside the trained range, or drop --strict");
        spdlog::warn("{}: these showers are extrapolations (pass --strict to refuse)", range_problem);
    }

    nlohmann::json metadata = provenance("generate");
    metadata["generation"] = {{"checkpoint", checkpoint_path},
                              {"model", config.name},
                              {"seed", opt.seed},
                              {"events", events},
                              {"energy_gev", energy_text},
                              {"theta_deg", theta_text},
                              {"latent_file", opt.latent_file},
                              {"config_toml", nn::to_toml_string(config)}};
    io::DatasetWriter writer(opt.output, generator.layout(), config.image_shape, metadata.dump(), opt.overwrite);

    spdlog::info("generating {} showers with {} ({}), E = {} GeV{}, into {} ({}, {})", events, config.name,
                 checkpoint_path, energy_text, with_angle ? ", theta = " + theta_text + " deg" : std::string(),
                 opt.output, config.image_shape.to_string(), io::describe_units(generator.layout()));
    ProgressBar progress(static_cast<std::int64_t>(events), {"generate", "events"});
    auto const sample_energy = [&](Rng& rng) { return energy_spec->sample(rng); };
    auto const sample_theta = [&](Rng& rng) { return theta_deg_spec->sample(rng) * kDegree; };
    // Chunks bound the memory; each chunk is generated batch by batch.
    std::size_t const chunk = static_cast<std::size_t>(std::max<long long>(opt.batch, 256));
    for (std::size_t first = 0; first < events; first += chunk)
    {
        throw_if_interrupted();
        std::size_t const count = std::min(chunk, events - first);
        auto const inputs =
            opt.latent_file.empty()
                ? generator.sample_inputs(opt.seed, first, count, sample_energy,
                                          with_angle ? infer::ValueSampler(sample_theta) : infer::ValueSampler())
                : slice(explicit_inputs, first, count, noise_size);
        writer.append(generator.generate(inputs));
        progress.update(static_cast<std::int64_t>(first + count));
    }
    throw_if_interrupted();
    writer.commit();
    progress.finish();
    double const seconds = progress.elapsed_seconds();
    spdlog::info("wrote {} showers to {} in {:.1f} s ({:.0f} showers/s on {})", events, opt.output, seconds,
                 events / std::max(seconds, 1e-9), opt.device);
}
}  // namespace

void add_generate_command(CLI::App& app)
{
    auto opt = std::make_shared<GenerateOptions>();
    auto* cmd = app.add_subcommand("generate",
                                   "Generate showers with a trained or imported 3DGAN generator into a "
                                   "dataset file (same layout and units as the training data)");
    cmd->add_option("--checkpoint", opt->checkpoint, "Checkpoint file or run folder")->required();
    cmd->add_option("-n,--events", opt->events, "Number of showers (with --latent: default all of the file)");
    cmd->add_option("--energy", opt->energy,
                    "Primary energy [GeV]: 100, range 100:200 or list 100,150 (default: the trained range)");
    cmd->add_option("--theta", opt->theta,
                    "Polar angle [deg] for model b: 90, range 60:120 or list (default: the trained range)");
    cmd->add_option("-o,--output", opt->output, "Output HDF5 file")->required();
    cmd->add_option("--seed", opt->seed, "Master seed: event i uses stream derive_seed(seed, i)")
        ->capture_default_str();
    cmd->add_option("--latent", opt->latent_file,
                    "HDF5 file with explicit inputs: z (N, noise), energy (N) [GeV], theta (N) [rad] for model b");
    cmd->add_option("--batch", opt->batch, "Events per forward pass; never changes the output")->capture_default_str();
    cmd->add_option("--device", opt->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--threads", opt->threads, "CPU threads for libtorch (0: all cores, shared among the ranks on a node)");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace an existing output file");
    cmd->add_flag("--strict", opt->strict, "Refuse conditions outside the model's trained range (default: warn)");
    cmd->callback([opt] { run_generate(*opt); });
}
}  // namespace calo::app
