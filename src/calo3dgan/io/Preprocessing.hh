#pragma once
// The 3DGAN input preprocessing of the two model families (docs/preprocessing.md).
#include <cstddef>
#include <limits>
#include <vector>

#include "calo3dgan/geo/ImageShape.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::io
{
//! Parameters of the 3DGAN preprocessing. Use the presets: model_a() follows
//! A-ref `EcalEnergyTrain.py::GetprocData`, model_b() B-ref
//! `AngleTrain3dGAN.py::GetDataAngle` (svalleco/3Dgan).
struct PreprocessOptions
{
    //! Cell scale applied after the unit conversion (model A 100, model B 1).
    double xscale = 100.0;
    //! Cells below this are zeroed, in the family's cell units: before xscale for
    //! the fixed-angle recipe (A: 1e-6 GeV), after it for the variable-angle one (B: 0).
    double threshold = 1e-6;
    //! Power applied to the cells last (model B 0.85; 1 = none).
    double xpower = 1.0;
    //! y = E_p [GeV] / yscale.
    double yscale = 100.0;
    //! Events with ecal <= min_ecal are dropped (model B 10; -inf keeps all).
    double min_ecal = -std::numeric_limits<double>::infinity();
    //! Angle = measured angle (`mtheta`, recomputed with geo::measured_angle when
    //! the data have none) instead of the true `theta` (empty when absent).
    bool use_measured_angle = false;
    //! Which recipe (order of operations and cell units) to follow:
    //! fixed_angle = model A (cells in GeV), variable_angle = model B (GeV x 50).
    //! Cells of either layout are first converted to these units with cell_unit_gev.
    event::Layout family = event::Layout::fixed_angle;

    //! Model A (docs/preprocessing.md, "Model A"): threshold 1e-6 GeV (before scaling), xscale 100,
    //! ecal = Σ scaled cells, yscale 100, no power, no ecal cut, no angle.
    static PreprocessOptions model_a();
    //! Model B (docs/preprocessing.md, "Model B"): cells in GeV x 50, xscale 1, threshold 0, ecal = Σ
    //! before the power, drop ecal <= 10, angle = mtheta, xpower 0.85, yscale 100.
    static PreprocessOptions model_b();
};

//! Preprocessed events, ready for the networks (model space).
struct PreprocessedBatch
{
    geo::ImageShape shape;
    //! Model-space cells, size n * shape.size() (layer fastest, no channel axis).
    std::vector<float> cells;
    //! E_p / yscale, size n.
    std::vector<float> y;
    //! Angle [rad], size n, or empty (see use_measured_angle).
    std::vector<float> theta_rad;
    //! Σ cells after scaling and threshold, before the power (family units x xscale), size n.
    std::vector<float> ecal;
    //! Index of each kept event in the input batch, size n.
    std::vector<std::size_t> source_index;

    std::size_t size() const { return y.size(); }
};

//! Apply the 3DGAN preprocessing, in the reference order:
//! - fixed_angle (A, GetprocData): convert to GeV; zero cells < threshold;
//!   × xscale; ecal = Σ; y = E/yscale; [drop ecal <= min_ecal]; [power].
//! - variable_angle (B, GetDataAngle): convert to GeV x 50; × xscale;
//!   y = E/yscale; zero cells < threshold; ecal = Σ; drop ecal <= min_ecal;
//!   angle = mtheta (or measured on these cells); cells^xpower.
//! Cell arithmetic is float32 like the reference (the unit conversion is done in
//! double, then rounded); sums are accumulated in double.
PreprocessedBatch preprocess(event::EventBatch const& batch, PreprocessOptions const& options);

//! Inverse transform for generated images, in place: model-space cells ->
//! cells in the family's units (GeV for model A, GeV x 50 for model B), that
//! is (max(cell, 0))^(1/xpower) / xscale. Multiply by cell_unit_gev(family) for GeV.
void postprocess_in_place(std::vector<float>& cells, PreprocessOptions const& options);
}  // namespace calo::io
