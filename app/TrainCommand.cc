// calo3dgan train: train a 3DGAN model on shower data, on one process or
// data-parallel over MPI ranks (mpirun -np N calo3dgan train ...).
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CandidateShowers.hh"
#include "Commands.hh"
#include "MpiRun.hh"
#include "DeviceOption.hh"
#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/OutputLock.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/physval/Validation.hh"
#include "calo3dgan/train/DataParallel.hh"
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
    long long steps = 0;  //!< total training batches of this invocation (0: no cap)
    long long batches_per_epoch = 0;  //!< cap per epoch (0: the whole training split)
    long long checkpoint_every = 0;
    double comm_timeout = kDefaultCommTimeoutSeconds;
    std::string device = "cpu";
    std::string precision = "fp32";
    std::uint64_t seed = 1;
    bool resume = false;
    std::vector<std::string> overrides;
    double test_fraction = 0.1;
    long long max_events = 0;
    long long test_events = 0;
    int threads = 0;
    bool dump_config = false;
    // Data-parallel training (under mpirun/srun).
    double fusion_mb = 64;
    std::string lr_scaling = "linear";
    double warmup_epochs = 5;
    bool no_overlap = false;
    std::string timeline;
    // Physics validation during training.
    long long validate_every = 0;
    long long validate_events = 2000;
};

nn::ArchitectureConfig resolve_config(TrainOptions const& opt)
{
    // A preset name ("a", "b") or a TOML file.
    nn::ArchitectureConfig config = nn::is_preset_name(opt.config) ? nn::preset(opt.config) : nn::load_config(opt.config);
    for (auto const& assignment : opt.overrides)
        nn::apply_override(config, assignment);
    if (opt.batch > 0)
        config.train.batch_size = opt.batch;
    if (opt.epochs > 0)
        config.train.epochs = static_cast<int>(opt.epochs);
    nn::validate(config);
    return config;
}

//! Everything that must be the same on every rank for a data-parallel run.
nlohmann::json run_summary(TrainOptions const& opt, nn::ArchitectureConfig const& config,
                           train::ShowerDataset const& data, torch::Device device)
{
    return {{"version", std::string(kVersion) + " " + kGitRevision},
            {"config", nn::to_toml_string(config)},
            {"seed", opt.seed},
            {"epochs", config.train.epochs},
            {"steps", opt.steps},
            {"batches_per_epoch", opt.batches_per_epoch},
            {"checkpoint_every", opt.checkpoint_every},
            {"resume", opt.resume},
            {"test_fraction", opt.test_fraction},
            {"max_events", opt.max_events},
            {"test_events", opt.test_events},
            {"train_events", data.train_size()},
            {"test_split_events", data.test_size()},
            {"device_type", device.is_cpu() ? "cpu" : "cuda"},
            {"precision", opt.precision},
            {"fusion_mb", opt.fusion_mb},
            {"overlap", !opt.no_overlap},
            {"lr_scaling", opt.lr_scaling},
            {"warmup_epochs", opt.warmup_epochs},
            {"timeline", !opt.timeline.empty()},
            {"validate_every", opt.validate_every},
            {"validate_events", opt.validate_events}};
}

/*!
 * --validate-every: the figure of merit and sampling-fraction error of the
 * current generator against a fixed sample of the test split (its first
 * --validate-events events), generated with their conditions and the same
 * noise every time, so epochs compare like with like.
 */
class EpochValidation final : public train::TrainingObserver
{
  public:
    EpochValidation(TrainOptions const& opt, train::ShowerDataset const& data, torch::Device device)
        : every_(opt.validate_every), device_(device), seed_(derive_seed(opt.seed, 0, 0x7A11DA7E))
    {
        std::size_t const n = std::min(static_cast<std::size_t>(opt.validate_events), data.test_size());
        CALO_VALIDATE(n >= 20, "--validate-every needs at least 20 test events (the test split has " +
                                   std::to_string(data.test_size()) + ") — raise --test-fraction or use more data");
        reference_ = physval::sample_from_batch(data.reader().read(data.train_size(), n), "test split",
                                                "training data");
        reference_features_ = physval::compute_features(reference_, options_.features);
    }

