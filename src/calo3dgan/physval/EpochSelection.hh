#pragma once
// 3DGAN best-epoch selection (docs/validation.md, "Best-epoch selection"):
// the lowest sampling-fraction error among the last epochs of a run.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::physval
{
struct EpochChoice
{
    std::int64_t epoch = 0;  //!< 1-based completed epoch
    //! The epoch's sampling_fraction_mre and sampling_fraction_mre_error
    //! (FigureOfMerit.hh, MeritResult).
    double sampling_fraction_mean_relative_error = 0;
    double sampling_fraction_mean_relative_error_uncertainty = 0;
    double figure_of_merit = 0;
    std::vector<std::int64_t> considered;  //!< the epochs compared
};

/*!
 * From a run's history.json records (each with "epoch" and, where training
 * validated, "validation": {"sampling_fraction_mre", ...}), pick the epoch
 * with the lowest sampling_fraction_mre among the last `last` validated
 * epochs (10 in the reference). Throws InputError when no record has a
 * validation entry.
 */
EpochChoice select_epoch(nlohmann::json const& history, int last = 10);
}  // namespace calo::physval
