#include "calo3dgan/mc/SimulatedBatch.hh"

#include <cmath>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ParallelFor.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"

namespace calo::mc
{
event::EventBatch simulate_batch(ShowerSimulator const& simulator, RunRequest const& request, std::int64_t first,
                              std::int64_t count, int threads)
{
    auto const layout = request.layout;
    bool const with_angles = layout == event::Layout::variable_angle;
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = event::default_shape(layout);
    auto const n = static_cast<std::size_t>(count);
    batch.cells.assign(n * batch.shape.size(), 0.0f);
    batch.energy_gev.resize(n);
    batch.pdg_id.assign(n, static_cast<float>(pdg_id(request.particle)));
    if (with_angles)
    {
        batch.theta_rad.resize(n);
        batch.measured_angle_rad.resize(n);
    }
    double const to_file_units = 1.0 / event::cell_unit_gev(layout);
    parallel_for(0, count, threads, [&](std::int64_t i) {
        throw_if_interrupted();
        // One random stream per event, keyed by its index in the run.
        Rng rng(derive_seed(request.seed, static_cast<std::uint64_t>(first + i)));
        Primary primary;
        primary.particle = request.particle;
        primary.energy_gev = request.energy_gev.sample(rng);
        primary.theta_rad = request.theta_deg.sample(rng) * kPi / 180.0;
        float* image = batch.image(i);
        simulator.simulate(primary, rng, batch.shape, image);
        batch.energy_gev[i] = static_cast<float>(primary.energy_gev);
        if (with_angles)
        {
            batch.theta_rad[i] = static_cast<float>(primary.theta_rad);
            batch.measured_angle_rad[i] = static_cast<float>(geo::measured_angle(image, batch.shape));
        }
        if (to_file_units != 1.0)
        {
            for (std::size_t k = 0; k < batch.shape.size(); ++k)
                image[k] = static_cast<float>(image[k] * to_file_units);
        }
    });
    throw_if_interrupted();
    return batch;
}
}  // namespace calo::mc
