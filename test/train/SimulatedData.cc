#include "SimulatedData.hh"

#include <cmath>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/io/EventBatch.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"

namespace calo::test
{
void write_simulated_dataset(std::string const& path, io::Layout layout, int events, double energy_lo_gev,
                             double energy_hi_gev, unsigned long long seed)
{
    mc::ShowerSimulator const simulator;
    io::EventBatch batch;
    batch.layout = layout;
    batch.shape = io::default_shape(layout);
    batch.cells.assign(static_cast<std::size_t>(events) * batch.shape.size(), 0.0f);
    double const to_file = 1.0 / io::cell_unit_gev(layout);
    for (int i = 0; i < events; ++i)
    {
        Rng rng(derive_seed(seed, static_cast<std::uint64_t>(i)));
        mc::Primary primary{energy_lo_gev + (energy_hi_gev - energy_lo_gev) * rng.uniform(), M_PI / 2,
                            mc::Particle::electron};
        if (layout == io::Layout::variable_angle)
            primary.theta_rad = (60.0 + 60.0 * rng.uniform()) * M_PI / 180.0;
        float* image = batch.image(i);
        simulator.simulate(primary, rng, batch.shape, image);
        for (std::size_t k = 0; k < batch.shape.size(); ++k)
            image[k] = static_cast<float>(image[k] * to_file);
        batch.energy_gev.push_back(static_cast<float>(primary.energy_gev));
        if (layout == io::Layout::variable_angle)
            batch.theta_rad.push_back(static_cast<float>(primary.theta_rad));
    }
    io::DatasetWriter writer(path, layout, batch.shape, "{}", true);
    writer.append(batch);
    writer.commit();
}
}  // namespace calo::test
