// Weak scaling of data-parallel 3DGAN training over MPI (docs/benchmarks.md,
// "Data-parallel scaling (MPI)"). Run under mpirun with 2 ranks of 1 thread
// each (bench/run_scaling.sh):
//
//   mpirun -np 2 bench_scaling [--model a] [--batch 2] [--warmup 1] [--steps 4]
//       [--rounds 3] [--events 48] [--fusion-mb 64] [--no-overlap]
//       [--max-foreign-load 0.05] [--out FILE.json]
//
// 1. MPI_Allreduce of 4 B to 16 MiB: latency and bandwidth.
// 2. Rounds, alternating the order of:
//    - solo: one rank (each rank in turn, for two rounds) trains alone
//      (world size 1, `batch` per step) while the other ranks sleep;
//    - data-parallel: every rank trains its `batch`-event shard of a global
//      batch, gradients averaged with DataParallel exactly as in
//      `calo3dgan train` (including the two per-batch agreements).
//    A step is what GanTrainer::run does per batch: read and preprocess the
//    shard, then the 3DGAN step (D real, D fake, 2 G steps).
//    Weak-scaling efficiency = data-parallel throughput / (N x solo
//    throughput) = solo step time / data-parallel step time.
//    On a shared machine, rounds during which other processes used more than
//    --max-foreign-load of the cores (from /proc/stat) are left out.
// 3. Projection to 16, 64, 256 ranks of a ring allreduce of the model's
//    gradients, from the measured latency, bandwidth and compute time.
#include <torch/torch.h>

#include <ATen/Parallel.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "BenchSupport.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/train/DataParallel.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/ShowerDataset.hh"
#include "calo3dgan/train/TrainBatch.hh"

namespace fs = std::filesystem;

namespace
{
using calo::Communicator;
using calo::bench::Clock;
using calo::bench::machine_busy_seconds;
using calo::bench::process_cpu_seconds;
using calo::bench::seconds_since;

struct Options
{
    std::string model = "a";  //!< a or b
    int batch = 2;  //!< events per rank and step
    int warmup = 1;  //!< untimed steps before each measurement
    int steps = 4;  //!< timed steps per measurement
    int rounds = 3;  //!< solo + data-parallel measurements
    int events = 48;  //!< simulated showers (at least one global batch)
    double fusion_mb = 64;  //!< gradient fusion buffer [MB]
    bool no_overlap = false;  //!< reduce only after backward
    double max_foreign_load = 0.05;  //!< share of the cores other processes may use in a kept round
    std::string out;  //!< JSON result file (also printed); empty: print only
};

std::string broadcast_string(Communicator const& comm, std::string text)
{
    std::uint64_t size = text.size();
    comm.broadcast(&size, sizeof size, 0);
    text.resize(size);
    comm.broadcast(text.data(), size, 0);
    return text;
}

double max_over_ranks(Communicator const& comm, double value)
{
    comm.allreduce_max(&value, 1);
    return value;
}

//! Idle ranks wait here, asleep (a blocking MPI barrier would spin on their
//! core), while one rank runs alone.
void sleep_until_all_arrive(Communicator const& comm)
{
    auto request = comm.ibarrier();
    while (!comm.test(request))
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
}

struct AllreduceTiming
{
    std::size_t bytes;
    double seconds;  //!< per call, slowest rank
};

std::vector<AllreduceTiming> time_allreduce(Communicator const& comm)
{
    std::vector<AllreduceTiming> timings;
    std::vector<float> buffer(std::size_t(4) << 20, 1.0f);
    for (std::size_t bytes = 4; bytes <= (std::size_t(16) << 20); bytes *= 4)
    {
        auto const count = bytes / sizeof(float);
        int const reps = static_cast<int>(std::clamp<std::size_t>((std::size_t(64) << 20) / bytes, 5, 2000));
        comm.allreduce_sum(buffer.data(), count);  // warm-up
        comm.barrier();
        auto const start = Clock::now();
        for (int r = 0; r < reps; ++r)
            comm.allreduce_sum(buffer.data(), count);
        timings.push_back({bytes, max_over_ranks(comm, seconds_since(start) / reps)});
    }
    return timings;
}

/*!
 * Share of the machine's cores that other processes used during a phase: the
 * machine's busy time minus the ranks' own CPU time, over wall time x cores.
 * On a shared machine this tells the undisturbed rounds from the others.
 */
class ForeignLoad
{
  public:
    explicit ForeignLoad(Communicator const& comm)
        : comm_(comm), start_(Clock::now()), machine_(machine_busy_seconds()), own_(own_total())
    {
    }
    double share() const
    {
        double const wall = seconds_since(start_);
        double const own = own_total() - own_;
        double const cores = static_cast<double>(std::thread::hardware_concurrency());
        double foreign = comm_.is_root() ? machine_busy_seconds() - machine_ - own : 0;
        comm_.broadcast(&foreign, sizeof foreign, 0);
        return std::max(0.0, foreign / (wall * cores));
    }

