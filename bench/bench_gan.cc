// Training samples/s and generated showers/s of the C++ 3DGAN, the C++ half
// of the side-by-side comparison with the PyTorch reference
// (bench/run_gan_comparison.sh, scripts/reference/bench_reference.py).
//
// Two modes:
//   bench_gan write-data --model a|b --events N --out FILE [--seed S]
//       simulate N showers (A: 10-500 GeV, 25x25x25; B: 100-200 GeV and
//       60-120 deg, 51x51x25) into a 3DGAN-layout HDF5 file that both sides read;
//   bench_gan run --model a|b --data FILE [--threads N] [--batch 16]
//       [--warmup 3] [--steps 5] [--gen-batch 128] [--gen-warmup 1]
//       [--gen-steps 3] [--device cpu|cuda] [--seed S] [--profile PREFIX]
//       time the trainer's real data path (ShowerDataset::load on a shuffled
//       epoch order, to_tensors) plus GanTrainer::train_step per batch, then
//       generation (G in eval mode, no grad, inputs from LatentSampler), and
//       print one JSON object. --profile records the last timed training
//       step and generation call with torch's (legacy) autograd profiler as
//       Chrome traces PREFIX.train.json and PREFIX.gen.json.
//       --turn-in FIFO --turn-out FIFO: before every step and generation call
//       (warm-up included) wait for a line on turn-in, after it write "done"
//       to turn-out, so that run_gan_comparison.sh can alternate the C++ and
//       PyTorch sides step by step (both then see the same host load).
// Warm-up steps and calls are excluded from the timings. A "real sample" is
// one real shower of a training batch.
#include <torch/torch.h>

#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "BenchSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Generator.hh"
#include "calo3dgan/nn/LatentSampler.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/ShowerDataset.hh"
#include "calo3dgan/train/TrainBatch.hh"

namespace fs = std::filesystem;

namespace
{
using calo::bench::Clock;
using calo::bench::process_cpu_seconds;
using calo::bench::seconds_since;

//! Step-by-step turn taking with an orchestrator through two named pipes; a
//! no-op when no pipes are given.
class Turns
{
  public:
    Turns(std::string const& in_path, std::string const& out_path)
    {
        CALO_VALIDATE_USAGE(in_path.empty() == out_path.empty(), "--turn-in and --turn-out go together");
        if (in_path.empty())
            return;
        // The orchestrator opens our input for writing first, then our output for reading.
        in_.open(in_path);
        out_.open(out_path);
        CALO_VALIDATE(in_ && out_, "cannot open the turn pipes " + in_path + " and " + out_path);
        active_ = true;
    }

    void wait()
    {
        std::string line;
        if (active_)
            CALO_VALIDATE(std::getline(in_, line), "turn pipe closed by the orchestrator");
    }

    void done()
    {
        if (active_)
            out_ << "done" << std::endl;
    }

