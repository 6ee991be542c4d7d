#pragma once
// Histograms of one feature for reference and candidate with the same bins,
// and their separation power (docs/validation.md, "Separation power").
#include <vector>

namespace calo::physval
{
struct HistogramPair
{
    std::vector<double> edges;  //!< bins + 1 edges, from the reference
    std::vector<double> reference, candidate;  //!< counts; values outside are clamped into the end bins
    double separation_power = 0;
};

/*!
 * Bins from the reference: `bins` equal-width bins between its 0.1 % and
 * 99.9 % quantiles (integer-aligned, at most `bins`, for integer features;
 * one bin around a constant). Out-of-range values of either side are counted
 * in the first or last bin, so tails are compared rather than dropped.
 */
HistogramPair histogram_pair(std::vector<float> const& reference, std::vector<float> const& candidate, int bins,
                             bool integer_valued);

//! Triangular discrimination ½ Σ (p_i - q_i)² / (p_i + q_i) of two histograms
//! normalised to unit sum: 0 for identical shapes, 1 for disjoint ones.
double separation_power(std::vector<double> const& p, std::vector<double> const& q);
}  // namespace calo::physval
