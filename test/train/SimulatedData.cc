#include "SimulatedData.hh"

#include <cmath>

#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/mc/SimulatedBatch.hh"

namespace calo::test
{
void write_simulated_dataset(std::string const& path, event::Layout layout, int events, double energy_lo_gev,
                             double energy_hi_gev, unsigned long long seed)
{
    mc::RunRequest request;
    request.energy_gev = mc::ValueSpec::range(energy_lo_gev, energy_hi_gev);
    if (layout == event::Layout::variable_angle)
        request.theta_deg = mc::ValueSpec::range(60, 120);
    request.layout = layout;
    request.seed = seed;
    auto const batch = mc::simulate_batch(mc::ShowerSimulator{}, request, 0, events);
    io::DatasetWriter writer(path, layout, batch.shape, "{}", true);
    writer.append(batch);
    writer.commit();
}
}  // namespace calo::test
