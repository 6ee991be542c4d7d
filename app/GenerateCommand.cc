// calo3dgan generate: showers from a trained or imported generator, written as a dataset.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "DeviceOption.hh"
#include "InferCommands.hh"
#include "Metadata.hh"
#include "MpiRun.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/DataFiles.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Format.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/OutputLock.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/infer/GeneratorExport.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/infer/ShowerGenerator.hh"
#include "calo3dgan/inference/Generator.hh"
#include "calo3dgan/inference/ModelFile.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/io/LatentFile.hh"
#include "calo3dgan/mc/Primary.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ConfigToml.hh"

namespace calo::app
{
namespace
{
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
    std::string engine = "engine";   //!< engine (oneDNN, torch-free) or torch (libtorch)
    std::string precision = "auto";  //!< engine arithmetic: fp32, bf16 or auto
    int threads = 0;
    bool overwrite = false;
    bool strict = false;
};

std::string range_spec(double lo, double hi)
{
    return lo == hi ? format_significant(lo, 6) : format_significant(lo, 6) + ":" + format_significant(hi, 6);
}

//! Explicit inputs from --latent (io::read_latent_file).
infer::GeneratorInputs read_latent_file(std::string const& path, std::size_t noise_size, bool with_angle,
                                        std::string const& model_name)
{
    auto latent = io::read_latent_file(path, noise_size, with_angle, model_name);
    if (latent.ignored_theta)
        spdlog::warn("latent file has `theta`, but model {} is fixed-angle: ignored", model_name);
    infer::GeneratorInputs inputs;
    inputs.noise = std::move(latent.noise);
    inputs.energy_gev = std::move(latent.energy_gev);
    inputs.theta_rad = std::move(latent.theta_rad);
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

//! Random-stream domain of the conditions (the latent vector uses domain 0,
//! as the inference library does), so both are fixed by (seed, event index).
constexpr std::uint64_t kConditionStream = 1;

/*!
 * The generator behind the command: the inference engine (default; a
 * checkpoint or an exported model file) or calo3dgan's libtorch generator
 * (--engine torch, checkpoints only). Both give showers in file units.
 */
class ShowerModel
{
  public:
    ShowerModel(GenerateOptions const& opt, int threads)
    {
        bool const model_file = inference::is_model_file(opt.checkpoint);
        CALO_VALIDATE_USAGE(opt.engine == "engine" || opt.engine == "torch",
                            "--engine must be engine or torch, got `" + opt.engine + "`");
        CALO_VALIDATE_USAGE(!(model_file && opt.engine == "torch"),
                            "an exported model file runs on the inference engine only — drop --engine torch or "
                            "give the checkpoint");
        path_ = model_file ? opt.checkpoint : nn::resolve_checkpoint_path(opt.checkpoint);
        if (opt.engine == "torch")
        {
            CALO_VALIDATE_USAGE(opt.precision == "auto" || opt.precision == "fp32",
                                "--engine torch computes in fp32 — drop --precision " + opt.precision);
            infer::ShowerGeneratorOptions options;
            options.device = parse_device(opt.device);
            options.batch_size = opt.batch;
            torch_.emplace(infer::ShowerGenerator::load(path_, options));
            auto const& config = torch_->config();
            name_ = config.name;
            config_toml_ = nn::to_toml_string(config);
            layout_ = torch_->layout();
            shape_ = config.image_shape;
            noise_size_ = static_cast<std::size_t>(config.noise_size());
            range_.has_angle = config.family == nn::ModelFamily::b;
            std::tie(range_.energy_min_gev, range_.energy_max_gev) = torch_->trained_energy_range_gev();
            std::tie(range_.angle_min_rad, range_.angle_max_rad) = torch_->trained_angle_range_rad();
            description_ = "libtorch, fp32, " + opt.device;
        }
        else
        {
            CALO_VALIDATE_USAGE(opt.device == "cpu", "the inference engine runs on the CPU — drop --device " +
                                                         opt.device + " or add --engine torch");
            inference::GeneratorOptions options;
            options.threads = threads;
            try
            {
                options.precision = inference::parse_precision(opt.precision);
            }
            catch (std::invalid_argument const& e)
            {
                throw UsageError(std::string("--precision: ") + e.what());
            }
            engine_.emplace(model_file ? inference::Generator::load(path_, options)
                                       : inference::Generator::from_model(
                                             infer::to_generator_model(nn::load_checkpoint(path_).generator), options));
            auto const& model = engine_->model();
            name_ = model.name;
            config_toml_ = model.config_toml;
            auto const [nx, ny, nz] = model.image_shape;
            shape_ = geo::ImageShape{nx, ny, nz};
            layout_ = infer::layout_for(shape_, name_);
            noise_size_ = engine_->noise_size();
            range_.has_angle = engine_->takes_angle();
            range_.energy_min_gev = model.energy_range_gev[0];
            range_.energy_max_gev = model.energy_range_gev[1];
            range_.angle_min_rad = model.angle_range_rad[0];
            range_.angle_max_rad = model.angle_range_rad[1];
            description_ = std::string("inference engine, ") + inference::to_string(engine_->precision()) + ", " +
                           std::to_string(threads) + " thread(s)";
        }
        range_.model = name_;
    }

    std::string const& name() const { return name_; }
    std::string const& path() const { return path_; }
    std::string const& config_toml() const { return config_toml_; }
    std::string const& description() const { return description_; }
    event::Layout layout() const { return layout_; }
    geo::ImageShape shape() const { return shape_; }
    std::size_t noise_size() const { return noise_size_; }
    bool takes_angle() const { return range_.has_angle; }
    infer::TrainedRange const& range() const { return range_; }

    //! Showers of `inputs` in file units.
    event::EventBatch generate(infer::GeneratorInputs const& inputs)
    {
        if (torch_)
            return torch_->generate(inputs);
        event::EventBatch batch;
        batch.layout = layout_;
        batch.shape = shape_;
        batch.energy_gev = inputs.energy_gev;
        batch.theta_rad = inputs.theta_rad;
        batch.cells.resize(inputs.size() * shape_.size());
        engine_->generate_from_latent(inputs.size(), inputs.noise.data(), inputs.energy_gev.data(),
                                      takes_angle() ? inputs.theta_rad.data() : nullptr, batch.cells.data());
        double const unit = event::cell_unit_gev(layout_);
        if (unit != 1.0)
        {
            auto const per_unit = static_cast<float>(1.0 / unit);
            for (float& cell : batch.cells) cell *= per_unit;
        }
        return batch;
    }

  private:
    std::string path_, name_, config_toml_, description_;
    event::Layout layout_ = event::Layout::fixed_angle;
    geo::ImageShape shape_;
    std::size_t noise_size_ = 0;
    infer::TrainedRange range_;
    std::optional<inference::Generator> engine_;
    std::optional<infer::ShowerGenerator> torch_;
};

//! The output file of this rank: -o itself alone, DIR/showers-RRRR.h5 under mpirun.
std::string rank_output(std::string const& output, Communicator const& comm)
{
    if (comm.size() == 1)
        return output;
    char name[32];
    std::snprintf(name, sizeof name, "showers-%04d.h5", comm.rank());
    return (std::filesystem::path(output) / name).string();
}

//! The shipped generator, for a run without --checkpoint; says so.
std::string shipped_model(Communicator const& comm)
{
    auto const path = default_model_path();
    CALO_VALIDATE_USAGE(path.has_value(), "no --checkpoint given and no model ships with this build (models/" +
                                              std::string(kDefaultModelDir) + "/" + kDefaultModelFile +
                                              ") — give --checkpoint or set CALO3DGAN_MODEL");
    if (comm.is_root())
        spdlog::info("no --checkpoint: using the shipped model {} (model A trained on calo3dgan's Monte Carlo, not "
                     "Geant4; model card: {})",
                     *path, (std::filesystem::path(*path).parent_path() / "README.md").string());
    return *path;
}

void generate_run(GenerateOptions const& given, Communicator const& comm)
{
    GenerateOptions opt = given;
    if (opt.checkpoint.empty())
        opt.checkpoint = shipped_model(comm);
    CALO_VALIDATE_USAGE(!opt.output.empty(), "-o/--output is required");
    CALO_VALIDATE_USAGE(opt.events > 0 || (!opt.latent_file.empty() && opt.events == 0),
                        opt.events == 0 ? std::string("-n is required: the number of showers to generate")
                                        : "-n must be positive (got " + std::to_string(opt.events) + ")");
    CALO_VALIDATE_USAGE(opt.batch > 0, "--batch must be positive (got " + std::to_string(opt.batch) + ")");
    CALO_VALIDATE_USAGE(opt.latent_file.empty() || (opt.energy.empty() && opt.theta.empty()),
                        "--latent gives energies and angles itself — drop --energy/--theta");
    if (comm.size() > 1)
    {
        CALO_VALIDATE(!std::filesystem::exists(opt.output) || std::filesystem::is_directory(opt.output),
                      "under mpirun -o names a folder for one file per rank, but it is a file (where: " + opt.output +
                          ") — give a folder");
        std::error_code error;
        std::filesystem::create_directories(opt.output, error);
        CALO_VALIDATE(!error, "cannot create the output folder (where: " + opt.output + "): " + error.message());
    }
    std::string const output = rank_output(opt.output, comm);
    auto const lock = OutputLock::for_file(output);
    CALO_VALIDATE(opt.overwrite || !std::filesystem::exists(output),
                  "output file exists (where: " + output + ") — pass --overwrite or choose another -o");
    int const threads = configure_threads(opt.threads);
    ShowerModel model(opt, threads);
    bool const with_angle = model.takes_angle();
    auto const noise_size = model.noise_size();
    auto const& range = model.range();

    // Where the inputs come from: a latent file, or per-event streams.
    infer::GeneratorInputs explicit_inputs;
    std::string energy_text, theta_text;
    std::size_t events = static_cast<std::size_t>(opt.events);
    std::string range_problem;
    std::optional<mc::ValueSpec> energy_spec, theta_deg_spec;
    if (!opt.latent_file.empty())
    {
        explicit_inputs = read_latent_file(opt.latent_file, noise_size, with_angle, model.name());
        std::size_t const available = explicit_inputs.size();
        CALO_VALIDATE(available > 0, "latent file has no events (where: " + opt.latent_file + ")");
        if (events == 0)
            events = available;
        CALO_VALIDATE(events <= available,
                      "-n " + std::to_string(events) + " asks for more events than the " + std::to_string(available) +
                          " in the latent file (where: " + opt.latent_file + ") — lower -n or drop it");
        auto const first = explicit_inputs.energy_gev.begin();
        auto const [e_min, e_max] = std::minmax_element(first, first + events);
        double t_min = range.angle_min_rad, t_max = range.angle_max_rad;
        if (with_angle)
        {
            auto const t =
                std::minmax_element(explicit_inputs.theta_rad.begin(), explicit_inputs.theta_rad.begin() + events);
            t_min = *t.first;
            t_max = *t.second;
        }
        range_problem = infer::range_warning(range, *e_min, *e_max, t_min, t_max);
        energy_text = "from " + opt.latent_file;
        theta_text = with_angle ? energy_text : "90";
    }
    else
    {
        energy_text =
            opt.energy.empty() ? range_spec(range.energy_min_gev, range.energy_max_gev) : opt.energy;
        energy_spec = mc::ValueSpec::parse(energy_text, "--energy", 0.0, kMaxEnergyGev, "GeV");
        if (with_angle)
        {
            theta_text = opt.theta.empty() ? range_spec(range.angle_min_rad / kDegree, range.angle_max_rad / kDegree)
                                           : opt.theta;
            theta_deg_spec = mc::ValueSpec::parse(theta_text, "--theta", 0.0, 180.0 - 1e-9, "deg");
        }
        else
        {
            theta_text = "90";
            if (!opt.theta.empty())
            {
                auto const spec = mc::ValueSpec::parse(opt.theta, "--theta", 0.0, 180.0, "deg");
                CALO_VALIDATE_USAGE(spec.min() == 90.0 && spec.max() == 90.0,
                                    "model " + model.name() + " is fixed-angle (90 deg) — drop --theta " + opt.theta +
                                        " or use a model-b checkpoint");
            }
        }
        range_problem = infer::range_warning(range, energy_spec->min(), energy_spec->max(),
                                             with_angle ? theta_deg_spec->min() * kDegree : range.angle_min_rad,
                                             with_angle ? theta_deg_spec->max() * kDegree : range.angle_max_rad);
    }
    if (!range_problem.empty())
    {
        CALO_VALIDATE(!opt.strict, range_problem + " (where: " + model.path() +
                                       ") — choose conditions inside the trained range, or drop --strict");
        if (comm.is_root())
            spdlog::warn("{}: these showers are extrapolations (pass --strict to refuse)", range_problem);
    }

    // This rank's share of the events, by index: the showers are those of a
    // single process with the same seed.
    std::size_t const begin = events * static_cast<std::size_t>(comm.rank()) / comm.size();
    std::size_t const end = events * static_cast<std::size_t>(comm.rank() + 1) / comm.size();

    nlohmann::json metadata = provenance("generate");
    metadata["generation"] = {{"checkpoint", model.path()},
                              {"model", model.name()},
                              {"engine", model.description()},
                              {"seed", opt.seed},
                              {"events", events},
                              {"first_event", begin},
                              {"events_in_file", end - begin},
                              {"energy_gev", energy_text},
                              {"theta_deg", theta_text},
                              {"latent_file", opt.latent_file},
                              {"config_toml", model.config_toml()}};
    io::DatasetWriter writer(output, model.layout(), model.shape(), metadata.dump(), opt.overwrite);
    writer.set_compression_threads(threads);

    if (comm.is_root())
        spdlog::info("generating {} showers with {} ({}; {}), E = {} GeV{}, into {} ({}, {})", events, model.name(),
                     model.path(), model.description(), energy_text,
                     with_angle ? ", theta = " + theta_text + " deg" : std::string(), opt.output,
                     model.shape().to_string(), event::describe_units(model.layout()));
    ProgressBar progress(static_cast<std::int64_t>(end - begin), {"generate", "events", comm.is_root()});
    // Chunks bound the memory whatever -n is.
    std::size_t const chunk = static_cast<std::size_t>(std::max<long long>(opt.batch, 256));
    for (std::size_t first = begin; first < end; first += chunk)
    {
        throw_if_interrupted();
        std::size_t const count = std::min(chunk, end - first);
        infer::GeneratorInputs inputs;
        if (opt.latent_file.empty())
        {
            inputs.energy_gev.resize(count);
            if (with_angle)
                inputs.theta_rad.resize(count);
            for (std::size_t i = 0; i < count; ++i)
            {
                Rng rng(derive_seed(opt.seed, first + i, kConditionStream));
                inputs.energy_gev[i] = static_cast<float>(energy_spec->sample(rng));
                if (with_angle)
                    inputs.theta_rad[i] = static_cast<float>(theta_deg_spec->sample(rng) * kDegree);
            }
            inputs.noise.resize(count * noise_size);
            inference::draw_latent(noise_size, count, opt.seed, first, inputs.noise.data());
        }
        else
        {
            inputs = slice(explicit_inputs, first, count, noise_size);
        }
        writer.append(model.generate(inputs));
        progress.update(static_cast<std::int64_t>(first + count - begin));
    }
    throw_if_interrupted();
    writer.commit();
    progress.finish();
    double const seconds = progress.elapsed_seconds();
    spdlog::info("{}wrote {} showers to {} in {:.1f} s ({:.0f} showers/s)",
                 comm.size() > 1 ? "rank " + std::to_string(comm.rank()) + ": " : std::string(), end - begin, output,
                 seconds, static_cast<double>(end - begin) / std::max(seconds, 1e-9));
}

void run_generate(GenerateOptions const& opt)
{
    run_on_all_ranks([&](Communicator const& comm) { generate_run(opt, comm); });
}
}  // namespace

void add_generate_command(CLI::App& app)
{
    auto opt = std::make_shared<GenerateOptions>();
    auto* cmd = app.add_subcommand("generate",
                                   "Generate showers with a trained or imported 3DGAN generator into a "
                                   "dataset file (same layout and units as the training data)");
    cmd->add_option("--checkpoint", opt->checkpoint,
                    "Checkpoint file, run folder, or a model file written by `calo3dgan export` (default: the shipped "
                    "model, models/3dgan-a-mc, or $CALO3DGAN_MODEL)");
    cmd->add_option("-n,--events", opt->events, "Number of showers (with --latent: default all of the file)");
    cmd->add_option("--energy", opt->energy,
                    "Primary energy [GeV]: 100, range 100:200 or list 100,150 (default: the trained range)");
    cmd->add_option("--theta", opt->theta,
                    "Polar angle [deg] for model b: 90, range 60:120 or list (default: the trained range)");
    cmd->add_option("-o,--output", opt->output,
                    "Output HDF5 file; under mpirun a folder that gets one file per rank (showers-RRRR.h5)")
        ->required();
    cmd->add_option("--seed", opt->seed,
                    "Master seed: event i's latent vector and conditions come from streams of (seed, i), so any "
                    "batch, thread or rank count gives the same showers")
        ->capture_default_str();
    cmd->add_option("--latent", opt->latent_file,
                    "HDF5 file with explicit inputs: z (N, noise), energy (N) [GeV], theta (N) [rad] for model b");
    cmd->add_option("--batch", opt->batch, "Events per forward pass; never changes the output")->capture_default_str();
    cmd->add_option("--engine", opt->engine,
                    "engine: the torch-free inference engine (oneDNN, exact rewrites); torch: the libtorch generator")
        ->capture_default_str();
    cmd->add_option("--precision", opt->precision,
                    "Engine arithmetic: fp32, bf16 (CPUs with AVX512-BF16 or AMX) or auto (bf16 where native)")
        ->capture_default_str();
    cmd->add_option("--device", opt->device, "cpu, cuda or cuda:N (cuda with --engine torch)")->capture_default_str();
    cmd->add_option("--threads", opt->threads,
                    "CPU threads for generation and compression (0: all cores, shared among the ranks on a node)");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace an existing output file");
    cmd->add_flag("--strict", opt->strict, "Refuse conditions outside the model's trained range (default: warn)");
    cmd->callback([opt] { run_generate(*opt); });
}
}  // namespace calo::app
