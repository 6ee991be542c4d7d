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
#include <map>
#include <string>

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
std::map<std::string, std::string> parse(int argc, char** argv)
{
    std::map<std::string, std::string> options{{"events", "5000"}, {"batch", "128"},  {"lambda", "8"},
                                               {"generations", "300"}, {"warmup", "20"}, {"threads", "1"}};
    for (int i = 1; i + 1 < argc; i += 2)
    {
        std::string const key = argv[i];
        CALO_VALIDATE_USAGE(key.rfind("--", 0) == 0, "unexpected argument '" + key + "'");
        options[key.substr(2)] = argv[i + 1];
    }
    CALO_VALIDATE_USAGE(options.count("data"), "--data DIR is required");
    return options;
}

int run(int argc, char** argv)
{
    using namespace calo;
    auto const opt = parse(argc, argv);
    auto const& comm = Communicator::world();
    at::set_num_threads(std::stoi(opt.at("threads")));
    io::DatasetReader const reader({opt.at("data")});
    auto const train = evolve::project_showers(reader, 0, std::stoul(opt.at("events")));
    evolve::EnergyRegressor const regressor(train.rows, train.cols, {});
    evolve::MinibatchSchedule const schedule(train.size(), std::stoul(opt.at("batch")), 1);
    evolve::PointMutation const mutation({0.1, evolve::MutationDistribution::uniform});
    evolve::RegressionFitness const fitness(regressor, train, schedule);
    evolve::ElitistStrategy::Options o;
    o.children = std::stoi(opt.at("lambda"));
    o.step_size.initial_power = 0.005;
    evolve::ElitistStrategy strategy(regressor.space(), mutation, fitness, comm, o);
    strategy.initialize();
    for (int g = 0; g < std::stoi(opt.at("warmup")); ++g)
        strategy.step();
    comm.barrier();
    auto const before = strategy.evaluations();
    auto const start = std::chrono::steady_clock::now();
    int const generations = std::stoi(opt.at("generations"));
    for (int g = 0; g < generations; ++g)
        strategy.step();
    comm.barrier();
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    auto const evaluations = strategy.evaluations() - before;
    if (comm.is_root())
        std::printf("{\"ranks\": %d, \"threads_per_rank\": %s, \"lambda\": %d, \"batch\": %s, \"generations\": %d, "
                    "\"fitness_evaluations\": %lld, \"seconds\": %.4f, \"evaluations_per_second\": %.1f, "
                    "\"ms_per_generation\": %.4f}\n",
                    comm.size(), opt.at("threads").c_str(), o.children, opt.at("batch").c_str(), generations,
                    static_cast<long long>(evaluations), seconds, evaluations / seconds,
                    1e3 * seconds / generations);
    return 0;
}
}  // namespace

int main(int argc, char** argv)
{
    try
    {
        int const rc = run(argc, argv);
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