    //! The trainer whose generator is validated (set once it exists).
    void watch(train::GanTrainer& trainer) { trainer_ = &trainer; }

    nlohmann::json validate(std::int64_t completed_epoch) override
    {
        if (completed_epoch % every_ != 0)
            return nullptr;
        infer::ShowerGeneratorOptions generator_options;
        generator_options.device = device_;
        infer::ShowerGenerator generator(trainer_->generator(), generator_options);
        auto const candidate = generate_like(generator, reference_, seed_, "generator", false);
        trainer_->generator()->train();  // generation switched it to inference mode
        auto const merit = physval::evaluate_candidate_merit(reference_features_, candidate, options_);
        return nlohmann::json{{"figure_of_merit", merit.figure_of_merit},
                              {"sampling_fraction_mre", merit.sampling_fraction_mean_relative_error},
                              {"sampling_fraction_mre_error", merit.sampling_fraction_mean_relative_error_uncertainty},
                              {"moment", merit.average.moment},
                              {"shape", merit.average.shape},
                              {"angle", merit.average.angle ? nlohmann::json(*merit.average.angle) : nlohmann::json()},
                              {"events", reference_.size()},
                              {"energy_bins", merit.used_energy_bins}};
    }

  private:
    std::int64_t every_;
    torch::Device device_;
    std::uint64_t seed_;
    physval::ValidationOptions const options_;
    physval::ShowerSample reference_;
    physval::FeatureTable reference_features_;
    train::GanTrainer* trainer_ = nullptr;
};

