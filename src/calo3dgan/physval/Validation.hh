#pragma once
// The whole comparison of a candidate against a reference sample: the numbers
// behind metrics.json and the report (schema "calo3dgan.validation/1").
#include <cstddef>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/physval/EventFeatures.hh"
#include "calo3dgan/physval/FigureOfMerit.hh"
#include "calo3dgan/physval/ShowerSample.hh"
#include "calo3dgan/physval/TwoSampleClassifier.hh"

namespace calo::physval
{
struct ValidationOptions
{
    FeatureOptions features;
    std::vector<double> energy_edges_gev;  //!< explicit energy bins; empty: automatic (make_energy_bins)
    int energy_bins = 0;                   //!< number of automatic equal-width bins (0: by sample size)
    std::vector<double> theta_edges_deg;   //!< explicit angle bins; empty: automatic
    int theta_bins = 0;
    MeritOptions merit;
    int histogram_bins = 50;
    int sampling_fraction_profile_bins = 40;  //!< bins of the sampling-fraction profile plot
    std::size_t spectrum_events = 2000;   //!< events used for the cell spectrum and sparsity
    bool feature_classifier = true;
    bool image_classifier = true;
    std::size_t classifier_events = 20000;  //!< per side, at most
    //! Memory for the image classifier's inputs per side [bytes]: caps its
    //! events (about 7,700 showers of 51x51x25 at the default 2 GB).
    std::size_t image_input_bytes = std::size_t(2) << 30;
    ClassifierOptions classifier;
    //! Fréchet and kernel physics distances on the high-level features.
    bool feature_distances = true;
    int fpd_points = 6;               //!< sample sizes of the FPD extrapolation to N = infinity
    int fpd_repeats = 3;              //!< random subsets per size
    int kpd_batches = 10;             //!< subsets averaged by the KPD
    std::size_t kpd_batch_size = 1000;  //!< events per side in each subset
};

//! Something that was left out of the comparison, and why.
struct SkippedItem
{
    std::string what, why;
};

/*!
 * Compare `candidate` with `reference` and return metrics.json: headline
 * numbers (auc_features, auc_images, sampling_fraction_mre, figure_of_merit),
 * per-bin results, separation powers, and the data of every plot. `skipped`
 * holds what the caller already left out (events outside a model's range).
 * `classifier` runs the classifier two-sample tests that `options` switches
 * on (classifier::two_sample_test); it may be empty when both are off.
 * Throws InputError when the samples cannot be compared (different shapes,
 * angles on one side only, no common energy bin).
 */
nlohmann::json validate_samples(ShowerSample const& reference, ShowerSample const& candidate,
                                ValidationOptions const& options, TwoSampleClassifier const& classifier,
                                std::vector<SkippedItem> skipped = {});

//! The figure of merit and sampling-fraction error alone (what training
//! records every few epochs), with the bins of `options`; the reference's
//! features (compute_features) are computed once by the caller.
MeritResult evaluate_candidate_merit(FeatureTable const& reference, ShowerSample const& candidate,
                                     ValidationOptions const& options);
}  // namespace calo::physval
