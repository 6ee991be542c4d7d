#pragma once
// Pass/fail checks of a generator against the physics targets a fast
// simulation is held to: the sampling fraction across energy (Figure 2 of
// Carminati et al. 2019) and the mean shower profiles (docs/validation.md,
// "Quality targets").
#include <array>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/physval/FigureOfMerit.hh"

namespace calo::physval
{
struct QualityTargets
{
    double sampling_fraction_mean = 0.03;  //!< mean |relative error| over energy bins, at most
    double sampling_fraction_bin = 0.05;   //!< |relative error| in every energy bin, at most
    double profile = 0.10;                 //!< |relative error| of a mean profile cell, at most
    double core_fraction = 0.95;           //!< profile cells checked: those holding this share of the energy
};

//! One mean profile (x, y or z) on the cells that hold most of the energy.
struct ProfileCheck
{
    std::vector<int> cells;          //!< the core cells, ascending
    double max_relative_error = 0;   //!< over the core cells
    int worst_cell = -1;
};

struct QualityCheck
{
    QualityTargets targets;
    double sampling_fraction_mean = 0;  //!< mean |relative error| over the used energy bins
    double sampling_fraction_max = 0;   //!< the largest of them
    std::string sampling_fraction_worst_bin;
    std::array<ProfileCheck, 3> profiles;  //!< x, y, z
    bool sampling_fraction_met = false;
    bool profiles_met = false;
    bool met() const { return sampling_fraction_met && profiles_met; }
};

/*!
 * The smallest set of cells whose summed mean energy reaches `fraction` of the
 * profile's total, taking the largest cells first (for a one-peaked profile,
 * the window around the peak). Returned ascending.
 */
std::vector<int> core_cells(std::vector<double> const& profile, double fraction);

/*!
 * Checks `merit`'s energy bins and the mean profiles (reference and candidate
 * per axis, x, y, z) against `targets`. Throws InputError when no energy bin
 * was used or the profiles differ in length.
 */
QualityCheck check_quality(MeritResult const& merit, std::array<std::vector<double>, 3> const& reference_profiles,
                           std::array<std::vector<double>, 3> const& candidate_profiles,
                           QualityTargets const& targets = {});

//! metrics.json's "quality" entry.
nlohmann::json to_json(QualityCheck const& check);
}  // namespace calo::physval