void train(TrainOptions const& opt, Communicator const& comm)
{
    CALO_VALIDATE_USAGE(opt.steps >= 0, "--steps must be positive");
    CALO_VALIDATE_USAGE(opt.batches_per_epoch >= 0, "--batches-per-epoch must be positive");
    CALO_VALIDATE_USAGE(opt.checkpoint_every >= 0, "--checkpoint-every must not be negative");
    CALO_VALIDATE_USAGE(opt.epochs >= 0, "--epochs must be positive");
    CALO_VALIDATE_USAGE(opt.batch >= 0, "--batch must be positive");
    CALO_VALIDATE_USAGE(opt.fusion_mb > 0 && opt.fusion_mb <= 2048, "--fusion-mb must be in (0, 2048]");
    CALO_VALIDATE_USAGE(opt.warmup_epochs >= 0, "--warmup-epochs must not be negative");
    auto const config = resolve_config(opt);
    if (opt.dump_config)
    {
        if (comm.is_root())
            std::cout << nn::to_toml_string(config);
        return;
    }
    CALO_VALIDATE_USAGE(!opt.data.empty(), "--data is required");
    CALO_VALIDATE_USAGE(!opt.run_dir.empty(), "-o/--output is required");
    bool const distributed = comm.size() > 1;
    auto device = parse_device(opt.device);
    if (distributed && device.is_cuda() && !device.has_index())
    {
        // One GPU per rank of a node, as Horovod pins local_rank.
        auto const gpus = static_cast<int>(torch::cuda::device_count());
        device = torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(comm.local_rank() % gpus));
    }
    configure_threads(opt.threads);

    // Only rank 0 writes, so only rank 0 looks at the run folder.
    std::optional<OutputLock> lock;
    if (comm.is_root())
    {
        lock.emplace(OutputLock::for_folder(opt.run_dir));
        bool const has_checkpoint = fs::exists(fs::path(opt.run_dir) / nn::run_layout::kLatestFile);
        CALO_VALIDATE(opt.resume || !has_checkpoint,
                      "run folder already has checkpoints (where: " + opt.run_dir
                          + ") — pass --resume to continue it or choose another -o");
        CALO_VALIDATE(!opt.resume || has_checkpoint,
                      "nothing to resume (where: " + opt.run_dir + " has no checkpoint) — drop --resume");
    }
    train::ShowerDataset::Options data_options;
    data_options.test_fraction = opt.test_fraction;
    data_options.max_events = static_cast<std::size_t>(opt.max_events);
    data_options.seed = opt.seed;
    train::ShowerDataset const data(io::DatasetReader(opt.data), nn::preprocess_options(config), data_options);

    train::DataParallelOptions parallel_options;
    parallel_options.fusion_mb = opt.fusion_mb;
    parallel_options.overlap = !opt.no_overlap;
    parallel_options.lr_scaling = train::parse_learning_rate_scaling(opt.lr_scaling);
    parallel_options.warmup_epochs = opt.warmup_epochs;
    parallel_options.timeline = opt.timeline;
    if (distributed)
    {
        // Start-up check, before any rank trains: a mismatch is reported by
        // rank 0, which ends the job; the others wait for that.
        auto const mismatch = train::DataParallel::find_mismatch(comm, run_summary(opt, config, data, device));
        if (!mismatch.empty())
        {
            if (comm.is_root())
                throw InputError(mismatch);
            comm.barrier();
        }
    }
    train::DataParallel parallel(comm, parallel_options);

    train::GanTrainerOptions trainer_options;
    trainer_options.run_dir = opt.run_dir;
    trainer_options.epochs = config.train.epochs;
    trainer_options.max_batches_per_epoch = opt.batches_per_epoch;
    trainer_options.max_steps = opt.steps;
    trainer_options.checkpoint_every = opt.checkpoint_every;
    trainer_options.seed = opt.seed;
    trainer_options.device = device;
    trainer_options.precision = train::parse_precision(opt.precision);
    trainer_options.max_test_events = static_cast<std::size_t>(opt.test_events);
    CALO_VALIDATE_USAGE(opt.validate_every >= 0, "--validate-every must not be negative");
    CALO_VALIDATE_USAGE(opt.validate_events > 0, "--validate-events must be positive");
    std::vector<train::TrainingObserver*> observers;
    if (auto* timeline = parallel.timeline_observer())
        observers.push_back(timeline);
    std::unique_ptr<EpochValidation> validation;
    if (opt.validate_every > 0 && comm.is_root())
    {
        validation = std::make_unique<EpochValidation>(opt, data, device);
        observers.push_back(validation.get());
    }
    // Checks that the data fit the model and hold a global batch, and that
    // the run folder is writable
    train::GanTrainer trainer(config, data, trainer_options, &parallel, observers);
    if (validation)
        validation->watch(trainer);
    if (comm.is_root())
    {
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
    }
    parallel.attach(trainer);  // rank 0's weights, optimizer states and position everywhere
    spdlog::info("training model {} on {} events ({} train, {} test), batch {}, {} batches/epoch, {} epochs, "
                 "device {}",
                 config.name, data.train_size() + data.test_size(), data.train_size(), data.test_size(),
                 config.train.batch_size, trainer.batches_per_epoch(), config.train.epochs, opt.device);
    if (distributed)
        spdlog::info("data-parallel over {} ranks: global batch {}, learning rate x{:.4g} ({} scaling) after {} "
                     "warm-up epochs, {} fusion buffer(s) of <= {} MB, overlap {}",
                     comm.size(), config.train.batch_size * comm.size(),
                     train::learning_rate_scale(parallel_options.lr_scaling, comm.size(), 0, 0, 0, 1),
                     opt.lr_scaling, opt.warmup_epochs, parallel.bucket_count(), opt.fusion_mb,
                     opt.no_overlap ? "off" : "on");
    trainer.run();
    parallel.finish();
    if (comm.is_root())
        spdlog::info("training finished: {} (latest checkpoint in {})", opt.run_dir,
                     nn::resolve_checkpoint_path(opt.run_dir));
}

