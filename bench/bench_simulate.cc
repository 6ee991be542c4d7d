// Single-thread throughput of the shower Monte Carlo (showers/s).
//
// One argument pair per case: primary energy [GeV] and transverse window
// (25: 25x25x25, 51: 51x51x25). Electrons at normal incidence, default
// (tuned) options, one fresh Rng per shower as in `calo3dgan simulate`.
//   build-*/bench/bench_simulate --benchmark_min_time=2
#include <benchmark/benchmark.h>

#include <cstdint>
#include <vector>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"

namespace
{
void simulate_showers(benchmark::State& state)
{
    double const energy_gev = static_cast<double>(state.range(0));
    int const width = static_cast<int>(state.range(1));
    calo::geo::ImageShape const window{width, width, 25};
    calo::mc::ShowerSimulator const simulator;
    calo::mc::Primary const primary{energy_gev, 1.5707963267948966, calo::mc::Particle::electron};
    std::vector<float> image(window.size());
    std::uint64_t event = 0;
    double visible = 0;
    for (auto _ : state)
    {
        calo::Rng rng(calo::derive_seed(2024, event++));
        visible += simulator.simulate(primary, rng, window, image.data());
        benchmark::DoNotOptimize(image.data());
    }
    benchmark::DoNotOptimize(visible);
    state.SetItemsProcessed(state.iterations());
    state.SetLabel("showers/s = items_per_second");
}
}  // namespace

BENCHMARK(simulate_showers)
    ->ArgNames({"E_GeV", "window"})
    ->ArgsProduct({{10, 100, 500}, {25, 51}})
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
