#pragma once
// Bins of the incident conditions (energy, angle) in which reference and
// candidate are compared (docs/validation.md, "Bins of the conditions").
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace calo::physval
{
struct ConditionBin
{
    std::string label;          //!< "100-150 GeV", "60-80 deg"
    std::string kind;           //!< "energy" or "theta"
    double lo = 0, hi = 0;      //!< [lo, hi) in GeV or degrees; the last bin includes hi
    bool closed_above = false;  //!< include hi (the last bin of its kind)

    bool contains(double value) const { return value >= lo && (value < hi || (closed_above && value <= hi)); }
};

/*!
 * Energy bins for reference energies `energy_gev`:
 * - explicit `edges` (GeV, increasing) when given;
 * - else, when the energies take at most 12 distinct values (a scan at fixed
 *   energies), one bin of ±5 GeV around each, as the 3DGAN analysis does;
 * - else `count` equal-width bins over [min, max] (0: one per 400 reference
 *   events, between 1 and 10).
 * Throws InputError for non-increasing or non-positive edges.
 */
std::vector<ConditionBin> make_energy_bins(std::vector<float> const& energy_gev, std::vector<double> const& edges,
                                           int count);

//! Angle bins [deg]: explicit edges, or `count` equal-width bins over the
//! reference's range (0: 3, as the 3DGAN analysis' 62/90/118 deg); none when
//! all angles agree within 1 deg.
std::vector<ConditionBin> make_theta_bins(std::vector<float> const& theta_deg, std::vector<double> const& edges,
                                          int count);
}  // namespace calo::physval
