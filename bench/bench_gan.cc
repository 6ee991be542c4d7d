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

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <unistd.h>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/io/EventBatch.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"
#include "calo3dgan/mc/SimulatedBatch.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Generator.hh"
#include "calo3dgan/nn/LatentSampler.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/ShowerDataset.hh"
#include "calo3dgan/train/TrainBatch.hh"

namespace fs = std::filesystem;

namespace
{
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

//! CPU time of the whole process (all threads) [s]. On this kind of virtual
//! machine the wall time also contains time the host gave to other guests;
//! the CPU time does not, so it is reported next to it as a noise check.
double process_cpu_seconds()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

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

//! "--key value" pairs after the mode word.
std::map<std::string, std::string> parse_options(int argc, char** argv)
{
    std::map<std::string, std::string> options;
    for (int i = 2; i < argc; i += 2)
    {
        std::string const key = argv[i];
        CALO_VALIDATE_USAGE(key.rfind("--", 0) == 0 && i + 1 < argc,
                            "expected '--option value' pairs, got '" + key + "' — see the header of bench_gan.cc");
        options[key.substr(2)] = argv[i + 1];
    }
    return options;
}

std::string option(std::map<std::string, std::string> const& options, std::string const& key, std::string fallback)
{
    auto const it = options.find(key);
    return it == options.end() ? fallback : it->second;
}

long long int_option(std::map<std::string, std::string> const& options, std::string const& key, long long fallback)
{
    auto const it = options.find(key);
    return it == options.end() ? fallback : std::stoll(it->second);
}

calo::nn::ArchitectureConfig model_config(std::string const& model)
{
    CALO_VALIDATE_USAGE(model == "a" || model == "b", "--model must be a or b");
    return model == "a" ? calo::nn::preset_a() : calo::nn::preset_b();
}

//! Simulated showers in the layout of the model (the same generator as the
//! training tests, calo::mc::ShowerSimulator with its tuned defaults).
int write_data(std::map<std::string, std::string> const& options)
{
    std::string const model = option(options, "model", "a");
    model_config(model);
    auto const events = int_option(options, "events", 256);
    auto const seed = static_cast<std::uint64_t>(int_option(options, "seed", 1));
    std::string const out = option(options, "out", "");
    CALO_VALIDATE_USAGE(!out.empty(), "write-data needs --out FILE");
    auto const layout = model == "a" ? calo::io::Layout::fixed_angle : calo::io::Layout::variable_angle;
    // A: the generator's y range (10-500 GeV); B: the reduced angle data (100-200 GeV, 60-120 deg).
    double const e_lo = model == "a" ? 10.0 : 100.0;
    double const e_hi = model == "a" ? 500.0 : 200.0;

    calo::mc::RunRequest request;
    request.energy_gev = calo::mc::ValueSpec::range(e_lo, e_hi);
    if (layout == calo::io::Layout::variable_angle)
        request.theta_deg = calo::mc::ValueSpec::range(60, 120);
    request.layout = layout;
    request.seed = seed;
    auto const batch = calo::mc::simulate_batch(calo::mc::ShowerSimulator{}, request, 0, events);
    nlohmann::json const meta = {{"tool", "bench_gan"}, {"model", model}, {"seed", seed}};
    calo::io::DatasetWriter writer(out, layout, batch.shape, meta.dump(), true);
    writer.append(batch);
    writer.commit();
    std::cerr << "bench_gan: wrote " << events << " model-" << model << " showers to " << out << '\n';
    return 0;
}

int run(std::map<std::string, std::string> const& options)
{
    std::string const model = option(options, "model", "a");
    auto config = model_config(model);
    std::string const data_path = option(options, "data", "");
    CALO_VALIDATE_USAGE(!data_path.empty(), "run needs --data FILE (make one with write-data)");
    auto const threads = int_option(options, "threads", 2);
    auto const batch = int_option(options, "batch", 16);
    auto const warmup = int_option(options, "warmup", 3);
    auto const steps = int_option(options, "steps", 5);
    auto const gen_batch = int_option(options, "gen-batch", 128);
    auto const gen_warmup = int_option(options, "gen-warmup", 1);
    auto const gen_steps = int_option(options, "gen-steps", 3);
    auto const seed = static_cast<std::uint64_t>(int_option(options, "seed", 1));
    std::string const device_name = option(options, "device", "cpu");
    std::string const profile_path = option(options, "profile", "");
    CALO_VALIDATE_USAGE(threads > 0 && batch > 0 && gen_batch > 0 && steps >= 0 && gen_steps >= 0 && warmup >= 0
                            && gen_warmup >= 0,
                        "--threads, --batch and --gen-batch must be positive, the step counts >= 0");
    torch::Device const device(device_name);
    Turns turns(option(options, "turn-in", ""), option(options, "turn-out", ""));

    torch::set_num_threads(static_cast<int>(threads));
    config.train.batch_size = static_cast<int>(batch);

    auto const preprocess = model == "a" ? calo::io::PreprocessOptions::model_a() : calo::io::PreprocessOptions::model_b();
    calo::train::ShowerDataset::Options data_options;
    data_options.seed = seed;
    calo::train::ShowerDataset const data(calo::io::DatasetReader({data_path}), preprocess, data_options);

    calo::train::GanTrainerOptions trainer_options;
    trainer_options.run_dir = (fs::temp_directory_path() / ("bench_gan_run_" + std::to_string(::getpid()))).string();
    trainer_options.seed = seed;
    trainer_options.device = device;
    trainer_options.progress = false;
    trainer_options.is_writer = false;  // no checkpoints or history: only train_step is used
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
    std::error_code ignored;
    fs::remove_all(trainer_options.run_dir, ignored);
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        std::string const mode = argc > 1 ? argv[1] : "";
        auto const options = parse_options(argc, argv);
        if (mode == "write-data")
            return write_data(options);
        if (mode == "run")
            return run(options);
        throw calo::UsageError("usage: bench_gan write-data|run --option value ... (see bench/bench_gan.cc)");
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
