#include "calo3dgan/physval/QualityTargets.hh"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
std::vector<int> core_cells(std::vector<double> const& profile, double fraction)
{
    std::vector<int> order(profile.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return profile[a] > profile[b]; });
    double const total = std::accumulate(profile.begin(), profile.end(), 0.0);
    std::vector<int> cells;
    double sum = 0;
    for (int i : order)
    {
        if (total <= 0 || sum >= fraction * total)
            break;
        cells.push_back(i);
        sum += profile[i];
    }
    std::sort(cells.begin(), cells.end());
    return cells;
}

QualityCheck check_quality(MeritResult const& merit, std::array<std::vector<double>, 3> const& reference_profiles,
                           std::array<std::vector<double>, 3> const& candidate_profiles, QualityTargets const& targets)
{
    QualityCheck check;
    check.targets = targets;
    std::size_t used = 0;
    for (auto const& bin : merit.bins)
    {
        if (bin.bin.kind != "energy" || !bin.skipped.empty())
            continue;
        double const error = std::abs(bin.sampling_fraction_relative_error);
        check.sampling_fraction_mean += error;
        if (error >= check.sampling_fraction_max)
        {
            check.sampling_fraction_max = error;
            check.sampling_fraction_worst_bin = bin.bin.label;
        }
        ++used;
    }
    CALO_VALIDATE(used > 0, "no energy bin had enough events on both sides for the quality check");
    check.sampling_fraction_mean /= static_cast<double>(used);
    check.sampling_fraction_met = check.sampling_fraction_mean <= targets.sampling_fraction_mean &&
                                  check.sampling_fraction_max <= targets.sampling_fraction_bin;

    check.profiles_met = true;
    for (std::size_t a = 0; a < 3; ++a)
    {
        auto const& ref = reference_profiles[a];
        auto const& cand = candidate_profiles[a];
        CALO_VALIDATE(ref.size() == cand.size(), "reference and candidate profiles differ in length");
        auto& p = check.profiles[a];
        p.cells = core_cells(ref, targets.core_fraction);
        for (int i : p.cells)
        {
            double const error = std::abs(cand[i] - ref[i]) / ref[i];
            if (error >= p.max_relative_error)
            {
                p.max_relative_error = error;
                p.worst_cell = i;
            }
        }
        check.profiles_met = check.profiles_met && p.max_relative_error <= targets.profile;
    }
    return check;
}

nlohmann::json to_json(QualityCheck const& check)
{
    nlohmann::json profiles;
    char const* axes[3] = {"x", "y", "z"};
    for (std::size_t a = 0; a < 3; ++a)
    {
        auto const& p = check.profiles[a];
        profiles[axes[a]] = {{"core_cells", p.cells.empty() ? nlohmann::json(nullptr)
                                                           : nlohmann::json({p.cells.front(), p.cells.back()})},
                             {"core_cell_count", p.cells.size()},
                             {"max_relative_error", p.max_relative_error},
                             {"worst_cell", p.worst_cell}};
    }
    return {{"targets",
             {{"sampling_fraction_mean_relative_error", check.targets.sampling_fraction_mean},
              {"sampling_fraction_bin_relative_error", check.targets.sampling_fraction_bin},
              {"profile_relative_error", check.targets.profile},
              {"profile_core_energy_fraction", check.targets.core_fraction}}},
            {"sampling_fraction",
             {{"mean_relative_error", check.sampling_fraction_mean},
              {"max_relative_error", check.sampling_fraction_max},
              {"worst_bin", check.sampling_fraction_worst_bin},
              {"met", check.sampling_fraction_met}}},
            {"profiles", profiles},
            {"profiles_met", check.profiles_met},
            {"met", check.met()}};
}

}  // namespace calo::physval
