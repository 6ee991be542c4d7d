#include "CandidateShowers.hh"

#include <algorithm>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"

namespace calo::app
{
physval::ShowerSample generate_like(infer::ShowerGenerator& generator, physval::ShowerSample const& reference,
                                    std::uint64_t seed, std::string label, bool progress)
{
    bool const with_angle = generator.config().family == nn::ModelFamily::b;
    CALO_VALIDATE(!with_angle || reference.has_theta(),
                  "model " + generator.config().name + " needs polar angles, but the reference has none — "
                      "compare it with variable-angle data");
    std::size_t const n = reference.size();
    std::size_t const chunk = 256;
    ProgressBar bar(static_cast<std::int64_t>(n), {"generating", "showers", progress});
    physval::ShowerSample out;
    for (std::size_t first = 0; first < n; first += chunk)
    {
        throw_if_interrupted();
        std::size_t const count = std::min(chunk, n - first);
        // sample_inputs draws, per event in order, its energy, its angle, then
        // the noise: hand back the reference's conditions in that order.
        std::size_t next_energy = first, next_theta = first;
        auto const inputs = generator.sample_inputs(
            seed, first, count, [&](Rng&) { return static_cast<double>(reference.energy_gev[next_energy++]); },
            [&](Rng&) { return static_cast<double>(reference.theta_rad[next_theta++]); });
        auto const part = physval::sample_from_batch(generator.generate(inputs), label, "");
        if (first == 0)
        {
            out = part;
            out.cells_gev.reserve(n * part.shape.size());
        }
        else
        {
            out.cells_gev.insert(out.cells_gev.end(), part.cells_gev.begin(), part.cells_gev.end());
            out.energy_gev.insert(out.energy_gev.end(), part.energy_gev.begin(), part.energy_gev.end());
            out.theta_rad.insert(out.theta_rad.end(), part.theta_rad.begin(), part.theta_rad.end());
        }
        bar.update(static_cast<std::int64_t>(first + count));
    }
    bar.finish();
    // Model A's reference may carry angles (a variable-angle file at 90 deg):
    // both sides must agree on having them.
    if (!with_angle && reference.has_theta())
        out.theta_rad = reference.theta_rad;
    return out;
}

std::vector<std::size_t> events_in_trained_range(infer::ShowerGenerator const& generator,
                                                 physval::ShowerSample const& reference, std::size_t* outside)
{
    auto const [e_lo, e_hi] = generator.trained_energy_range_gev();
    auto const [t_lo, t_hi] = generator.trained_angle_range_rad();
    bool const with_angle = generator.config().family == nn::ModelFamily::b;
    std::vector<std::size_t> keep;
    for (std::size_t i = 0; i < reference.size(); ++i)
    {
        bool inside = reference.energy_gev[i] >= e_lo && reference.energy_gev[i] <= e_hi;
        if (with_angle && reference.has_theta())
            inside = inside && reference.theta_rad[i] >= t_lo && reference.theta_rad[i] <= t_hi;
        if (inside)
            keep.push_back(i);
    }
    if (outside)
        *outside = reference.size() - keep.size();
    return keep;
}
}  // namespace calo::app
