#pragma once
// 3DGAN best-epoch selection (spec 3dgan-reference §6.6, SelectEpoch.py):
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
    double sf_mre = 0;
    double sf_mre_error = 0;
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