void run_train(TrainOptions const& opt)
{
    run_on_all_ranks([&](Communicator const& comm) { train(opt, comm); }, opt.comm_timeout);
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
    cmd->add_option("--steps", opt->steps,
                    "Stop after N training batches in all (quick runs); the epoch in progress ends there with its "
                    "test losses and checkpoint, so `--steps 4` alone trains 4 batches");
    cmd->add_option("--batches-per-epoch", opt->batches_per_epoch,
                    "Cut every epoch to at most N batches (0: the whole training split)");
    cmd->add_option("--checkpoint-every", opt->checkpoint_every,
                    "Also checkpoint every N batches inside an epoch, keeping only the newest of these (0: at the end "
                    "of epochs only); a fault then loses at most N batches");
    cmd->add_option("--device", opt->device, "cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--precision", opt->precision,
                    "fp32, or bf16: convolutions and matrix products in bfloat16 (autocast) with fp32 weights, "
                    "optimizer state and losses; recorded in checkpoints, and --resume keeps it")
        ->check(CLI::IsMember({"fp32", "bf16"}))
        ->capture_default_str();
    cmd->add_option("--seed", opt->seed, "Master seed: initialisation, shuffles, noise, dropout")
        ->capture_default_str();
    cmd->add_flag("--resume", opt->resume, "Continue the run in -o from its latest checkpoint");
    cmd->add_option("--set", opt->overrides, "Override a config value, e.g. --set train.learning_rate=5e-4");
    cmd->add_option("--test-fraction", opt->test_fraction, "Held-out fraction of the events (the last ones)")
        ->capture_default_str();
    cmd->add_option("--max-events", opt->max_events, "Use only the first N events (0: all)");
    cmd->add_option("--test-events", opt->test_events, "Test events evaluated per epoch (0: the whole split)");
    cmd->add_option("--threads", opt->threads, "CPU threads for libtorch (0: all cores, shared among the ranks on a node)");
    cmd->add_flag("--dump-config", opt->dump_config, "Print the resolved config and exit");
    cmd->add_option("--validate-every", opt->validate_every,
                    "Every K epochs, record the figure of merit and sampling-fraction error in history.json");
    cmd->add_option("--validate-events", opt->validate_events, "Test-split events used by --validate-every")
        ->capture_default_str();
    auto const mpi = "Data-parallel (mpirun -np N calo3dgan train ...)";
    cmd->add_option("--comm-timeout", opt->comm_timeout,
                    "Seconds a rank waits for the others in any collective before the whole job ends with one line "
                    "naming it (a killed, stopped or cut-off rank; 0: wait forever)")
        ->capture_default_str();
    cmd->add_option("--fusion-mb", opt->fusion_mb, "Gradient fusion buffer size [MB]: one MPI_Allreduce per buffer")
        ->capture_default_str()
        ->group(mpi);
    cmd->add_option("--lr-scaling", opt->lr_scaling, "Learning rate x N ranks (linear), x sqrt(N) (sqrt) or x 1 (none)")
        ->check(CLI::IsMember({"linear", "sqrt", "none"}))
        ->capture_default_str()
        ->group(mpi);
    cmd->add_option("--warmup-epochs", opt->warmup_epochs,
                    "Epochs over which the learning rate rises linearly (per batch) to its scaled value")
        ->capture_default_str()
        ->group(mpi);
    cmd->add_flag("--no-overlap", opt->no_overlap,
                  "Reduce gradients after each backward pass instead of during it")
        ->group(mpi);
    cmd->add_option("--timeline", opt->timeline,
                    "Write a Chrome trace of compute and communication phases per rank (FILE.rankR.json)")
        ->group(mpi);
    cmd->callback([opt] { run_train(*opt); });
}
}  // namespace calo::app