  private:
    bool active_ = false;
    std::ifstream in_;
    std::ofstream out_;
};

struct WriteDataOptions
{
    std::string model = "a";  //!< a or b
    long long events = 256;
    std::string out;  //!< the HDF5 file to write
    std::uint64_t seed = 1;
};

struct RunOptions
{
    std::string model = "a";  //!< a or b
    std::string data;  //!< HDF5 file from write-data
    long long threads = 2;  //!< torch intra-op threads
    long long batch = 16;  //!< training batch
    long long warmup = 3;  //!< untimed training steps
    long long steps = 5;  //!< timed training steps
    long long gen_batch = 128;  //!< showers per generation call
    long long gen_warmup = 1;  //!< untimed generation calls
    long long gen_steps = 3;  //!< timed generation calls
    std::string device = "cpu";  //!< cpu or cuda
    std::string precision = "fp32";  //!< fp32 or bf16 (autocast)
    std::uint64_t seed = 1;
    std::string profile;  //!< prefix of the profiler's traces; empty: no profile
    std::string turn_in, turn_out;  //!< turn-taking pipes; empty: none
};

calo::nn::ArchitectureConfig model_config(std::string const& model)
{
    CALO_VALIDATE_USAGE(model == "a" || model == "b", "--model must be a or b");
    return model == "a" ? calo::nn::preset_a() : calo::nn::preset_b();
}

//! Simulated showers in the layout of the model (the same generator as the
//! training tests, calo::mc::ShowerSimulator with its tuned defaults).
int write_data(WriteDataOptions const& options)
{
    nlohmann::json const meta = {{"tool", "bench_gan"}, {"model", options.model}, {"seed", options.seed}};
    calo::bench::write_simulated_showers(options.out, options.model, options.events, options.seed, meta.dump());
    std::cerr << "bench_gan: wrote " << options.events << " model-" << options.model << " showers to "
              << options.out << '\n';
    return 0;
}

int run(RunOptions const& options)
{
    std::string const& model = options.model;
    auto config = model_config(model);
    std::string const& data_path = options.data;
    auto const threads = options.threads;
    auto const batch = options.batch;
    auto const warmup = options.warmup;
    auto const steps = options.steps;
    auto const gen_batch = options.gen_batch;
    auto const gen_warmup = options.gen_warmup;
    auto const gen_steps = options.gen_steps;
    auto const seed = options.seed;
    std::string const& device_name = options.device;
    std::string const& profile_path = options.profile;
    CALO_VALIDATE_USAGE(threads > 0 && batch > 0 && gen_batch > 0 && steps >= 0 && gen_steps >= 0 && warmup >= 0
                            && gen_warmup >= 0,
                        "--threads, --batch and --gen-batch must be positive, the step counts >= 0");
    torch::Device const device(device_name);
    Turns turns(options.turn_in, options.turn_out);

    torch::set_num_threads(static_cast<int>(threads));
    config.train.batch_size = static_cast<int>(batch);

    calo::train::ShowerDataset::Options data_options;
    data_options.seed = seed;
    calo::train::ShowerDataset const data(calo::io::DatasetReader({data_path}), config, data_options);

    calo::train::GanTrainerOptions trainer_options;
    trainer_options.run_dir.clear();  // no checkpoints or history: only train_step is used
    trainer_options.seed = seed;
    trainer_options.device = device;
    trainer_options.precision = calo::train::parse_precision(options.precision);
    trainer_options.progress = false;
    calo::train::GanTrainer trainer(config, data, trainer_options);

    auto const sync = [&] {
        if (device.is_cuda())
            torch::cuda::synchronize();
    };

    auto order = data.epoch_order(0);
    std::size_t next = 0;
    std::int64_t epoch = 0;
    double load_seconds = 0, step_seconds = 0, train_cpu_seconds = 0;
    std::int64_t samples = 0;
    std::vector<double> step_times, load_times, warmup_step_times;
    for (std::int64_t i = 0; steps > 0 && i < warmup + steps; ++i)
    {
        if (next + static_cast<std::size_t>(batch) > order.size())
        {
            order = data.epoch_order(++epoch);
            next = 0;
        }
        std::vector<std::size_t> const events(order.begin() + next, order.begin() + next + batch);
        next += batch;
        turns.wait();
        double const cpu0 = process_cpu_seconds();
        auto const t0 = Clock::now();
        auto const real = calo::train::to_tensors(data.load(events), device);
        sync();
        double const load = seconds_since(t0);
        auto const t1 = Clock::now();
        std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
        if (!profile_path.empty() && i == warmup + steps - 1)
            profile = std::make_unique<torch::autograd::profiler::RecordProfile>(profile_path + ".train.json");
        auto const losses = trainer.train_step(real, i);
        sync();
        double const step = seconds_since(t1);
        double const cpu1 = process_cpu_seconds();
        profile.reset();  // writes the trace, outside the timings
        turns.done();
        CALO_VALIDATE(losses.generator.finite(), "non-finite generator loss in the benchmark");
        if (i >= warmup)
        {
            load_seconds += load;
            step_seconds += step;
            step_times.push_back(step);
            load_times.push_back(load);
            samples += real.size();
            train_cpu_seconds += cpu1 - cpu0;
        }
        else
        {
            warmup_step_times.push_back(load + step);
        }
    }

    auto& generator = trainer.generator();
    calo::nn::LatentSampler latent(config, calo::derive_seed(seed, 0, 77));
    double gen_seconds = 0, gen_cpu_seconds = 0;
    std::vector<double> gen_call_seconds;
    for (std::int64_t i = 0; gen_steps > 0 && i < gen_warmup + gen_steps; ++i)
    {
        turns.wait();
        double const cpu0 = process_cpu_seconds();
        std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
        if (!profile_path.empty() && i == gen_warmup + gen_steps - 1)
            profile = std::make_unique<torch::autograd::profiler::RecordProfile>(profile_path + ".gen.json");
        auto const t0 = Clock::now();
        {
            torch::NoGradGuard no_grad;
            generator->eval();
            calo::train::AutocastScope autocast(trainer_options.precision, device);
            auto const inputs = latent.sample(gen_batch, device);
            auto const images = generator->forward(inputs.noise, inputs.conditions);
            sync();
        }
        double const call = seconds_since(t0);
        double const cpu1 = process_cpu_seconds();
        profile.reset();
        turns.done();
        if (i >= gen_warmup)
        {
            gen_call_seconds.push_back(call);
            gen_seconds += call;
            gen_cpu_seconds += cpu1 - cpu0;
        }
    }

    char const* omp_env = std::getenv("OMP_NUM_THREADS");
    double const train_seconds = load_seconds + step_seconds;
    nlohmann::json const result = {
        {"implementation", "c++"},
        {"precision", options.precision},
        {"model", model},
        {"device", device_name},
        {"threads", at::get_num_threads()},
        {"omp_num_threads_env", omp_env ? nlohmann::json(omp_env) : nlohmann::json(nullptr)},
        {"torch_version", TORCH_VERSION},
        {"batch", batch},
        {"warmup_steps", warmup},
        {"timed_steps", steps},
        {"train_samples", samples},
        {"train_seconds", train_seconds},
        {"train_samples_per_s", samples / train_seconds},
        {"train_step_only_samples_per_s", samples / step_seconds},
        {"train_cpu_seconds", train_cpu_seconds},
        {"train_samples_per_cpu_s", samples / train_cpu_seconds},
        {"load_seconds_per_step", load_seconds / steps},
        {"step_seconds_per_step", step_seconds / steps},
        {"step_seconds", step_times},
        {"load_seconds", load_times},
        {"warmup_step_seconds", warmup_step_times},
        {"gen_batch", gen_batch},
        {"gen_warmup_calls", gen_warmup},
        {"gen_timed_calls", gen_steps},
        {"gen_seconds", gen_seconds},
        {"gen_call_seconds", gen_call_seconds},
        {"gen_showers_per_s", static_cast<double>(gen_batch * gen_steps) / gen_seconds},
        {"gen_cpu_seconds", gen_cpu_seconds},
        {"gen_showers_per_cpu_s", static_cast<double>(gen_batch * gen_steps) / gen_cpu_seconds},
        {"parallel_info", at::get_parallel_info()},
    };
    std::cout << result.dump() << std::endl;
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    CLI::App app("Training samples/s and generated showers/s of the C++ 3DGAN (the C++ half of "
                 "bench/run_gan_comparison.sh)",
                 "bench_gan");
    app.require_subcommand(1);
    WriteDataOptions write_options;
    auto* write_command
        = app.add_subcommand("write-data", "Simulate showers in the model's layout into an HDF5 file both sides read");
    write_command->add_option("--model", write_options.model, "Model a (25x25x25, 10-500 GeV) or b (51x51x25, "
                                                               "100-200 GeV, 60-120 deg)")
        ->check(CLI::IsMember({"a", "b"}))
        ->capture_default_str();
    write_command->add_option("--events", write_options.events, "Showers to simulate")->capture_default_str();
    write_command->add_option("--out", write_options.out, "HDF5 file to write")->required();
    write_command->add_option("--seed", write_options.seed, "Master seed of the simulation")->capture_default_str();

    RunOptions run_options;
    auto* run_command = app.add_subcommand(
        "run", "Time training steps (data path + GanTrainer::train_step), then generation; print one JSON object");
    run_command->add_option("--model", run_options.model, "Model a or b")
        ->check(CLI::IsMember({"a", "b"}))
        ->capture_default_str();
    run_command->add_option("--data", run_options.data, "HDF5 file from write-data")->required();
    run_command->add_option("--threads", run_options.threads, "Torch threads")->capture_default_str();
    run_command->add_option("--batch", run_options.batch, "Training batch")->capture_default_str();
    run_command->add_option("--warmup", run_options.warmup, "Untimed training steps")->capture_default_str();
    run_command->add_option("--steps", run_options.steps, "Timed training steps")->capture_default_str();
    run_command->add_option("--gen-batch", run_options.gen_batch, "Showers per generation call")
        ->capture_default_str();
    run_command->add_option("--gen-warmup", run_options.gen_warmup, "Untimed generation calls")->capture_default_str();
    run_command->add_option("--gen-steps", run_options.gen_steps, "Timed generation calls")->capture_default_str();
    run_command->add_option("--device", run_options.device, "cpu or cuda")->capture_default_str();
    run_command->add_option("--precision", run_options.precision, "fp32, or bf16 (autocast, fp32 master weights)")
        ->check(CLI::IsMember({"fp32", "bf16"}))
        ->capture_default_str();
    run_command->add_option("--seed", run_options.seed, "Master seed")->capture_default_str();
    run_command->add_option("--profile", run_options.profile,
                            "Record the last timed step and call as Chrome traces PREFIX.train.json, PREFIX.gen.json");
    run_command->add_option("--turn-in", run_options.turn_in, "Pipe to wait on for a line before each step");
    run_command->add_option("--turn-out", run_options.turn_out, "Pipe to write \"done\" to after each step");

    if (auto const exit_code = calo::bench::parse_command_line(app, argc, argv))
        return *exit_code;
    try
    {
        if (*write_command)
            return write_data(write_options);
        return run(run_options);
    }
    catch (calo::UsageError const& e)
    {
        std::cerr << "bench_gan: " << e.what() << '\n';
        return 2;
    }
    catch (std::exception const& e)
    {
        std::cerr << "bench_gan: " << e.what() << '\n';
        return 1;
    }
}
