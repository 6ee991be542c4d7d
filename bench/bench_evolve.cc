// Fitness evaluations per second of the distributed (1+lambda) GA on the
// regression task of Carminati et al. 2019 (docs/benchmarks.md, "Evolutionary training").
// Run alone or under mpirun (bench/run_evolve.sh):
//
//   [mpirun -np N] bench_evolve --data DIR [--events 5000] [--batch 128]
//       [--lambda 8] [--generations 300] [--warmup 20] [--threads 1]
//
// Times ElitistStrategy::step() alone: no loss history, no checkpoints.
#include <ATen/Parallel.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "BenchSupport.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/evolve/ElitistStrategy.hh"
#include "calo3dgan/evolve/EnergyRegressor.hh"
#include "calo3dgan/evolve/MinibatchSchedule.hh"
#include "calo3dgan/evolve/PointMutation.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"
#include "calo3dgan/evolve/RegressionFitness.hh"
#include "calo3dgan/io/DatasetReader.hh"

namespace
{
struct Options
{
    std::string data;  //!< dataset folder or file (calo3dgan simulate)
    std::size_t events = 5000;  //!< training showers
    std::size_t batch = 128;  //!< showers per fitness evaluation
    int lambda = 8;  //!< children per generation
    int generations = 300;  //!< timed generations
    int warmup = 20;  //!< untimed generations
    int threads = 1;  //!< torch threads per rank
};

int run(Options const& opt)
{
    using namespace calo;
    auto const& comm = Communicator::world();
    at::set_num_threads(opt.threads);
    io::DatasetReader const reader({opt.data});
    auto const train = evolve::project_showers(reader, 0, opt.events);
    evolve::EnergyRegressor const regressor(train.rows, train.cols, {});
    evolve::MinibatchSchedule const schedule(train.size(), opt.batch, 1);
    evolve::PointMutation const mutation({0.1, evolve::MutationDistribution::uniform});
    evolve::RegressionFitness const fitness(regressor, train, schedule);
    evolve::ElitistStrategy::Options o;
    o.children = opt.lambda;
    o.step_size.initial_power = 0.005;
    evolve::ElitistStrategy strategy(regressor.space(), mutation, fitness, comm, o);
    strategy.initialize();
    for (int g = 0; g < opt.warmup; ++g)
        strategy.step();
    comm.barrier();
    auto const before = strategy.evaluations();
    auto const start = std::chrono::steady_clock::now();
    int const generations = opt.generations;
    for (int g = 0; g < generations; ++g)
        strategy.step();
    comm.barrier();
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto const evaluations = strategy.evaluations() - before;
    if (comm.is_root())
        std::printf("{\"ranks\": %d, \"threads_per_rank\": %d, \"lambda\": %d, \"batch\": %zu, \"generations\": %d, "
                    "\"fitness_evaluations\": %lld, \"seconds\": %.4f, \"evaluations_per_second\": %.1f, "
                    "\"ms_per_generation\": %.4f}\n",
                    comm.size(), opt.threads, o.children, opt.batch, generations,
                    static_cast<long long>(evaluations), seconds, evaluations / seconds,
                    1e3 * seconds / generations);
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    CLI::App app("Fitness evaluations/s of the distributed (1+lambda) GA (alone or under mpirun: bench/run_evolve.sh)",
                 "bench_evolve");
    Options options;
    app.add_option("--data", options.data, "Showers from calo3dgan simulate")->required();
    app.add_option("--events", options.events, "Training showers")->capture_default_str();
    app.add_option("--batch", options.batch, "Showers per fitness evaluation")->capture_default_str();
    app.add_option("--lambda", options.lambda, "Children per generation")->capture_default_str();
    app.add_option("--generations", options.generations, "Timed generations")->capture_default_str();
    app.add_option("--warmup", options.warmup, "Untimed generations")->capture_default_str();
    app.add_option("--threads", options.threads, "Torch threads per rank")->capture_default_str();
    if (auto const exit_code = calo::bench::parse_command_line(app, argc, argv))
        return *exit_code;
    try
    {
        int const rc = run(options);
        calo::Communicator::finalize();
        return rc;
    }
    catch (std::exception const& e)
    {
        std::fprintf(stderr, "bench_evolve: error: %s\n", e.what());
        if (calo::Communicator::world().size() > 1)
            calo::Communicator::world().abort(e.what());
        return 1;
    }
}
