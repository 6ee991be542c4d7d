#include "ShowerSimulator.hh"

#include <algorithm>
#include <cmath>

#include "Distributions.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::mc
{
namespace
{

std::string number(double v)
{
    nlohmann::json j = v;
    return j.dump();
}

void check(bool condition, std::string const& field, double value, std::string const& what_to_do)
{
    CALO_VALIDATE(condition, "shower options: " + field + " = " + number(value) + " — " + what_to_do);
}

geo::CalorimeterSpec calorimeter_spec(ShowerOptions const& options)
{
    geo::CalorimeterSpec spec = geo::CalorimeterSpec::preset(options.geometry);
    if (options.services_mm >= 0)
        spec.services_mm = options.services_mm;
    return spec;
}

//! Electron sampling fraction of each layer: e_hat times the MIP fraction
//! Si/(W + Si + services), times the global scale (docs/mc.md, "Sampling fraction").
std::vector<double> layer_sampling_fractions(geo::Calorimeter const& calo, ShowerOptions const& options)
{
    std::vector<double> result;
    for (int i = 0; i < calo.num_layers(); ++i)
        result.push_back(options.e_over_mip * options.sampling_fraction_scale * calo.layer(i).mip_sampling_fraction());
    return result;
}

//! Validate and fill in the derived values.
ShowerOptions resolve(ShowerOptions options)
{
    check(std::isfinite(options.services_mm), "services_mm", options.services_mm,
          "use a thickness >= 0 or a negative value for the preset's");
    geo::Calorimeter const calo(calorimeter_spec(options));  // validates geometry
    if (options.services_mm < 0)
        options.services_mm = calo.spec().services_mm;

    check(options.e_over_mip > 0 && options.e_over_mip <= 2, "e_over_mip", options.e_over_mip,
          "use a value in (0, 2]; GFLASH gives 0.704 for W/Si");
    check(options.sampling_fraction_scale > 0 && options.sampling_fraction_scale <= 10, "sampling_fraction_scale",
          options.sampling_fraction_scale, "use a factor in (0, 10]");
    check(options.mip_mpv_mev > 0 && options.mip_mpv_mev < 100, "mip_mpv_mev", options.mip_mpv_mev,
          "use a positive energy in MeV (0.140 for 0.5 mm Si)");
    check(options.mip_width_mev >= 0 && options.mip_width_mev < 100, "mip_width_mev", options.mip_width_mev,
          "use a width >= 0 in MeV (0.009 for 0.5 mm Si)");
    check(options.stochastic_term > 0 && options.stochastic_term < 10, "stochastic_term", options.stochastic_term,
          "use a value in GeV^1/2 such as 0.17");
    check(options.crossings_per_cluster == 0 ||
              (options.crossings_per_cluster >= 1 && options.crossings_per_cluster < 1e6),
          "crossings_per_cluster", options.crossings_per_cluster, "use 0 (derive from stochastic_term) or a mean >= 1");
    check(options.sigma_ln_tmax_scale >= 0 && options.sigma_ln_tmax_scale <= 10, "sigma_ln_tmax_scale",
          options.sigma_ln_tmax_scale, "use a factor in [0, 10]");
    check(options.sigma_ln_alpha_scale >= 0 && options.sigma_ln_alpha_scale <= 10, "sigma_ln_alpha_scale",
          options.sigma_ln_alpha_scale, "use a factor in [0, 10]");
    check(options.photon_start_x0 >= 0 && options.photon_start_x0 < 1e3, "photon_start_x0", options.photon_start_x0,
          "use a mean depth >= 0 in X0 (9/7 for pair production)");
    check(options.soft_fraction >= 0 && options.soft_fraction < 1, "soft_fraction", options.soft_fraction,
          "use a fraction in [0, 1)");
    check(options.soft_mean_kev > 0 && options.soft_mean_kev < 1e6, "soft_mean_kev", options.soft_mean_kev,
          "use a positive mean energy in keV");
    check(options.soft_radial_scale > 0 && options.soft_radial_scale < 1e3, "soft_radial_scale",
          options.soft_radial_scale, "use a positive multiple of the tail radius");
    check(options.noise_mev >= 0 && options.noise_mev < 1e6, "noise_mev", options.noise_mev, "use a noise >= 0 in MeV");
    check(options.threshold_mev >= 0 && options.threshold_mev < 1e6, "threshold_mev", options.threshold_mev,
          "use a threshold >= 0 in MeV");
    check(options.max_tau > 0 && options.max_tau <= 1e3, "max_tau", options.max_tau, "use a positive limit");
    check(options.max_radius_mm > 0 && options.max_radius_mm <= 1e5, "max_radius_mm", options.max_radius_mm,
          "use a positive distance in mm (510 = 100 pads)");

    if (options.crossings_per_cluster == 0)
    {
        // Relative variance of a compound-Poisson sum of geometric(mu_m)
        // clusters of Moyal deposits (docs/mc.md, "Stochastic term"):
        // (sigma/E)^2 = (2 mu_m - 1 + CV_delta^2) delta/(SF E), solved for mu_m
        // with SF the front-section (largest) sampling fraction.
        auto const sf = layer_sampling_fractions(calo, options);
        double const sf_ref = *std::max_element(sf.begin(), sf.end());
        double const delta = options.mip_mpv_mev + kMoyalMean * options.mip_width_mev;
        double const cv2 = kMoyalVariance * options.mip_width_mev * options.mip_width_mev / (delta * delta);
        double const a2_mev = options.stochastic_term * options.stochastic_term * 1000;
        double const mu = (a2_mev * sf_ref / delta + 1 - cv2) / 2;
        CALO_VALIDATE(mu >= 1, "shower options: stochastic_term = " + number(options.stochastic_term) +
                                   " GeV^1/2 is below the pure MIP-counting limit — use at least " +
                                   number(std::sqrt((1 + cv2) * delta / sf_ref / 1000)) + " GeV^1/2");
        options.crossings_per_cluster = mu;
    }
    return options;
}
}  // namespace

nlohmann::json to_json(ShowerOptions const& raw)
{
    ShowerOptions const o = resolve(raw);
    return nlohmann::json{
        {"model", "gflash-mip-clusters"},
        {"geometry", o.geometry},
        {"services_mm", o.services_mm},
        {"e_over_mip", o.e_over_mip},
        {"sampling_fraction_scale", o.sampling_fraction_scale},
        {"mip_mpv_mev", o.mip_mpv_mev},
        {"mip_width_mev", o.mip_width_mev},
        {"stochastic_term", o.stochastic_term},
        {"crossings_per_cluster", o.crossings_per_cluster},
        {"sigma_ln_tmax_scale", o.sigma_ln_tmax_scale},
        {"sigma_ln_alpha_scale", o.sigma_ln_alpha_scale},
        {"photon_start_x0", o.photon_start_x0},
        {"random_impact", o.random_impact},
        {"soft_fraction", o.soft_fraction},
        {"soft_mean_kev", o.soft_mean_kev},
        {"soft_radial_scale", o.soft_radial_scale},
        {"noise_mev", o.noise_mev},
        {"threshold_mev", o.threshold_mev},
        {"max_tau", o.max_tau},
        {"max_radius_mm", o.max_radius_mm},
    };
}

ShowerSimulator::ShowerSimulator(ShowerOptions options)
    : options_(resolve(std::move(options))), calorimeter_(calorimeter_spec(options_))
{
    sampling_fraction_ = layer_sampling_fractions(calorimeter_, options_);
    reference_sampling_fraction_ = *std::max_element(sampling_fraction_.begin(), sampling_fraction_.end());
    for (double sf : sampling_fraction_) keep_probability_.push_back(sf / reference_sampling_fraction_);
    mean_crossing_mev_ = options_.mip_mpv_mev + kMoyalMean * options_.mip_width_mev;
}

double ShowerSimulator::simulate(Primary const& primary, Rng& rng, geo::ImageShape window, float* out) const
{
    int const num_layers = calorimeter_.num_layers();
    CALO_VALIDATE(window.nx > 0 && window.ny > 0 && window.nz == num_layers,
                  "shower window " + window.to_string() + " — use nx, ny > 0 and nz = " + std::to_string(num_layers) +
                      " (the number of layers)");
    CALO_VALIDATE(
        primary.energy_gev >= kMinEnergyGev && primary.energy_gev <= kMaxEnergyGev,
        "primary energy " + number(primary.energy_gev) + " GeV is outside the GFLASH range — use 0.1 to 10000 GeV");
    CALO_VALIDATE(primary.theta_rad > 0 && primary.theta_rad < kPi,
                  "primary angle " + number(primary.theta_rad) +
                      " rad — use an angle strictly between 0 and pi (pi/2 = normal incidence)");
    std::fill(out, out + window.size(), 0.0f);

    double const energy_gev = primary.energy_gev;
    geo::Section const& front = calorimeter_.section(0);

    // Longitudinal shape of this shower: correlated log-normal (T, alpha),
    // GP93 / Geant4 GFlashSamplingShowerParameterisation::GenerateLongitudinalProfile.
    // The energy profile uses the sampling-corrected pair (Geant4 integrates
    // the homogeneous one by mistake; docs/mc.md, "Departures from Geant4
    // GFLASH").
    LongitudinalParameters const lp = gflash_longitudinal(energy_gev, front.medium, options_.e_over_mip);
    auto const [z1, z2] = sample_normal_pair(rng);
    double const plus = std::sqrt((1 + lp.correlation) / 2);
    double const minus = std::sqrt((1 - lp.correlation) / 2);
    double const sigma_t = lp.sigma_ln_tmax * options_.sigma_ln_tmax_scale;
    double const sigma_a = lp.sigma_ln_alpha * options_.sigma_ln_alpha_scale;
    double const tmax = std::max(1.0, std::exp(lp.mean_ln_tmax + sigma_t * (plus * z1 + minus * z2)));
    double const alpha = std::max(1.1, std::exp(lp.mean_ln_alpha + sigma_a * (plus * z1 - minus * z2)));
    double const beta = (alpha - 1) / tmax;
    // tau = t/<t>_event * abar/(abar - 1), abar = exp<ln alpha> (>= e^0.1):
    // t/T for the average shower.
    double const mean_alpha = std::exp(lp.mean_ln_alpha);
    double const tau_per_x0 = beta / alpha * mean_alpha / (mean_alpha - 1);

    // Lateral shape per section: each section has its own Z_eff, F_s^-1, R_M.
    int const num_sections = calorimeter_.num_sections();
    std::vector<GflashRadialProfile> radial;
    std::vector<double> moliere_mm;
    for (int s = 0; s < num_sections; ++s)
    {
        auto const& medium = calorimeter_.section(s).medium;
        radial.emplace_back(energy_gev, medium, options_.e_over_mip);
        moliere_mm.push_back(medium.moliere_radius_mm);
    }

    // Axis (x, y, depth) = impact + s (0, cos theta, sin theta).
    double const sin_theta = std::sin(primary.theta_rad);
    double const cos_theta = std::cos(primary.theta_rad);
    double const cell_mm = calorimeter_.cell_size_mm();
    double const inverse_cell_mm = 1 / cell_mm;
    double const inverse_sin_theta = 1 / sin_theta;
    double impact_x = 0;
    double impact_y = 0;
    if (options_.random_impact)
    {
        impact_x = (rng.uniform() - 0.5) * cell_mm;
        impact_y = (rng.uniform() - 0.5) * cell_mm;
    }
    double const start_x0 =
        primary.particle == Particle::photon ? sample_exponential(rng, options_.photon_start_x0) : 0.0;

    thread_local std::vector<Hit> hits;
    hits.clear();
    NormalSource normal;

    // Place one energy point at shower depth t (from the start, in X0): a
    // MIP cluster (core or tail component) or a soft hit (wide tail); false
    // when it leaves the stack or is thinned away (docs/mc.md, "Algorithm", step 4).
    auto place = [&](double t_x0, bool soft, Hit& hit)
    {
        double const axis_x0 = start_x0 + t_x0;
        // An oblique axis crosses X0/sin(theta) per unit of stack depth.
        double const axis_depth_mm = calorimeter_.depth_mm_at_x0(axis_x0 * sin_theta);
        double const path_mm = axis_depth_mm * inverse_sin_theta;
        int const section = calorimeter_.section_at_depth_mm(axis_depth_mm);
        RadialShape const shape = radial[section](std::min(t_x0 * tau_per_x0, options_.max_tau));
        double radius;
        if (soft)
            radius = shape.tail_radius * options_.soft_radial_scale;
        else
            radius = rng.uniform() < shape.core_probability ? shape.core_radius : shape.tail_radius;
        // Inverse of the component's CDF r^2/(r^2 + R^2).
        double const u = rng.uniform();
        double const r_mm = moliere_mm[section] * radius * std::sqrt(u / (1 - u));
        if (r_mm > options_.max_radius_mm)
            return false;
        auto const [cos_phi, sin_phi] = sample_unit_circle(rng);
        // Transverse unit vectors e1 = (1, 0, 0), e2 = (0, sin, -cos).
        double const x = impact_x + r_mm * cos_phi;
        double const y = impact_y + path_mm * cos_theta + r_mm * sin_phi * sin_theta;
        double const depth = axis_depth_mm - r_mm * sin_phi * cos_theta;
        int const layer = calorimeter_.layer_at_depth_mm(depth);
        if (layer < 0)
            return false;  // albedo or leakage
        // Thinning to the local sampling fraction.
        double const keep = keep_probability_[layer];
        if (keep < 1 && rng.uniform() >= keep)
            return false;
        double const ix = std::floor(x * inverse_cell_mm + 0.5);
        double const iy = std::floor(y * inverse_cell_mm + 0.5);
        // Only a grazing axis (theta within ~1e-6 of 0 or pi) gets this far.
        if (!(std::fabs(ix) < 1e8 && std::fabs(iy) < 1e8))
            return false;
        hit.ix = static_cast<int>(ix);
        hit.iy = static_cast<int>(iy);
        hit.layer = layer;
        return true;
    };

    // MIP clusters: compound Poisson with geometric multiplicity, each
    // crossing a Moyal deposit (docs/mc.md, "Stochastic term" and "MIP
    // deposits"; "Algorithm", steps 3 and 4).
    double const visible_mev = energy_gev * 1000 * reference_sampling_fraction_;
    double const mean_clusters =
        visible_mev * (1 - options_.soft_fraction) / (mean_crossing_mev_ * options_.crossings_per_cluster);
    std::int64_t const num_clusters = sample_poisson(rng, mean_clusters);
    hits.reserve(static_cast<std::size_t>(num_clusters));
    double const mpv = options_.mip_mpv_mev;
    double const xi = options_.mip_width_mev;
    for (std::int64_t k = 0; k < num_clusters; ++k)
    {
        Hit hit;
        if (!place(sample_gamma(rng, alpha, normal) / beta, false, hit))
            continue;
        std::int64_t const crossings = sample_geometric(rng, options_.crossings_per_cluster);
        // Sum of Moyal deposits: m MPV + xi sum(-ln z_k^2) = m MPV - xi ln prod z_k^2.
        double log_sum = 0;
        double product = 1;
        std::int64_t remaining = crossings;
        for (; remaining >= 2; remaining -= 2)
        {
            product *= sample_squared_normal_product(rng);
            if (product < 1e-200 || product > 1e200)
            {
                log_sum += std::log(product);
                product = 1;
            }
        }
        if (remaining == 1)
        {
            double const z = normal(rng);
            product *= z * z;
        }
        log_sum += std::log(product);
        hit.energy_mev = static_cast<float>(static_cast<double>(crossings) * mpv - xi * log_sum);
        hits.push_back(hit);
    }

    // Optional soft hits with exponential energies and a wide lateral shape.
    if (options_.soft_fraction > 0)
    {
        double const mean_soft_mev = options_.soft_mean_kev * 1e-3;
        std::int64_t const num_soft = sample_poisson(rng, visible_mev * options_.soft_fraction / mean_soft_mev);
        for (std::int64_t k = 0; k < num_soft; ++k)
        {
            Hit hit;
            if (!place(sample_gamma(rng, alpha, normal) / beta, true, hit))
                continue;
            hit.energy_mev = static_cast<float>(sample_exponential(rng, mean_soft_mev));
            hits.push_back(hit);
        }
    }

    // Window on the barycentre cell (LCD converter: round(barycentre/pitch)).
    double total_mev = 0;
    double sum_x = 0;
    double sum_y = 0;
    for (Hit const& hit : hits)
    {
        total_mev += hit.energy_mev;
        sum_x += hit.energy_mev * static_cast<double>(hit.ix);
        sum_y += hit.energy_mev * static_cast<double>(hit.iy);
    }
    long centre_x = 0;
    long centre_y = 0;
    if (total_mev > 0)
    {
        centre_x = std::lround(sum_x / total_mev);
        centre_y = std::lround(sum_y / total_mev);
    }
    long const first_x = centre_x - window.nx / 2;
    long const first_y = centre_y - window.ny / 2;
    for (Hit const& hit : hits)
    {
        long const wx = hit.ix - first_x;
        long const wy = hit.iy - first_y;
        if (wx < 0 || wx >= window.nx || wy < 0 || wy >= window.ny)
            continue;
        out[window.index(static_cast<int>(wx), static_cast<int>(wy), hit.layer)] +=
            static_cast<float>(hit.energy_mev * 1e-3);
    }

    if (options_.noise_mev > 0 || options_.threshold_mev > 0)
    {
        float const threshold_gev = static_cast<float>(options_.threshold_mev * 1e-3);
        double const noise_gev = options_.noise_mev * 1e-3;
        for (std::size_t i = 0; i < window.size(); ++i)
        {
            float value = out[i];
            if (noise_gev > 0)
                value += static_cast<float>(noise_gev * sample_normal(rng));
            out[i] = (value > threshold_gev) ? value : 0.0f;
        }
    }
    return total_mev * 1e-3;
}
}  // namespace calo::mc
