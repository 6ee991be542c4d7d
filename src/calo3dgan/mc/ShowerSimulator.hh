#pragma once
// Parametrised electromagnetic shower Monte Carlo for the W/Si ECAL of the
// 3DGAN (CLIC/LCD) data: GFLASH profiles, visible energy as compound-Poisson
// MIP crossings of the silicon (docs/mc.md).
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "GflashParameters.hh"
#include "Primary.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/geo/Calorimeter.hh"
#include "calo3dgan/geo/ImageShape.hh"

namespace calo::mc
{
//! Lowest and highest primary energy the GFLASH fits cover [GeV]
//! (Geant4 GFlashParticleBounds: 0.1 GeV to 10 TeV for e+-).
inline constexpr double kMinEnergyGev = 0.1;
inline constexpr double kMaxEnergyGev = 10000;

//! Physics options: everything that changes the showers. Defaults are the
//! tuned model of docs/mc.md.
struct ShowerOptions
{
    //! Layer composition: "lcd" (0.5 mm Si + 1.5 mm services per layer,
    //! R_M,eff = 15.7 mm; docs/mc.md, "Geometry") or "compact" (W + Si only,
    //! R_M,eff = 10.8 mm).
    std::string geometry = "lcd";
    //! Services per layer [mm]; negative: the preset's value. The main knob
    //! of the lateral width in cells.
    double services_mm = -1;
    //! GFLASH e/mip: 1/(1 + 0.007 (Z_W - Z_Si)) = 0.704.
    double e_over_mip = 1 / (1 + 0.007 * (74 - 14));
    //! Global factor on the electron sampling fraction e_hat * MIP fraction.
    //! 0.985 centres E_vis/E on the 3DGAN Geant4 fit at 2, 100 and 500 GeV
    //! (within 1.6%; 1.0 is within 3.2%), see docs/mc.md.
    double sampling_fraction_scale = 0.985;
    //! Most probable energy of one Si crossing, Moyal mode [MeV]
    //! (PDG Landau MPV for 0.5 mm Si at minimum ionisation).
    double mip_mpv_mev = 0.140;
    //! Moyal width xi of one Si crossing [MeV].
    double mip_width_mev = 0.009;
    //! Stochastic term a of sigma/E = a/sqrt(E/GeV) that the MIP clusters
    //! produce in the front section [GeV^1/2] (CALICE SiW: 0.166).
    //! Sets crossings_per_cluster when that is 0.
    double stochastic_term = 0.17;
    //! Mean number mu_m of Si crossings per cluster (geometric multiplicity,
    //! >= 1); 0: derived from stochastic_term, mu_m = (a^2 SF/delta + 1 -
    //! CV_delta^2)/2 with delta the mean crossing deposit.
    double crossings_per_cluster = 0;
    //! Factors on the GFLASH sigma(ln T) and sigma(ln alpha): event-to-event
    //! fluctuations of the longitudinal profile (0: every shower has the
    //! mean shape).
    double sigma_ln_tmax_scale = 1;
    double sigma_ln_alpha_scale = 1;
    //! Mean depth of the photon conversion point [X0]: 9/7 X0 (pair
    //! production mean free path); electrons start at the front face.
    double photon_start_x0 = 9.0 / 7.0;
    //! Impact point uniform within the central pad; false: its centre.
    bool random_impact = true;
    //! Soft component (off by default): fraction of the visible energy given
    //! to soft hits, their mean energy [keV] (exponential) and radial scale
    //! (multiple of the GFLASH tail radius).
    double soft_fraction = 0;
    double soft_mean_kev = 20;
    double soft_radial_scale = 2.5;
    //! Gaussian noise per window cell [MeV visible] and zero suppression
    //! threshold [MeV visible]; both off (the Geant4 data are noise-free).
    double noise_mev = 0;
    double threshold_mev = 0;
    //! Upper limit on the scaled depth tau = t/T of the radial profile
    //! (CMSSW Gflash uses 10).
    double max_tau = 10;
    //! Clusters farther than this from the shower axis are lost [mm]. The
    //! GFLASH radial profile falls only as 1/r^3, so without a cut a rare
    //! cluster metres away would drag the barycentre (and the window) off
    //! the shower. 510 mm = 100 pads = 32 R_M,eff: it removes ~0.03% of the
    //! energy, less than leaves a real 160-pad-wide LCD barrel module.
    double max_radius_mm = 510;
};

//! Resolved options (preset services thickness, derived crossings per
//! cluster) as JSON, for output files and --dump-config. Throws
//! calo::InputError like the ShowerSimulator constructor.
nlohmann::json to_json(ShowerOptions const& options);

//! Generates one shower image per call.
class ShowerSimulator
{
  public:
    //! Validate the options (calo::InputError with what to fix) and
    //! precompute the layer stack and sampling fractions.
    explicit ShowerSimulator(ShowerOptions options = {});

    //! Simulate one shower with the caller's random stream and write the
    //! window `window` (nx x ny x 25, layer fastest, geo::ImageShape::index)
    //! centred on the cell nearest to the energy barycentre (LCD converter
    //! convention) into out[0 .. window.size()), in GeV of visible Si energy.
    //! `out` is zero-filled first. Returns the visible energy in the whole
    //! calorimeter before windowing [GeV]. Const and thread-safe; the result
    //! depends only on the options, `primary` and the Rng state. Throws
    //! calo::InputError for an energy outside [0.1, 1e4] GeV, theta outside
    //! (0, pi) or a window with nz != 25.
    double simulate(Primary const& primary, Rng& rng, geo::ImageShape window, float* out) const;

    //! The options with preset and derived values filled in.
    ShowerOptions const& options() const { return options_; }
    geo::Calorimeter const& calorimeter() const { return calorimeter_; }
    //! Electron sampling fraction of a layer: visible/deposited energy.
    double sampling_fraction(int layer) const { return sampling_fraction_[layer]; }
    //! Mean visible energy of one Si crossing, MPV + 1.2704 xi [MeV].
    double mean_crossing_mev() const { return mean_crossing_mev_; }

  private:
    //! One MIP cluster or soft hit scored in a pad.
    struct Hit
    {
        int ix;
        int iy;
        int layer;
        float energy_mev;
    };

    ShowerOptions options_;
    geo::Calorimeter calorimeter_;
    std::vector<double> sampling_fraction_;   //!< per layer
    std::vector<double> keep_probability_;    //!< SF_l / SF_ref, per layer
    double reference_sampling_fraction_ = 0;  //!< SF_ref = max over layers
    double mean_crossing_mev_ = 0;
};
}  // namespace calo::mc
