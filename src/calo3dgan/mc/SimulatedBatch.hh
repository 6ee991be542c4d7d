#pragma once
// Simulate a run of showers into a dataset batch, in parallel and
// reproducibly: the one loop behind `calo3dgan simulate`, test data and benchmarks.
#include <cstdint>

#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/event/EventBatch.hh"
#include "calo3dgan/mc/Primary.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"

namespace calo::mc
{
//! What to simulate: the physics inputs of a run.
struct RunRequest
{
    ValueSpec energy_gev = ValueSpec::range(2, 500);
    ValueSpec theta_deg = ValueSpec::fixed(90);
    Particle particle = Particle::electron;
    event::Layout layout = event::Layout::fixed_angle;
    std::uint64_t seed = 1;  //!< master seed of the run
};

/*!
 * Events [first, first + count) of a run. Event i draws its energy, angle
 * and shower from Rng(derive_seed(seed, i)) alone, so the result does not
 * depend on `threads` or on how the run is cut into batches. Cells are in the
 * layout's file units (GeV, or GeV x 50 for layout b); layout b also gets
 * theta and the measured angle mtheta. Throws calo::Interrupted on Ctrl-C.
 */
event::EventBatch simulate_batch(ShowerSimulator const& simulator, RunRequest const& request, std::int64_t first,
                              std::int64_t count, int threads = 0);
}  // namespace calo::mc
