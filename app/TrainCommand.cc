// calo3dgan train: train a 3DGAN model on shower data.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "Commands.hh"
#include "DeviceOption.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/ShowerDataset.hh"

namespace fs = std::filesystem;

namespace calo::app
{
namespace
{
struct TrainOptions
{
    std::string config = "a";
    std::vector<std::string> data;
    std::string run_dir;
    long long epochs = 0;  //!< 0: from the config
    int batch = 0;  //!< 0: from the config
    long long steps = 0;
    std::string device = "cpu";
    std::uint64_t seed = 1;
    bool resume = false;
    std::vector<std::string> overrides;
    double test_fraction = 0.1;
    long long max_events = 0;
    long long test_events = 0;
    int threads = 0;
    bool dump_config = false;
};

nn::ArchitectureConfig resolve_config(TrainOptions const& opt)
{
    // A preset name ("a", "b") or a TOML file.
    nn::ArchitectureConfig config = fs::exists(opt.config) ? nn::load_config(opt.config) : nn::preset(opt.config);
    for (auto const& assignment : opt.overrides)
        nn::apply_override(config, assignment);
    if (opt.batch > 0)
        config.train.batch_size = opt.batch;
    if (opt.epochs > 0)
        config.train.epochs = static_cast<int>(opt.epochs);
    nn::validate(config);
    return config;
}

io::PreprocessOptions preprocess_for(nn::ArchitectureConfig const& config)
{
    auto p = config.family == nn::ModelFamily::a ? io::PreprocessOptions::model_a() : io::PreprocessOptions::model_b();
    p.xscale = config.train.xscale;
    p.yscale = config.train.yscale;
    p.xpower = config.power;
    return p;
}

void run_train(TrainOptions const& opt)
{
    CALO_VALIDATE_USAGE(opt.steps >= 0, "--steps must be positive");
    CALO_VALIDATE_USAGE(opt.epochs >= 0, "--epochs must be positive");
    CALO_VALIDATE_USAGE(opt.batch >= 0, "--batch must be positive");
    auto const config = resolve_config(opt);
    if (opt.dump_config)
    {
        std::cout << nn::to_toml_string(config);
        return;
    }
    CALO_VALIDATE_USAGE(!opt.data.empty(), "--data is required");
    CALO_VALIDATE_USAGE(!opt.run_dir.empty(), "-o/--output is required");
    auto const device = parse_device(opt.device);
    configure_threads(opt.threads);

    bool const has_checkpoint = fs::exists(fs::path(opt.run_dir) / nn::run_layout::kLatestFile);
    CALO_VALIDATE(opt.resume || !has_checkpoint,
                  "run folder already has checkpoints (where: " + opt.run_dir
                      + ") — pass --resume to continue it or choose another -o");
    CALO_VALIDATE(!opt.resume || has_checkpoint,
                  "nothing to resume (where: " + opt.run_dir + " has no checkpoint) — drop --resume");
    train::ShowerDataset::Options data_options;
    data_options.test_fraction = opt.test_fraction;
    data_options.max_events = static_cast<std::size_t>(opt.max_events);
    data_options.seed = opt.seed;
    train::ShowerDataset const data(io::DatasetReader(opt.data), preprocess_for(config), data_options);

    train::GanTrainerOptions trainer_options;
    trainer_options.run_dir = opt.run_dir;
    trainer_options.epochs = config.train.epochs;
    trainer_options.max_batches_per_epoch = opt.steps;
    trainer_options.seed = opt.seed;
    trainer_options.device = device;
    trainer_options.max_test_events = static_cast<std::size_t>(opt.test_events);
    train::GanTrainer trainer(config, data, trainer_options);  // checks that the data fit the model
    CALO_VALIDATE(data.train_size() >= static_cast<std::size_t>(config.train.batch_size),
                  "fewer training events (" + std::to_string(data.train_size()) + ") than one batch ("
                      + std::to_string(config.train.batch_size) + ") — use more data or a smaller --batch");
    ensure_writable_directory(opt.run_dir);

    if (opt.resume)
    {
        auto checkpoint = nn::load_checkpoint(opt.run_dir, device);
        trainer.resume(checkpoint);
    }
    else
    {
        // The resolved config sits next to the checkpoints for people to read.
        AtomicFile file((fs::path(opt.run_dir) / "config.toml").string());
        std::ofstream(file.temp_path()) << nn::to_toml_string(config);
        file.commit();
    }
    spdlog::info("training model {} on {} events ({} train, {} test), batch {}, {} batches/epoch, {} epochs, "
                 "device {}",
                 config.name, data.train_size() + data.test_size(), data.train_size(), data.test_size(),
                 config.train.batch_size, trainer.batches_per_epoch(), config.train.epochs, opt.device);
    trainer.run();
    spdlog::info("training finished: {} (latest checkpoint in {})", opt.run_dir,
                 nn::resolve_checkpoint_path(opt.run_dir));
}
}  // namespace

void add_train_command(CLI::App& app)
{
    auto opt = std::make_shared<TrainOptions>();
    auto* cmd = app.add_subcommand("train", "Train a 3DGAN model on shower data");
    cmd->add_option("--config", opt->config, "Model preset file (configs/3dgan-a.toml, configs/3dgan-b.toml) or a|b")
        ->capture_default_str();
    cmd->add_option("--data", opt->data, "HDF5 files or folders")->expected(1, -1);
    cmd->add_option("-o,--output", opt->run_dir, "Run folder: checkpoints/, latest, history.json, config.toml");
    cmd->add_option("--epochs", opt->epochs, "Train until this many epochs are complete (default: config)");
    cmd->add_option("--batch", opt->batch, "Batch size (default: config)");
    cmd->add_option("--steps", opt->steps, "At most this many batches per epoch (quick runs)");
    cmd->add_option("--device", opt->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--seed", opt->seed, "Master seed: initialisation, shuffles, noise, dropout")
        ->capture_default_str();
    cmd->add_flag("--resume", opt->resume, "Continue the run in -o from its latest checkpoint");
    cmd->add_option("--set", opt->overrides, "Override a config value, e.g. --set train.learning_rate=5e-4");
    cmd->add_option("--test-fraction", opt->test_fraction, "Held-out fraction of the events (the last ones)")
        ->capture_default_str();
    cmd->add_option("--max-events", opt->max_events, "Use only the first N events (0: all)");
    cmd->add_option("--test-events", opt->test_events, "Test events evaluated per epoch (0: the whole split)");
    cmd->add_option("--threads", opt->threads, "CPU threads for libtorch (0: default)");
    cmd->add_flag("--dump-config", opt->dump_config, "Print the resolved config and exit");
    cmd->callback([opt] { run_train(*opt); });
}
}  // namespace calo::app
