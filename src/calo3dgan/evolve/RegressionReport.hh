#pragma once
// Accuracy of an energy regression on the test set: the mean relative error
// overall and per energy bin (Figure 3, right, of Carminati et al. 2019).
#include <cstddef>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::evolve
{
struct EnergyBin
{
    double low_gev = 0;
    double high_gev = 0;  //!< the last bin includes its upper edge
    std::size_t events = 0;
    double mean_true_gev = 0;
    double mean_estimate_gev = 0;
    double relative_error = 0;  //!< mean |estimate - truth| / truth of the bin's events
};

//! mean(|estimate - truth| / truth) over all events.
double mean_relative_error(std::vector<float> const& estimate_gev, std::vector<float> const& truth_gev);

//! `bins` equal-width bins from the lowest to the highest true energy.
//! Empty bins are kept (events 0, errors NaN) so that methods line up.
std::vector<EnergyBin> relative_error_per_bin(std::vector<float> const& estimate_gev,
                                              std::vector<float> const& truth_gev, int bins);

//! {"test_relative_error", "energy_bins": [...], "estimate": {"true_gev", "estimated_gev"}}.
nlohmann::json regression_report(std::vector<float> const& estimate_gev, std::vector<float> const& truth_gev, int bins);
}  // namespace calo::evolve
