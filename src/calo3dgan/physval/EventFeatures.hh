#pragma once
// High-level features of every shower of a sample: what is histogrammed,
// compared and fed to the feature classifier (docs/validation.md,
// "Observables").
#include <cstddef>
#include <string>
#include <vector>

#include "calo3dgan/physval/ShowerSample.hh"

namespace calo::physval
{
struct FeatureOptions
{
    double hit_threshold_gev = 3e-4;  //!< "hits": cells above this (3DGAN plot default)
    //! Per-layer sparsity counts cells above this (the challenge's readout
    //! threshold, 15.15 keV).
    double readout_threshold_gev = 15.15e-6;
    int threads = 0;  //!< 0: all cores
};

struct FeatureInfo
{
    std::string name;   //!< key in metrics.json, e.g. "moment1_z", "layer_energy_7"
    std::string label;  //!< axis label with unit
    std::string group;  //!< energy, moments, maximum, hits, layers
    bool integer_valued = false;  //!< histogram with integer-aligned bins
};

//! One column of values per feature, one value per event.
struct FeatureTable
{
    std::vector<FeatureInfo> info;
    std::vector<std::vector<float>> columns;
    //! Per event the projections P_x, P_y, P_z [GeV], nx + ny + nz values.
    std::vector<float> projections;
    geo::ImageShape shape;
    std::size_t num_events = 0;
    std::vector<float> energy_gev;  //!< incident conditions, copied from the sample
    std::vector<float> theta_deg;   //!< empty without angles

    //! Index of a feature by name, or -1.
    int find(std::string const& name) const;
    std::vector<float> const& column(std::string const& name) const;
    float const* projection(std::size_t event) const
    {
        return projections.data() + event * (shape.nx + shape.ny + shape.nz);
    }
};

/*!
 * Per event, from the cells in GeV:
 * - energy: sampling_fraction ΣE/E_p, total_energy_gev, log10_incident_energy,
 *   and with angles theta_deg and measured_angle_deg (docs/preprocessing.md,
 *   "Measured angle");
 * - moments: moment1_{x,y,z}, moment2_{x,y,z} (axis_moments, cell-index units);
 * - maximum: max_position_{x,y,z} (indices of the hottest cell);
 * - hits: hits above hit_threshold_gev, energy_fraction_{first,second,last}_third
 *   of the layers (layers [0, nz/3), [nz/3, 2nz/3), [2nz/3, nz));
 * - layers, for each layer k: layer_energy_k [GeV], layer_centre_{x,y}_k and
 *   layer_width_{x,y}_k (barycentre and standard deviation in cell-index
 *   units, 0 for an empty layer, as the challenge does), layer_sparsity_k
 *   (fraction of the layer's cells above readout_threshold_gev).
 */
FeatureTable compute_features(ShowerSample const& sample, FeatureOptions const& options);

//! Cell-level statistics of the first `max_events` events.
struct CellStatistics
{
    std::vector<double> spectrum_edges_gev;  //!< log-spaced, 1e-12 .. 10 GeV, 100 bins
    std::vector<double> spectrum;            //!< counts of cells per bin
    std::vector<int> sparsity_log10_thresholds;  //!< -13 .. 0
    std::vector<double> sparsity;                //!< mean fraction of cells above 10^t GeV
};
CellStatistics cell_statistics(ShowerSample const& sample, std::size_t max_events);
}  // namespace calo::physval
