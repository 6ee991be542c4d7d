// calo3dgan evolve: the genetic-algorithm experiment of Carminati et al. 2019 (AISIS 2019, §5):
// a small CNN regressing the primary energy from projected showers, trained
// by a (1+lambda) GA and by RMSprop, compared on the same data and axes.
// The GA runs distributed under mpirun (ranks share each generation's children).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "Commands.hh"
#include "MpiRun.hh"
#include "DeviceOption.hh"
#include "Metadata.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/OutputLock.hh"
#include "calo3dgan/base/PlotScript.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/ConvRegressor.hh"
#include "calo3dgan/evolve/ElitistStrategy.hh"
#include "calo3dgan/evolve/EnergyRegressor.hh"
#include "calo3dgan/evolve/GeneticTraining.hh"
#include "calo3dgan/evolve/MinibatchSchedule.hh"
#include "calo3dgan/evolve/PointMutation.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"
#include "calo3dgan/evolve/RegressionFitness.hh"
#include "calo3dgan/evolve/RegressionReport.hh"
#include "calo3dgan/evolve/RmspropBaseline.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/train/DataParallel.hh"

namespace fs = std::filesystem;

namespace calo::app
{
namespace
{
constexpr std::uint64_t kRmspropInitDomain = 0x45564f4c56450004ull;
constexpr double kTargetError = 0.10;  // Carminati et al. 2019: "well below 10%"

struct EvolveOptions
{
    std::vector<std::string> data;
    std::string out;
    long long events = 5000;  //!< training events (Carminati et al. 2019, Table 1)
    long long test_events = 1000;  //!< held-out events after them
    int batch = 128;  //!< events per fitness evaluation / RMSprop step (Carminati et al. 2019, Table 1)
    // GA
    long long generations = 2000;
    int parents = 8;  //!< M (Carminati et al. 2019, Table 1)
    int lambda = 8;  //!< children per generation (Carminati et al. 2019, Table 1)
    double mutation_rate = 0.1;
    double mutation_power = 0.005;
    std::string mutation = "uniform";
    std::string step_size = "fixed";
    int step_window = 10;
    double step_factor = 0.85;
    // RMSprop
    long long epochs = 50;
    double learning_rate = 1e-3;
    bool no_rmsprop = false;
    // Network
    int filters = 8;
    int kernel = 5;
    int stride = 2;
    double bias = 0;
    bool trainable_bias = false;
    //! An architecture exported by `calo3dgan search` (best_architecture.json):
    //! it replaces the network options, and its learning rate and batch are
    //! used unless --learning-rate / --batch are given.
    std::string architecture;
    bool learning_rate_given = false;
    bool batch_given = false;
    // Output and running
    int energy_bins = 10;
    long long history_every = 0;
    long long checkpoint_every = 0;
    std::uint64_t seed = 1;
    bool resume = false;
    double comm_timeout = kDefaultCommTimeoutSeconds;
    //! One thread per rank: a candidate takes ~0.25 ms, too little to share
    //! between threads (measured in docs/benchmarks.md); ranks share the work.
    int threads = 1;
    bool no_plots = false;
    bool dump_config = false;
};

void validate(EvolveOptions const& o)
{
    CALO_VALIDATE_USAGE(o.lambda >= 1, "--lambda " + std::to_string(o.lambda) + " is invalid — the number of "
                                           "children per generation must be at least 1 (Carminati et al. 2019 used 8)");
    CALO_VALIDATE_USAGE(o.parents >= 1, "--parents " + std::to_string(o.parents) + " is invalid — the number M of "
                                            "random parents must be at least 1 (Carminati et al. 2019 used 8)");
    CALO_VALIDATE_USAGE(o.mutation_rate >= 0 && o.mutation_rate <= 1,
                        "--mutation-rate " + std::to_string(o.mutation_rate)
                            + " is outside [0, 1] — it is the fraction of the weights changed per mutation");
    CALO_VALIDATE_USAGE(o.mutation_power > 0 && std::isfinite(o.mutation_power),
                        "--mutation-power " + std::to_string(o.mutation_power)
                            + " is not positive — each change is power x U[-1, 1], e.g. 0.005");
    CALO_VALIDATE_USAGE(o.step_factor > 0 && o.step_factor < 1, "--step-factor must be in (0, 1)");
    CALO_VALIDATE_USAGE(o.step_window >= 1, "--step-window must be at least 1 generation");
    CALO_VALIDATE_USAGE(o.batch >= 1, "--batch must be at least 1");
    CALO_VALIDATE_USAGE(o.events >= o.batch, "--events " + std::to_string(o.events) + " is less than one --batch ("
                                                 + std::to_string(o.batch) + ") — use more events or a smaller batch");
    CALO_VALIDATE_USAGE(o.test_events >= 1, "--test-events must be at least 1");
    CALO_VALIDATE_USAGE(o.generations >= 0, "--generations must not be negative");
    CALO_VALIDATE_USAGE(o.epochs >= 0, "--epochs must not be negative");
    CALO_VALIDATE_USAGE(o.learning_rate > 0, "--learning-rate must be positive");
    CALO_VALIDATE_USAGE(o.energy_bins >= 1, "--energy-bins must be at least 1");
    CALO_VALIDATE_USAGE(o.history_every >= 0 && o.checkpoint_every >= 0,
                        "--history-every and --checkpoint-every must not be negative");
    CALO_VALIDATE_USAGE(o.filters >= 1 && o.kernel >= 1 && o.stride >= 1,
                        "--filters, --kernel and --stride must be at least 1");
}

evolve::RegressorOptions regressor_options(EvolveOptions const& o)
{
    evolve::RegressorOptions r;
    r.filters = o.filters;
    r.kernel = o.kernel;
    r.stride = o.stride;
    r.bias = o.bias;
    r.trainable_bias = o.trainable_bias;
    return r;
}

//! The settings that decide the GA's result: checked on resume and across ranks.
nlohmann::json result_config(EvolveOptions const& o)
{
    return {{"events", o.events},
            {"test_events", o.test_events},
            {"batch", o.batch},
            {"parents", o.parents},
            {"lambda", o.lambda},
            {"mutation_rate", o.mutation_rate},
            {"mutation_power", o.mutation_power},
            {"mutation", o.mutation},
            {"step_size", o.step_size},
            {"step_window", o.step_window},
            {"step_factor", o.step_factor},
            {"filters", o.filters},
            {"kernel", o.kernel},
            {"stride", o.stride},
            {"bias", o.bias},
            {"trainable_bias", o.trainable_bias},
            {"history_every", o.history_every},
            {"seed", o.seed}};
}

//! Everything resolved, for --dump-config and results.json.
nlohmann::json full_config(EvolveOptions const& o)
{
    auto config = result_config(o);
    config["generations"] = o.generations;
    config["epochs"] = o.epochs;
    config["learning_rate"] = o.learning_rate;
    config["rmsprop"] = !o.no_rmsprop;
    config["energy_bins"] = o.energy_bins;
    config["checkpoint_every"] = o.checkpoint_every;
    return config;
}

nlohmann::json optional_number(std::optional<double> value)
{
    return value ? nlohmann::json(*value) : nlohmann::json();
}

void write_json(std::string const& path, nlohmann::json const& json)
{
    write_file_atomically(path, json.dump(1) + '\n', fs::path(path).filename().string());
}

//! The options with an exported architecture's learning rate and batch.
EvolveOptions with_architecture(EvolveOptions opt, std::optional<evolve::RegressorArchitecture> const& architecture)
{
    if (!architecture)
        return opt;
    if (!opt.learning_rate_given)
        opt.learning_rate = architecture->learning_rate;
    if (!opt.batch_given)
        opt.batch = architecture->batch;
    return opt;
}

void evolve_run(EvolveOptions const& given, Communicator const& comm)
{
    std::optional<evolve::RegressorArchitecture> architecture;
    if (!given.architecture.empty())
        architecture = evolve::read_architecture(given.architecture);
    auto const opt = with_architecture(given, architecture);
    validate(opt);
    auto const mutation_distribution = evolve::parse_mutation_distribution(opt.mutation);
    auto const step_rule = evolve::parse_step_size_rule(opt.step_size);
    if (opt.dump_config)
    {
        if (comm.is_root())
            std::cout << full_config(opt).dump(2) << '\n';
        return;
    }
    CALO_VALIDATE_USAGE(!opt.data.empty(), "--data is required");
    CALO_VALIDATE_USAGE(!opt.out.empty(), "-o/--output is required");
    configure_threads(opt.threads);

    auto const checkpoint_path = (fs::path(opt.out) / "checkpoint.json").string();
    std::optional<OutputLock> lock;  // rank 0 writes the folder
    if (comm.is_root())
    {
        lock.emplace(OutputLock::for_folder(opt.out));
        bool const has_checkpoint = fs::exists(checkpoint_path);
        CALO_VALIDATE(opt.resume || !has_checkpoint, "output folder already has a GA checkpoint (where: " + opt.out
                                                         + ") — pass --resume to continue it or choose another -o");
        CALO_VALIDATE(!opt.resume || has_checkpoint,
                      "nothing to resume (where: " + opt.out + " has no checkpoint.json) — drop --resume");
    }

    io::DatasetReader const reader(opt.data);
    auto const train = evolve::project_showers(reader, 0, static_cast<std::size_t>(opt.events));
    // Only rank 0 evaluates the test set.
    auto const test = comm.is_root() ? evolve::project_showers(reader, static_cast<std::size_t>(opt.events),
                                                               static_cast<std::size_t>(opt.test_events))
                                     : evolve::ProjectedShowers{};
    double energy_sum = 0;
    for (float e : train.energy_gev)
        energy_sum += e;
    auto config = result_config(opt);
    config["train_energy_sum_gev"] = energy_sum;  // the same data, cheaply
    if (architecture)
        config["architecture"] = evolve::to_json(*architecture);
    if (comm.size() > 1)
    {
        auto const mismatch = train::DataParallel::find_mismatch(comm, config);
        if (!mismatch.empty())
        {
            if (comm.is_root())
                throw InputError(mismatch);
            comm.barrier();
        }
    }

    // The network of Carminati et al. 2019, or a searched one.
    std::unique_ptr<evolve::Regressor const> network;
    if (architecture)
        network = std::make_unique<evolve::ConvRegressor const>(train.rows, train.cols,
                                                                evolve::fitted(*architecture, train.rows, train.cols));
    else
        network = std::make_unique<evolve::EnergyRegressor const>(train.rows, train.cols, regressor_options(opt));
    auto const& regressor = *network;
    evolve::MinibatchSchedule const schedule(train.size(), static_cast<std::size_t>(opt.batch), opt.seed);
    evolve::PointMutation const mutation({opt.mutation_rate, mutation_distribution});
    evolve::RegressionFitness const fitness(regressor, train, schedule);
    evolve::ElitistStrategy::Options strategy_options;
    strategy_options.parents = opt.parents;
    strategy_options.children = opt.lambda;
    strategy_options.seed = opt.seed;
    strategy_options.step_size.rule = step_rule;
    strategy_options.step_size.initial_power = opt.mutation_power;
    strategy_options.step_size.window = opt.step_window;
    strategy_options.step_size.factor = opt.step_factor;
    evolve::ElitistStrategy strategy(regressor.space(), mutation, fitness, comm, strategy_options);

    evolve::GeneticTraining::Options ga_options;
    ga_options.generations = opt.generations;
    ga_options.batches_per_epoch = schedule.batches_per_epoch();
    ga_options.history_every = opt.history_every;
    ga_options.checkpoint_every = opt.checkpoint_every > 0 ? opt.checkpoint_every : schedule.batches_per_epoch();
    ga_options.checkpoint_path = checkpoint_path;
    ga_options.run_config = config;
    auto monitor = [&](std::vector<float> const& parameters) {
        return std::make_pair(regressor.loss(parameters, train), regressor.loss(parameters, test));
    };
    evolve::GeneticTraining ga(strategy, monitor, comm, ga_options);
    if (opt.resume)
        ga.resume();
    if (comm.is_root())
    {
        spdlog::info("GA: regressor with {} weights on {} training and {} test showers ({}x{} projections), "
                     "M = {}, lambda = {}, mutation rate {}, power {} ({}, {} step size), batch {}, {} generations",
                     regressor.space().size(), train.size(), test.size(), train.rows, train.cols, opt.parents,
                     opt.lambda, opt.mutation_rate, opt.mutation_power, opt.mutation, opt.step_size, opt.batch,
                     opt.generations);
        if (comm.size() > 1)
            spdlog::info("GA distributed over {} ranks: each evaluates every {}th candidate", comm.size(),
                         comm.size());
    }
    ga.run();
    if (!comm.is_root())
        return;

    nlohmann::json results = provenance("evolve");
    results["config"] = full_config(opt);
    results["config"]["train_energy_sum_gev"] = energy_sum;
    if (architecture)
        results["config"]["architecture"] = evolve::to_json(*architecture);
    auto const [low, high] = std::minmax_element(train.energy_gev.begin(), train.energy_gev.end());
    results["data"] = {{"inputs", opt.data},
                       {"train_events", train.size()},
                       {"test_events", test.size()},
                       {"train_energy_range_gev", {*low, *high}},
                       {"projection", "cell energies [GeV] summed over y: (x, layer) images"}};
    results["network"] = regressor.describe();

    auto const& parent = strategy.elite_parameters();
    auto ga_report = evolve::regression_report(regressor.estimate(parent, test), test.energy_gev, opt.energy_bins);
    ga_report["history"] = ga.history().to_json();
    ga_report["generations"] = ga.log().to_json();
    ga_report["seconds"] = ga.seconds();
    ga_report["fitness_evaluations"] = strategy.evaluations();
    ga_report["evaluations_per_second"] = ga.seconds() > 0 ? strategy.evaluations() / ga.seconds() : 0.0;
    ga_report["ranks"] = comm.size();
    ga_report["seconds_to_10_percent"] = optional_number(ga.history().seconds_to_reach(kTargetError));
    ga_report["epochs_to_10_percent"] = optional_number(ga.history().epochs_to_reach(kTargetError));
    ga_report["parent"] = evolve::to_json(strategy.elite());
    results["ga"] = std::move(ga_report);
    spdlog::info("GA: test relative error {:.4f} after {} generations, {:.1f} s ({:.0f} fitness evaluations/s)",
                 results["ga"]["test_relative_error"].get<double>(), strategy.generation(), ga.seconds(),
                 results["ga"]["evaluations_per_second"].get<double>());

    if (!opt.no_rmsprop)
    {
        // Drawn like the GA's random parents, from its own stream.
        auto const initial = regressor.space().sample(derive_seed(opt.seed, 0, kRmspropInitDomain));
        evolve::RmspropOptions rms;
        rms.epochs = opt.epochs;
        rms.learning_rate = opt.learning_rate;
        rms.history_every = opt.history_every;
        spdlog::info("RMSprop: learning rate {}, {} epochs of {} minibatches", opt.learning_rate, opt.epochs,
                     schedule.batches_per_epoch());
        auto const trained = evolve::train_rmsprop(regressor, initial, train, test, schedule, rms);
        auto report = evolve::regression_report(regressor.estimate(trained.parameters, test), test.energy_gev,
                                                opt.energy_bins);
        report["history"] = trained.history.to_json();
        report["seconds"] = trained.seconds;
        report["steps"] = trained.steps;
        report["seconds_to_10_percent"] = optional_number(trained.history.seconds_to_reach(kTargetError));
        report["epochs_to_10_percent"] = optional_number(trained.history.epochs_to_reach(kTargetError));
        results["rmsprop"] = std::move(report);
        spdlog::info("RMSprop: test relative error {:.4f} after {} epochs, {:.1f} s",
                     results["rmsprop"]["test_relative_error"].get<double>(), opt.epochs, trained.seconds);
    }
    auto const results_path = (fs::path(opt.out) / "results.json").string();
    write_json(results_path, results);
    if (!opt.no_plots)
    {
        try
        {
            run_plot_script("evolve_plots.py", {results_path, opt.out});
        }
        catch (InputError const& e)
        {
            // The numbers are complete without the figures.
            spdlog::warn("plots not drawn: {} (results.json is complete)", e.what());
        }
    }
    spdlog::info("results in {}", results_path);
}

void run_evolve(EvolveOptions const& opt)
{
    run_on_all_ranks([&](Communicator const& comm) { evolve_run(opt, comm); }, opt.comm_timeout);
}

}  // namespace

void add_evolve_command(CLI::App& app)
{
    auto opt = std::make_shared<EvolveOptions>();
    auto* cmd = app.add_subcommand("evolve", "Train an energy regressor by a genetic algorithm and by RMSprop "
                                             "(the GA experiment of Carminati et al. 2019; distributed under mpirun)");
    cmd->add_option("--data", opt->data, "HDF5 files or folders with ECAL and the primary energy")->expected(1, -1);
    cmd->add_option("-o,--output", opt->out, "Output folder: results.json, checkpoint.json, losses.png, energy.png");
    cmd->add_option("--events", opt->events, "Training events (the first ones)")->capture_default_str();
    cmd->add_option("--test-events", opt->test_events, "Held-out test events (those after the training events)")
        ->capture_default_str();
    cmd->add_option("--batch", opt->batch, "Events per fitness evaluation and per RMSprop step")
        ->capture_default_str();
    cmd->add_option("--seed", opt->seed, "Master seed: parents, mutations, minibatch order")->capture_default_str();
    auto const ga = "Genetic algorithm";
    cmd->add_option("--generations", opt->generations, "GA generations after the random parents")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--parents", opt->parents, "M: random parents drawn at the start")->capture_default_str()->group(ga);
    cmd->add_option("--lambda", opt->lambda, "Children per generation")->capture_default_str()->group(ga);
    cmd->add_option("--mutation-rate", opt->mutation_rate, "Fraction of the weights changed per mutation, in [0, 1]")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--mutation-power", opt->mutation_power, "Change = power x U[-1, 1] (or x N(0, 1))")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--mutation", opt->mutation, "uniform or gaussian")->capture_default_str()->group(ga);
    cmd->add_option("--step-size", opt->step_size, "fixed, or one-fifth (Rechenberg's success rule)")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--step-window", opt->step_window, "Generations per 1/5-rule adaptation")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--step-factor", opt->step_factor, "1/5 rule: power x this (or / this) per window")
        ->capture_default_str()
        ->group(ga);
    cmd->add_option("--checkpoint-every", opt->checkpoint_every, "Generations between checkpoints (0: one epoch)")
        ->group(ga);
    cmd->add_flag("--resume", opt->resume, "Continue the GA in -o from checkpoint.json (same settings)")->group(ga);
    cmd->add_option("--comm-timeout", opt->comm_timeout,
                    "Seconds a rank waits for the others in any collective before the whole job ends with one line "
                    "(0: wait forever)")
        ->capture_default_str()
        ->group(ga);
    auto const rms = "RMSprop baseline";
    cmd->add_option("--epochs", opt->epochs, "RMSprop epochs")->capture_default_str()->group(rms);
    cmd->add_option("--learning-rate", opt->learning_rate, "RMSprop learning rate")->capture_default_str()->group(rms);
    cmd->add_flag("--no-rmsprop", opt->no_rmsprop, "Run the GA only")->group(rms);
    auto const net = "Network";
    cmd->add_option("--filters", opt->filters, "Convolution filters")->capture_default_str()->group(net);
    cmd->add_option("--kernel", opt->kernel, "Convolution kernel [cells]")->capture_default_str()->group(net);
    cmd->add_option("--stride", opt->stride, "Convolution stride [cells]")->capture_default_str()->group(net);
    cmd->add_option("--bias", opt->bias, "Constant bias of every neuron (Carminati et al. 2019: 0)")->capture_default_str()->group(net);
    cmd->add_flag("--trainable-bias", opt->trainable_bias, "Evolve/train the biases instead")->group(net);
    cmd->add_option("--architecture", opt->architecture,
                    "best_architecture.json of `calo3dgan search`: that network (and its learning rate and batch "
                    "unless given) instead of the AISIS 2019 paper's")
        ->group(net);
    cmd->add_option("--energy-bins", opt->energy_bins, "Energy bins of the test report")->capture_default_str();
    cmd->add_option("--history-every", opt->history_every, "Minibatches between train/test loss points (0: one epoch)");
    cmd->add_option("--threads", opt->threads,
                    "CPU threads per rank (0: the cores, shared among the ranks on a node); more ranks scale better")
        ->capture_default_str();
    cmd->add_flag("--no-plots", opt->no_plots, "Write results.json only");
    cmd->add_flag("--dump-config", opt->dump_config, "Print the resolved settings and exit");
    cmd->callback([opt, cmd] {
        opt->learning_rate_given = cmd->count("--learning-rate") > 0;
        opt->batch_given = cmd->count("--batch") > 0;
        run_evolve(*opt);
    });
}
}  // namespace calo::app
