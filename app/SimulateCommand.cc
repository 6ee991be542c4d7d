// calo3dgan simulate: write 3DGAN-format datasets from the shower Monte Carlo.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cmath>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "Commands.hh"
#include "Metadata.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/OutputLock.hh"
#include "calo3dgan/base/ParallelFor.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/mc/Primary.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"
#include "calo3dgan/mc/SimulatedBatch.hh"

namespace calo::app
{
namespace
{
struct SimulateOptions
{
    std::string output_dir;
    long long events = 0;
    std::string energy = "2:500";  //!< GeV: fixed, range a:b or list a,b,c
    std::string theta = "90";      //!< degrees: fixed or range
    std::string particle = "e-";
    std::string format = "a";
    long long events_per_file = 10000;
    std::uint64_t seed = 1;
    int threads = 0;  //!< tuning only: never changes the output
    bool overwrite = false;
    std::string geometry = "lcd";
};

//! Events are simulated and written in chunks so memory stays bounded
//! (10,000 events of 51x51x25 would be 260 MB).
constexpr long long kChunkEvents = 256;

std::string file_name(mc::Particle particle, event::Layout layout, long long index)
{
    std::string const prefix = particle == mc::Particle::electron ? "Ele" : "Gamma";
    std::string const kind = layout == event::Layout::fixed_angle ? "Escan" : "Escan_RandomAngle";
    char number[24];
    std::snprintf(number, sizeof number, "%03lld", index);
    return prefix + kind + "_" + number + ".h5";
}

void run_simulate(SimulateOptions const& opt)
{
    CALO_VALIDATE_USAGE(opt.events > 0, "--events must be positive (got " + std::to_string(opt.events) + ")");
    CALO_VALIDATE_USAGE(opt.events_per_file > 0,
                        "--events-per-file must be positive (got " + std::to_string(opt.events_per_file) + ")");
    CALO_VALIDATE_USAGE(opt.threads >= 0, "--threads must be 0 (all cores) or positive");
    auto const energy = mc::ValueSpec::parse(opt.energy, "--energy", 0.0, mc::kMaxEnergyGev);
    CALO_VALIDATE_USAGE(energy.min() >= mc::kMinEnergyGev,
                        "--energy " + opt.energy + " is below the shower model's range (" +
                            std::to_string(mc::kMinEnergyGev) + " GeV) — use higher energies");
    auto const theta_deg = mc::ValueSpec::parse(opt.theta, "--theta", 0.0, 180.0 - 1e-9);
    auto const particle = mc::parse_particle(opt.particle);
    auto const layout = event::parse_layout(opt.format);
    if (layout == event::Layout::fixed_angle)
    {
        CALO_VALIDATE_USAGE(theta_deg.min() == 90.0 && theta_deg.max() == 90.0,
                            "--format a is the fixed-angle (90 degree) layout and stores no angle — use "
                            "--format b for --theta " + opt.theta);
    }
    mc::ShowerOptions shower_options;
    shower_options.geometry = opt.geometry;
    mc::ShowerSimulator const simulator(shower_options);
    geo::ImageShape const shape = event::default_shape(layout);

    auto const lock = OutputLock::for_folder(opt.output_dir);
    long long const n_files = (opt.events + opt.events_per_file - 1) / opt.events_per_file;
    std::vector<std::string> paths;
    for (long long f = 0; f < n_files; ++f)
    {
        paths.push_back((std::filesystem::path(opt.output_dir) / file_name(particle, layout, f)).string());
        CALO_VALIDATE(opt.overwrite || !std::filesystem::exists(paths.back()),
                      "output file exists (where: " + paths.back() + ") — pass --overwrite or choose another -o");
    }

    // Only physics inputs go into the metadata: the thread count never changes the result.
    nlohmann::json metadata = provenance("simulate");
    metadata["simulation"] = {{"seed", opt.seed},
                              {"energy_gev", energy.to_string()},
                              {"theta_deg", theta_deg.to_string()},
                              {"particle", mc::to_string(particle)},
                              {"format", opt.format},
                              {"events_total", opt.events},
                              {"events_per_file", opt.events_per_file},
                              {"shower", mc::to_json(simulator.options())}};

    spdlog::info("simulating {} {} showers, E = {} GeV, theta = {} deg, format {} ({}, {}) into {} file(s) in {}",
                 opt.events, mc::to_string(particle), energy.to_string(), theta_deg.to_string(), opt.format,
                 shape.to_string(), event::describe_units(layout), n_files, opt.output_dir);

    mc::RunRequest request;
    request.energy_gev = energy;
    request.theta_deg = theta_deg;
    request.particle = particle;
    request.layout = layout;
    request.seed = opt.seed;
    ProgressBar progress(opt.events, {"simulate", "events"});
    int const threads = resolve_thread_count(opt.threads);
    long long done = 0;
    for (long long f = 0; f < n_files; ++f)
    {
        long long const first = f * opt.events_per_file;
        long long const count = std::min(opt.events_per_file, opt.events - first);
        nlohmann::json file_metadata = metadata;
        file_metadata["simulation"]["first_event"] = first;
        io::DatasetWriter writer(paths[f], layout, shape, file_metadata.dump(), opt.overwrite);
        for (long long c = 0; c < count; c += kChunkEvents)
        {
            long long const n = std::min(kChunkEvents, count - c);
            auto const batch = mc::simulate_batch(simulator, request, first + c, n, threads);
            writer.append(batch);
            done += n;
            progress.update(done);
        }
        writer.commit();
        spdlog::debug("wrote {}", paths[f]);
    }
    progress.finish();
    double const seconds = progress.elapsed_seconds();
    spdlog::info("wrote {} events in {} file(s) in {:.1f} s ({:.0f} events/s on {} thread(s))", opt.events, n_files,
                 seconds, opt.events / std::max(seconds, 1e-9), threads);
}
}  // namespace

void add_simulate_command(CLI::App& app)
{
    auto opt = std::make_shared<SimulateOptions>();
    auto* cmd = app.add_subcommand("simulate", "Simulate electromagnetic showers into 3DGAN-format HDF5 files");
    cmd->add_option("-o,--output", opt->output_dir, "Output folder")->required();
    cmd->add_option("--events", opt->events, "Number of showers")->required();
    cmd->add_option("--energy", opt->energy, "Primary energy [GeV]: 100, range 2:500, or list 10,50,100")
        ->capture_default_str();
    cmd->add_option("--theta", opt->theta, "Polar angle [deg]: 90 or range 60:120 (needs --format b)")
        ->capture_default_str();
    cmd->add_option("--particle", opt->particle, "Primary particle: e- or gamma")->capture_default_str();
    cmd->add_option("--format", opt->format,
                    "a: fixed-angle 25x25x25 in GeV; b: variable-angle 51x51x25 in GeV x 50")
        ->capture_default_str();
    cmd->add_option("--events-per-file", opt->events_per_file, "Events per HDF5 file")->capture_default_str();
    cmd->add_option("--seed", opt->seed, "Master random seed (same seed: bit-identical files)")->capture_default_str();
    cmd->add_option("--threads", opt->threads, "Worker threads (0: all cores); never changes the output")
        ->capture_default_str();
    cmd->add_option("--geometry", opt->geometry, "Calorimeter preset: lcd (CLIC/LCD-like, default) or compact")
        ->capture_default_str();
    cmd->add_flag("--overwrite", opt->overwrite, "Replace existing output files");
    cmd->callback([opt] { run_simulate(*opt); });
}
}  // namespace calo::app