  private:
    double own_total() const
    {
        double own = process_cpu_seconds();
        comm_.allreduce_sum(&own, 1);
        return own;
    }
    Communicator const& comm_;
    Clock::time_point start_;
    double machine_;
    double own_;
};

//! Run `count` steps on `trainer` from global batch `*next`; returns seconds.
double run_steps(calo::train::GanTrainer& trainer, calo::train::ShowerDataset const& data,
                 calo::train::GradientSynchronization& sync, std::int64_t count, std::int64_t* next,
                 std::int64_t* step)
{
    auto const start = Clock::now();
    auto const batches = trainer.batches_per_epoch();
    auto const batch_size = trainer.config().train.batch_size;
    for (std::int64_t i = 0; i < count; ++i, ++*next, ++*step)
    {
        auto const order = data.epoch_order(*next / batches);
        auto const real = calo::train::to_tensors(data.load(trainer.shard_events(order, *next % batches)),
                                                  torch::kCPU);
        bool const distributed = sync.world_size() > 1;
        if (distributed)
            sync.any(false);  // GanTrainer::run's empty-shard agreement
        trainer.train_step(real, *step, static_cast<std::int64_t>(sync.rank()) * batch_size);
        if (distributed)
            sync.any(false);  // and its stop agreement
    }
    return seconds_since(start);
}

//! Ring allreduce of n bytes over p ranks (Patarasuk & Yuan 2009): 2(p-1)
//! steps of latency alpha, each moving n/p bytes at beta seconds per byte.
double ring_seconds(int p, double bytes, double alpha, double beta)
{
    return 2.0 * (p - 1) * alpha + 2.0 * (p - 1) / p * bytes * beta;
}

int run(Options const& options)
{
    auto& comm = Communicator::world();
    std::string const& model = options.model;
    int const batch = options.batch;
    int const warmup = options.warmup;
    int const steps = options.steps;
    int const rounds = options.rounds;
    int const events = options.events;
    double const fusion_mb = options.fusion_mb;
    bool const overlap = !options.no_overlap;
    std::string const& out = options.out;
    int const ranks = comm.size();
    CALO_VALIDATE_USAGE(batch > 0 && steps > 0 && rounds > 0 && warmup >= 0, "--batch, --steps, --rounds > 0");
    CALO_VALIDATE_USAGE(events >= batch * ranks, "--events must hold one global batch");

    torch::set_num_threads(1);  // one thread per rank: weak scaling over cores
    at::set_num_interop_threads(1);

    // The data, written once by rank 0 into a folder all ranks see.
    std::string folder;
    if (comm.is_root())
    {
        folder = (fs::temp_directory_path() / ("bench_scaling_" + std::to_string(::getpid()))).string();
        fs::create_directories(folder);
        calo::bench::write_simulated_showers(folder + "/showers.h5", model, events, 7, R"({"tool":"bench_scaling"})");
    }
    folder = broadcast_string(comm, folder);
    comm.barrier();
    auto config = model == "a" ? calo::nn::preset_a() : calo::nn::preset_b();
    config.train.batch_size = batch;
    calo::train::ShowerDataset::Options data_options;
    data_options.test_fraction = 0;
    calo::train::ShowerDataset const data(calo::io::DatasetReader({folder + "/showers.h5"}), config, data_options);

    auto const allreduce = time_allreduce(comm);
    double any_seconds = 0;
    {
        comm.barrier();
        auto const start = Clock::now();
        for (int r = 0; r < 1000; ++r)
            comm.any(false);
        any_seconds = max_over_ranks(comm, seconds_since(start) / 1000);
    }

    // Trainers are built once; their set-up is not timed.
    // No run folder: only train_step is used, nothing is written.
    calo::train::GanTrainerOptions base;
    base.progress = false;
    calo::train::DataParallelOptions dp_options;
    dp_options.fusion_mb = fusion_mb;
    dp_options.overlap = overlap;
    calo::train::DataParallel parallel(comm, dp_options);
    calo::train::GanTrainer dp_trainer(config, data, base, &parallel);
    parallel.attach(dp_trainer);
    // Every rank has a one-rank trainer: the solo runs go round the ranks
    // (and so the cores), so that a noisier core does not bias the baseline.
    calo::train::LocalSynchronization local;
    calo::train::GanTrainer solo(config, data, base, &local);

    std::int64_t solo_next = 0, solo_step = 0, dp_next = 0, dp_step = 0;
    double solo_total = 0, dp_total = 0, comm_total = 0, agree_total = 0;
    std::vector<nlohmann::json> round_records;
    auto measure_solo = [&](int solo_rank, double* foreign) {
        double seconds = 0;
        bool const mine = comm.rank() == solo_rank;
        if (mine)
            run_steps(solo, data, local, warmup, &solo_next, &solo_step);
        sleep_until_all_arrive(comm);
        ForeignLoad const load(comm);
        if (mine)
            seconds = run_steps(solo, data, local, steps, &solo_next, &solo_step);
        sleep_until_all_arrive(comm);
        comm.broadcast(&seconds, sizeof seconds, solo_rank);
        *foreign = load.share();
        return seconds;
    };
    auto measure_dp = [&](double* comm_seconds, double* agree_seconds, double* foreign) {
        run_steps(dp_trainer, data, parallel, warmup, &dp_next, &dp_step);
        comm.barrier();
        ForeignLoad const load(comm);
        auto const before = parallel.statistics().seconds;
        auto const agree_before = parallel.agreement_seconds();
        double const seconds = run_steps(dp_trainer, data, parallel, steps, &dp_next, &dp_step);
        *comm_seconds = max_over_ranks(comm, parallel.statistics().seconds - before);
        *agree_seconds = max_over_ranks(comm, parallel.agreement_seconds() - agree_before);
        auto const slowest = max_over_ranks(comm, seconds);
        *foreign = load.share();
        return slowest;
    };
    // Rounds where other processes took more than this share of the cores
    // are reported but left out of the summary.
    double const max_foreign = options.max_foreign_load;
    int clean_rounds = 0;
    std::vector<double> solo_by_rank(ranks, 0.0);  // seconds of clean solo rounds per rank
    std::vector<int> solo_rounds_by_rank(ranks, 0);
    for (int round = 0; round < rounds; ++round)
    {
        double solo_seconds = 0, dp_seconds = 0, comm_seconds = 0, agree_seconds = 0, solo_foreign = 0,
               dp_foreign = 0;
        int const solo_rank = (round / 2) % ranks;  // each rank both before and after a parallel run
        if (round % 2 == 0)
        {
            solo_seconds = measure_solo(solo_rank, &solo_foreign);
            dp_seconds = measure_dp(&comm_seconds, &agree_seconds, &dp_foreign);
        }
        else
        {
            dp_seconds = measure_dp(&comm_seconds, &agree_seconds, &dp_foreign);
            solo_seconds = measure_solo(solo_rank, &solo_foreign);
        }
        bool const clean = solo_foreign <= max_foreign && dp_foreign <= max_foreign;
        if (clean)
        {
            ++clean_rounds;
            solo_by_rank[solo_rank] += solo_seconds;
            ++solo_rounds_by_rank[solo_rank];
            solo_total += solo_seconds;
            dp_total += dp_seconds;
            comm_total += comm_seconds;
            agree_total += agree_seconds;
        }
        round_records.push_back({{"solo_rank", solo_rank},
                                 {"solo_step_s", solo_seconds / steps},
                                 {"parallel_step_s", dp_seconds / steps},
                                 {"efficiency", solo_seconds / dp_seconds},
                                 {"communication_share", (comm_seconds + agree_seconds) / dp_seconds},
                                 {"foreign_load_solo", solo_foreign},
                                 {"foreign_load_parallel", dp_foreign},
                                 {"clean", clean}});
        if (comm.is_root())
            std::fprintf(stderr,
                         "round %d: solo (rank %d) %.3f s/step, %d ranks %.3f s/step, efficiency %.4f, comm %.2f%%, "
                         "other processes %.0f%%/%.0f%% of the cores%s\n",
                         round + 1, solo_rank, solo_seconds / steps, ranks, dp_seconds / steps, solo_seconds / dp_seconds,
                         100 * (comm_seconds + agree_seconds) / dp_seconds, 100 * solo_foreign, 100 * dp_foreign,
                         clean ? "" : " (disturbed: left out)");
    }
    CALO_VALIDATE(clean_rounds > 0, "every round was disturbed by other processes (more than "
                                        + std::to_string(max_foreign) + " of the cores) — run again on a quiet "
                                        "machine or raise --max-foreign-load");

    auto const stats = parallel.statistics();
    // Other processes on a shared machine disturb single rounds: the median
    // round is reported next to the totals.
    auto median_of = [&](char const* key) {
        std::vector<double> values;
        for (auto const& r : round_records)
            if (r.at("clean").get<bool>())
                values.push_back(r.at(key).get<double>());
        std::sort(values.begin(), values.end());
        auto const n = values.size();
        return n % 2 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    };
    double const solo_throughput = batch * steps * clean_rounds / solo_total;
    double const dp_throughput = static_cast<double>(ranks) * batch * steps * clean_rounds / dp_total;
    double const efficiency = dp_throughput / (ranks * solo_throughput);
    // Synchronous steps go at the pace of the slowest rank: on a machine
    // whose cores differ in speed (a VM's vCPUs), efficiency against the
    // slowest core's solo speed isolates the cost of synchronisation.
    nlohmann::json solo_step_by_rank = nlohmann::json::array();
    double slowest_solo_step = 0;
    for (int r = 0; r < ranks; ++r)
    {
        double const step_s = solo_rounds_by_rank[r] ? solo_by_rank[r] / (steps * solo_rounds_by_rank[r]) : 0.0;
        solo_step_by_rank.push_back(step_s);
        slowest_solo_step = std::max(slowest_solo_step, step_s);
    }
    double const dp_step_s = dp_total / (steps * clean_rounds);
    double const comm_per_step = (comm_total + agree_total) / (steps * clean_rounds);
    double const compute_per_step = dp_total / (steps * clean_rounds) - comm_per_step;

    // Latency and bandwidth: with 2 ranks a ring allreduce is 2 steps of
    // latency alpha and moves n bytes once (2(p-1)/p = 1).
    double const t_small = allreduce.front().seconds;
    auto const& big = allreduce.back();
    auto const& mid = allreduce[allreduce.size() - 2];
    double const alpha = t_small / 2;
    double const beta = (big.seconds - mid.seconds) / static_cast<double>(big.bytes - mid.bytes);

    std::int64_t d_params = 0, g_params = 0;
    for (auto const& p : dp_trainer.discriminator()->parameters())
        d_params += p.numel();
    for (auto const& p : dp_trainer.generator()->parameters())
        g_params += p.numel();
    double const d_bytes = 4.0 * d_params, g_bytes = 4.0 * g_params;
    auto comm_model = [&](int p, double a, double b) {
        // Per batch: 2 D and 2 G gradient allreduces, and 2 one-integer
        // agreements (recursive doubling: log2 p exchanges of latency a).
        return 2 * ring_seconds(p, d_bytes, a, b) + 2 * ring_seconds(p, g_bytes, a, b)
               + 2 * std::log2(static_cast<double>(p)) * 2 * a;
    };
    // A reference interconnect for comparison: 100 Gb/s (Omni-Path / EDR
    // InfiniBand), 10 GB/s achieved, 2 us per message step.
    double const net_alpha = 2e-6, net_beta = 1.0 / 10e9;
    nlohmann::json projections = nlohmann::json::array();
    for (int p : {2, 16, 64, 256})
    {
        double const measured = comm_model(p, alpha, beta);
        double const network = comm_model(p, net_alpha, net_beta);
        projections.push_back({{"ranks", p},
                               {"comm_s_measured", measured},
                               {"efficiency_measured", compute_per_step / (compute_per_step + measured)},
                               {"comm_s_network", network},
                               {"efficiency_network", compute_per_step / (compute_per_step + network)},
                               {"efficiency_network_compute_div_20",
                                compute_per_step / 20 / (compute_per_step / 20 + network)}});
    }

    nlohmann::json allreduce_json = nlohmann::json::array();
    for (auto const& t : allreduce)
        allreduce_json.push_back({{"bytes", t.bytes}, {"seconds", t.seconds}});
    nlohmann::json const result = {
        {"model", model},
        {"ranks", ranks},
        {"threads_per_rank", 1},
        {"batch_per_rank", batch},
        {"steps_per_round", steps},
        {"rounds", rounds},
        {"clean_rounds", clean_rounds},
        {"max_foreign_load", max_foreign},
        {"fusion_mb", fusion_mb},
        {"overlap", overlap},
        {"fusion_buffers", parallel.bucket_count()},
        {"solo_samples_per_s", solo_throughput},
        {"parallel_samples_per_s", dp_throughput},
        {"efficiency", efficiency},
        {"efficiency_median_round", median_of("efficiency")},
        {"solo_step_s_by_rank", solo_step_by_rank},
        {"parallel_step_s", dp_step_s},
        {"efficiency_vs_slowest_core", slowest_solo_step / dp_step_s},
        {"communication_share", comm_per_step / (dp_total / (steps * clean_rounds))},
        {"communication_share_median_round", median_of("communication_share")},
        {"communication_s_per_step", comm_per_step},
        {"agreement_s_per_step", agree_total / (steps * clean_rounds)},
        {"compute_s_per_step", compute_per_step},
        {"allreduce_calls_per_step", static_cast<double>(stats.allreduce_calls) / dp_step},
        {"overlapped_calls_per_step", static_cast<double>(stats.overlapped_calls) / dp_step},
        {"gradient_bytes_per_step", stats.bytes / dp_step},
        {"parameters", {{"discriminator", d_params}, {"generator", g_params}}},
        {"allreduce", allreduce_json},
        {"any_latency_s", any_seconds},
        {"alpha_s", alpha},
        {"beta_s_per_byte", beta},
        {"bandwidth_GB_per_s", 1e-9 / beta},
        {"projection", projections},
        {"rounds_detail", round_records}};
    if (comm.is_root())
    {
        std::cout << result.dump(2) << '\n';
        if (!out.empty())
            std::ofstream(out) << result.dump(2) << '\n';
        fs::remove_all(folder);
    }
    parallel.finish();
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    // Parsed before MPI starts: a usage error ends every rank cleanly.
    CLI::App app("Weak scaling of data-parallel 3DGAN training over MPI (run under mpirun: bench/run_scaling.sh)",
                 "bench_scaling");
    Options options;
    app.add_option("--model", options.model, "Model a or b")->check(CLI::IsMember({"a", "b"}))->capture_default_str();
    app.add_option("--batch", options.batch, "Events per rank and step")->capture_default_str();
    app.add_option("--warmup", options.warmup, "Untimed steps before each measurement")->capture_default_str();
    app.add_option("--steps", options.steps, "Timed steps per measurement")->capture_default_str();
    app.add_option("--rounds", options.rounds, "Rounds of solo and data-parallel measurements")->capture_default_str();
    app.add_option("--events", options.events, "Simulated showers (at least one global batch)")->capture_default_str();
    app.add_option("--fusion-mb", options.fusion_mb, "Gradient fusion buffer [MB]")->capture_default_str();
    app.add_flag("--no-overlap", options.no_overlap, "Reduce gradients only after backward");
    app.add_option("--max-foreign-load", options.max_foreign_load,
                   "Leave out rounds in which other processes used more than this share of the cores")
        ->capture_default_str();
    app.add_option("--out", options.out, "Also write the JSON result to this file");
    if (auto const exit_code = calo::bench::parse_command_line(app, argc, argv))
        return *exit_code;
    try
    {
        int const code = run(options);
        Communicator::finalize();
        return code;
    }
    catch (std::exception const& e)
    {
        Communicator::world().abort(std::string("bench_scaling: ") + e.what(), 1);
    }
}
