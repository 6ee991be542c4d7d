// Generation speed of the inference engine (fp32, bf16) and of calo3dgan's
// libtorch generator, per shower, at given batch sizes and thread counts.
// Side by side with the PyTorch reference: bench/run_inference_comparison.sh.
#include <torch/torch.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <ctime>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "PeakFlops.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/infer/GeneratorExport.hh"
#include "calo3dgan/inference/Generator.hh"
#include "calo3dgan/inference/ModelFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Presets.hh"

namespace
{
using Clock = std::chrono::steady_clock;

//! Resident and peak resident memory of this process [MB] (/proc/self/status).
std::pair<double, double> resident_mb()
{
    std::ifstream status("/proc/self/status");
    std::string line;
    double rss = 0, hwm = 0;
    while (std::getline(status, line))
    {
        std::istringstream is(line.substr(line.find(':') + 1));
        double kb = 0;
        is >> kb;
        if (line.rfind("VmRSS:", 0) == 0)
            rss = kb / 1024;
        if (line.rfind("VmHWM:", 0) == 0)
            hwm = kb / 1024;
    }
    return {rss, hwm};
}

struct Inputs
{
    std::vector<float> latent, energy, theta;
};

Inputs make_inputs(std::size_t n, std::size_t noise, bool angle)
{
    Inputs in;
    calo::Rng rng(1);
    in.latent.resize(n * noise);
    for (auto& v : in.latent) v = static_cast<float>(calo::standard_normal(rng));
    for (std::size_t i = 0; i < n; ++i)
    {
        in.energy.push_back(static_cast<float>(10 + 490 * rng.uniform()));
        if (angle)
            in.theta.push_back(static_cast<float>(1.05 + 1.05 * rng.uniform()));
    }
    return in;
}

//! CPU time of the calling thread [s]: with one thread, robust against other load on the machine.
double thread_cpu_seconds()
{
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

bool use_cpu_time = false;

//! Median seconds of `repeats` calls after `warmup` untimed ones.
template<class F>
double median_seconds(F&& call, int warmup, int repeats)
{
    for (int i = 0; i < warmup; ++i) call();
    std::vector<double> times;
    for (int i = 0; i < repeats; ++i)
    {
        if (use_cpu_time)
        {
            double const start = thread_cpu_seconds();
            call();
            times.push_back(thread_cpu_seconds() - start);
            continue;
        }
        auto const start = Clock::now();
        call();
        times.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    }
    std::sort(times.begin(), times.end());
    return times[times.size() / 2];
}
}  // namespace

int main(int argc, char** argv)
{
    CLI::App app("Generation speed of the calo3dgan inference engine and libtorch generator");
    std::string model = "a", checkpoint, model_file;
    std::vector<int> batches{128, 1};
    std::vector<int> threads{2, 1};
    std::vector<std::string> engines{"fp32", "bf16", "torch"};
    int warmup = 2, repeats = 5;
    std::uint64_t init_seed = 1;
    bool memory_only = false;
    bool peak = false;
    std::string memory_precision = "auto";
    app.add_option("--model", model, "Preset a or b (random weights from --init-seed)")->check(CLI::IsMember({"a", "b"}));
    app.add_option("--checkpoint", checkpoint, "Use a checkpoint's generator instead of a preset");
    app.add_option("--model-file", model_file, "Use an exported model file (engine only)");
    app.add_option("--batch", batches, "Showers per call");
    app.add_option("--threads", threads, "Thread counts");
    app.add_option("--engines", engines, "fp32, bf16 (skipped without native bf16), torch");
    app.add_option("--warmup", warmup);
    app.add_option("--repeats", repeats);
    app.add_option("--init-seed", init_seed);
    app.add_option("--precision", memory_precision, "Precision of the --memory run: fp32, bf16 or auto");
    app.add_flag("--memory", memory_only,
                 "Only report the resident memory a loaded generator adds (needs --model-file; torch-free path)");
    app.add_flag("--cpu-time", use_cpu_time,
                 "Time the calling thread's CPU time instead of wall time (one thread only; for A/B comparisons on a "
                 "loaded machine)");
    app.add_flag("--peak", peak, "Only measure one core's peak fp32 and bf16 FLOP/s (FMA and dot-product chains)");
    CLI11_PARSE(app, argc, argv);
    if (peak)
    {
        nlohmann::json p{{"fp32_gflops_per_core", calo::bench::peak_fp32_flops() * 1e-9},
                         {"bf16_gflops_per_core", calo::bench::peak_bf16_flops() * 1e-9}};
        std::cout << p.dump(2) << std::endl;
        return 0;
    }

    nlohmann::json out;
    out["model"] = model;
    out["native_bf16"] = calo::inference::cpu_has_native_bf16();
    if (memory_only)
    {
        auto const before = resident_mb();
        auto generator = calo::inference::Generator::load(model_file, {calo::inference::parse_precision(memory_precision), 0});
        auto const loaded = resident_mb();
        auto const shape = generator.image_shape();
        std::size_t const n = 128;
        auto const in = make_inputs(n, generator.noise_size(), generator.takes_angle());
        std::vector<float> cells(n * shape[0] * shape[1] * shape[2]);
        generator.generate_from_latent(n, in.latent.data(), in.energy.data(),
                                       generator.takes_angle() ? in.theta.data() : nullptr, cells.data());
        auto const after = resident_mb();
        out["precision"] = calo::inference::to_string(generator.precision());
        out["rss_before_mb"] = before.first;
        out["rss_loaded_mb"] = loaded.first;
        out["rss_after_generate_mb"] = after.first;
        out["peak_rss_mb"] = after.second;
        out["added_by_model_mb"] = loaded.first - before.first;
        out["added_with_generation_mb"] = after.second - before.first;
        out["output_buffer_mb"] = cells.size() * 4.0 / (1 << 20);
        std::cout << out.dump(2) << std::endl;
        return 0;
    }

    calo::nn::Generator torch_generator{nullptr};
    if (!checkpoint.empty())
        torch_generator = calo::nn::load_checkpoint(checkpoint).generator;
    else
        torch_generator = calo::nn::Generator(model == "a" ? calo::nn::preset_a() : calo::nn::preset_b(), init_seed);
    torch_generator->eval();
    auto const description = model_file.empty() ? calo::infer::to_generator_model(torch_generator)
                                                : calo::inference::read_model_file(model_file);
    auto const& config = torch_generator->config();
    bool const angle = config.family == calo::nn::ModelFamily::b;
    auto const noise = static_cast<std::size_t>(config.noise_size());
    std::size_t const cells_per_event = config.image_shape.size();

    for (auto const& engine : engines)
    {
        if (engine == "bf16" && !calo::inference::cpu_has_native_bf16())
            continue;
        for (int t : threads)
        {
            for (int batch : batches)
            {
                auto const n = static_cast<std::size_t>(batch);
                auto const in = make_inputs(n, noise, angle);
                std::vector<float> cells(n * cells_per_event);
                double seconds = 0, multiply_adds = 0;
                if (engine == "torch")
                {
                    torch::set_num_threads(t);
                    auto const z = torch::from_blob(const_cast<float*>(in.latent.data()),
                                                    {batch, static_cast<std::int64_t>(noise)})
                                       .clone();
                    auto conditions = torch::from_blob(const_cast<float*>(in.energy.data()), {batch, 1}).clone() / 100;
                    if (angle)
                        conditions =
                            torch::cat({conditions, torch::from_blob(const_cast<float*>(in.theta.data()), {batch, 1})}, 1);
                    torch::NoGradGuard no_grad;
                    seconds = median_seconds([&] { torch_generator->forward(z, conditions); }, warmup, repeats);
                }
                else
                {
                    auto const precision = calo::inference::parse_precision(engine);
                    auto const generator = calo::inference::Generator::from_model(description, {precision, t});
                    seconds = median_seconds(
                        [&]
                        {
                            generator.generate_from_latent(n, in.latent.data(), in.energy.data(),
                                                           angle ? in.theta.data() : nullptr, cells.data());
                        },
                        warmup, repeats);
                    multiply_adds = generator.multiply_adds_per_shower();
                }
                nlohmann::json row{{"engine", engine},
                                   {"threads", t},
                                   {"batch", batch},
                                   {"ms_per_shower", 1e3 * seconds / batch},
                                   {"showers_per_s", batch / seconds}};
                if (multiply_adds > 0)
                {
                    row["multiply_adds_per_shower"] = multiply_adds;
                    row["gflops"] = 2 * multiply_adds * batch / seconds * 1e-9;
                }
                out["results"].push_back(row);
                std::cerr << engine << " threads " << t << " batch " << batch << ": " << 1e3 * seconds / batch
                          << " ms/shower" << std::endl;
            }
        }
    }
    std::cout << out.dump(2) << std::endl;
    return 0;
}
