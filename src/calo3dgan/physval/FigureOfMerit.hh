#pragma once
// The 3DGAN figure of merit and the sampling-fraction error, per condition
// bin (docs/validation.md, "Figures of merit").
#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "calo3dgan/physval/ConditionBins.hh"
#include "calo3dgan/physval/EventFeatures.hh"

namespace calo::physval
{
//! Terms of the figure of merit; total = moment + shape + sampling_fraction (+ angle).
struct MeritTerms
{
    double moment = 0;  //!< counted once (the original GANutils code adds it twice)
    double shape = 0;
    double sampling_fraction = 0;
    std::optional<double> angle;  //!< model B only
    double total() const { return moment + shape + sampling_fraction + angle.value_or(0.0); }
};

//! Means of one side within one bin.
struct BinSummary
{
    std::size_t events = 0;
    double sampling_fraction_mean = 0;
    double sampling_fraction_mean_uncertainty = 0;    //!< statistical error of that mean
    double sampling_fraction_standard_deviation = 0;  //!< of the events' sampling fractions
    std::array<double, 3> moment1{}, moment2{};    //!< mean moments along x, y, z
    std::array<std::vector<double>, 3> profile;    //!< mean projections along x, y, z [GeV]
    //! Mean |θ - θ_measured|/θ over the bin's events (model B), NaN without angles.
    double angle_error = 0;
};

struct BinComparison
{
    ConditionBin bin;
    BinSummary reference, candidate;
    MeritTerms terms;
    double sampling_fraction_relative_error = 0;  //!< (<SF>_cand - <SF>_ref) / <SF>_ref
    std::string skipped;           //!< why the bin was left out, empty if it was used
};

struct MeritOptions
{
    std::size_t min_events = 10;  //!< per side, or the bin is skipped
};

//! Everything the comparison of shower shapes produces.
struct MeritResult
{
    std::vector<BinComparison> bins;  //!< energy bins, then angle bins
    //! Averages over the used energy bins (the 3DGAN convention; angle bins
    //! are reported but not averaged, as the reference averages over energy).
    MeritTerms average;
    double figure_of_merit = 0;
    //! Mean over energy bins of |<SF>_ref - <SF>_cand| / <SF>_ref
    //! (metrics.json: sampling_fraction_mre), and its statistical error
    //! (SelectEpoch.py's error bar; sampling_fraction_mre_error).
    double sampling_fraction_mean_relative_error = 0;
    double sampling_fraction_mean_relative_error_uncertainty = 0;
    std::size_t used_energy_bins = 0;
};

/*!
 * Compare reference and candidate in each bin:
 * - moment = (1/2) Σ_{k=1,2} (|δx_k| + |δy_k| + |δz_k|)/3, δ = (<M_k>_ref - <M_k>_cand)/<M_k>_ref;
 * - shape = mean over axes of the mean over cells i with P̄_ref(i) > 0 of
 *   |P̄_ref(i) - P̄_cand(i)| / P̄_ref(i);
 * - sampling_fraction = |<SF>_ref - <SF>_cand| / <SF>_ref, of the bin means
 *   (unpaired, so it also works for two independent datasets);
 * - angle (with angles) = mean over candidate events of |θ - θ_meas|/θ, the
 *   candidate's conditioning angle against the angle measured on its image.
 * Bins with fewer than min_events events on either side are skipped. Throws
 * InputError when no energy bin can be used.
 */
MeritResult evaluate_merit(FeatureTable const& reference, FeatureTable const& candidate,
                           std::vector<ConditionBin> const& bins, MeritOptions const& options = {});
}  // namespace calo::physval
