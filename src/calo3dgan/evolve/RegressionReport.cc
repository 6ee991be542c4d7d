#include "calo3dgan/evolve/RegressionReport.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
double mean_relative_error(std::vector<float> const& estimate_gev, std::vector<float> const& truth_gev)
{
    CALO_VALIDATE(estimate_gev.size() == truth_gev.size() && !truth_gev.empty(),
                  "relative error needs as many estimates as true energies");
    double sum = 0;
    for (std::size_t i = 0; i < truth_gev.size(); ++i)
        sum += std::abs(static_cast<double>(estimate_gev[i]) - truth_gev[i]) / truth_gev[i];
    return sum / static_cast<double>(truth_gev.size());
}

std::vector<EnergyBin> relative_error_per_bin(std::vector<float> const& estimate_gev,
                                              std::vector<float> const& truth_gev, int bins)
{
    CALO_VALIDATE(bins >= 1, "the number of energy bins must be at least 1");
    CALO_VALIDATE(estimate_gev.size() == truth_gev.size() && !truth_gev.empty(),
                  "relative error needs as many estimates as true energies");
    auto const [lo, hi] = std::minmax_element(truth_gev.begin(), truth_gev.end());
    double const low = *lo;
    double const width = std::max(static_cast<double>(*hi) - low, 1e-9) / bins;
    std::vector<EnergyBin> out(static_cast<std::size_t>(bins));
    for (int b = 0; b < bins; ++b)
    {
        out[b].low_gev = low + b * width;
        out[b].high_gev = low + (b + 1) * width;
    }
    for (std::size_t i = 0; i < truth_gev.size(); ++i)
    {
        auto const b = std::min(bins - 1, static_cast<int>((truth_gev[i] - low) / width));
        auto& bin = out[static_cast<std::size_t>(b)];
        ++bin.events;
        bin.mean_true_gev += truth_gev[i];
        bin.mean_estimate_gev += estimate_gev[i];
        bin.relative_error += std::abs(static_cast<double>(estimate_gev[i]) - truth_gev[i]) / truth_gev[i];
    }
    for (auto& bin : out)
    {
        double const n = bin.events > 0 ? static_cast<double>(bin.events) : std::nan("");
        bin.mean_true_gev /= n;
        bin.mean_estimate_gev /= n;
        bin.relative_error /= n;
    }
    return out;
}

nlohmann::json regression_report(std::vector<float> const& estimate_gev, std::vector<float> const& truth_gev, int bins)
{
    auto per_bin = nlohmann::json::array();
    for (auto const& bin : relative_error_per_bin(estimate_gev, truth_gev, bins))
        per_bin.push_back({{"low_gev", bin.low_gev},
                           {"high_gev", bin.high_gev},
                           {"events", bin.events},
                           {"mean_true_gev", bin.mean_true_gev},
                           {"mean_estimate_gev", bin.mean_estimate_gev},
                           {"relative_error", bin.relative_error}});
    return {{"test_relative_error", mean_relative_error(estimate_gev, truth_gev)},
            {"energy_bins", std::move(per_bin)},
            {"estimate", {{"true_gev", truth_gev}, {"estimated_gev", estimate_gev}}}};
}
}  // namespace calo::evolve
