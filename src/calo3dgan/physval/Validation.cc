#include "calo3dgan/physval/Validation.hh"

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <limits>

#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/physval/ClassifierInputs.hh"
#include "calo3dgan/physval/ConditionBins.hh"
#include "calo3dgan/physval/FeatureDistances.hh"
#include "calo3dgan/physval/FeatureHistograms.hh"
#include "calo3dgan/physval/QualityTargets.hh"

namespace calo::physval
{
namespace
{
using json = nlohmann::json;

class Stopwatch
{
  public:
    double lap()
    {
        auto const now = std::chrono::steady_clock::now();
        double const s = std::chrono::duration<double>(now - last_).count();
        last_ = now;
        return s;
    }

  private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

json number_or_null(double v)
{
    return std::isfinite(v) ? json(v) : json(nullptr);
}

void check_comparable(ShowerSample const& reference, ShowerSample const& candidate)
{
    CALO_VALIDATE(reference.size() > 0, "the reference sample has no events");
    CALO_VALIDATE(candidate.size() > 0, "the candidate sample has no events");
    CALO_VALIDATE(reference.shape == candidate.shape,
                  "reference (" + reference.shape.to_string() + ") and candidate (" + candidate.shape.to_string()
                      + ") showers have different shapes — compare samples of the same layout");
    CALO_VALIDATE(reference.has_theta() == candidate.has_theta(),
                  std::string("only the ") + (reference.has_theta() ? "reference" : "candidate")
                      + " has polar angles — compare fixed-angle with fixed-angle, variable-angle with variable-angle data");
}

//! Bins from the reference's conditions, in the units its features use
//! (so that the events at the edges fall inside).
std::vector<ConditionBin> make_bins(FeatureTable const& reference, ValidationOptions const& options)
{
    auto bins = make_energy_bins(reference.energy_gev, options.energy_edges_gev, options.energy_bins);
    auto theta_bins = make_theta_bins(reference.theta_deg, options.theta_edges_deg, options.theta_bins);
    bins.insert(bins.end(), theta_bins.begin(), theta_bins.end());
    return bins;
}

json terms_json(MeritTerms const& t)
{
    return {{"moment", t.moment},
            {"shape", t.shape},
            {"sampling_fraction", t.sampling_fraction},
            {"angle", t.angle ? json(*t.angle) : json(nullptr)},
            {"total", t.total()}};
}

//! A side's mean sampling fraction and its error, null without events.
json mean_or_null(BinSummary const& s)
{
    return s.events ? json(s.sampling_fraction_mean) : json(nullptr);
}

json uncertainty_or_null(BinSummary const& s)
{
    return s.events ? json(s.sampling_fraction_mean_uncertainty) : json(nullptr);
}

json side_json(BinSummary const& s)
{
    return {{"events", s.events},
            {"profiles", {{"x", s.profile[0]}, {"y", s.profile[1]}, {"z", s.profile[2]}}},
            {"sampling_fraction", mean_or_null(s)},
            {"sampling_fraction_error", uncertainty_or_null(s)},
            {"moment1", s.moment1},
            {"moment2", s.moment2},
            {"angle_error", number_or_null(s.angle_error)}};
}

json bins_json(MeritResult const& merit)
{
    json bins = json::array();
    for (auto const& c : merit.bins)
    {
        json b = {{"label", c.bin.label},
                  {"kind", c.bin.kind},
                  {"energy_gev", c.bin.kind == "energy" ? json({c.bin.lo, c.bin.hi}) : json(nullptr)},
                  {"theta_deg", c.bin.kind == "theta" ? json({c.bin.lo, c.bin.hi}) : json(nullptr)},
                  {"events_reference", c.reference.events},
                  {"events_candidate", c.candidate.events},
                  {"reference", side_json(c.reference)},
                  {"candidate", side_json(c.candidate)}};
        bool const used = c.skipped.empty();
        b["sampling_fraction"] = {
            {"reference", mean_or_null(c.reference)},
            {"reference_error", uncertainty_or_null(c.reference)},
            {"candidate", mean_or_null(c.candidate)},
            {"candidate_error", uncertainty_or_null(c.candidate)},
            {"relative_error", used ? json(c.sampling_fraction_relative_error) : json(nullptr)}};
        b["figure_of_merit"] = used ? terms_json(c.terms) : json(nullptr);
        b["skipped"] = used ? json(nullptr) : json(c.skipped);
        bins.push_back(std::move(b));
    }
    return bins;
}

//! Mean and error of the mean of the sampling fraction in equal-width energy bins.
json sampling_fraction_profile_json(FeatureTable const& ref, FeatureTable const& cand, int bins)
{
    auto [lo_it, hi_it] = std::minmax_element(ref.energy_gev.begin(), ref.energy_gev.end());
    double const lo = *lo_it, hi = *hi_it > *lo_it ? *hi_it : *lo_it + 1;
    std::vector<double> edges;
    for (int b = 0; b <= bins; ++b)
        edges.push_back(lo + (hi - lo) * b / bins);
    json out = {{"energy_edges_gev", edges}};
    for (auto [name, table] : {std::pair{"reference", &ref}, std::pair{"candidate", &cand}})
    {
        std::vector<double> n(bins), sum(bins), sum2(bins);
        auto const& sampling_fraction = table->column("sampling_fraction");
        for (std::size_t e = 0; e < table->num_events; ++e)
        {
            int const b = static_cast<int>((table->energy_gev[e] - lo) / (hi - lo) * bins);
            if (b < 0 || b > bins || (b == bins && table->energy_gev[e] > hi))
                continue;
            int const bb = std::min(b, bins - 1);
            n[bb] += 1;
            sum[bb] += sampling_fraction[e];
            sum2[bb] += static_cast<double>(sampling_fraction[e]) * sampling_fraction[e];
        }
        json mean = json::array(), error = json::array();
        for (int b = 0; b < bins; ++b)
        {
            if (n[b] < 2)
            {
                mean.push_back(nullptr);
                error.push_back(nullptr);
                continue;
            }
            double const m = sum[b] / n[b];
            mean.push_back(m);
            error.push_back(std::sqrt(std::max(0.0, sum2[b] / n[b] - m * m) / n[b]));
        }
        out[std::string(name) + "_mean"] = mean;
        out[std::string(name) + "_error"] = error;
        out[std::string(name) + "_count"] = n;
    }
    return out;
}

//! Mean projections of a sample on x, y and z [GeV per cell].
std::array<std::vector<double>, 3> mean_profiles(FeatureTable const& table)
{
    int const sizes[3] = {table.shape.nx, table.shape.ny, table.shape.nz};
    std::array<std::vector<double>, 3> out;
    for (int a = 0, offset = 0; a < 3; offset += sizes[a], ++a)
    {
        auto& mean = out[a];
        mean.assign(sizes[a], 0.0);
        for (std::size_t e = 0; e < table.num_events; ++e)
        {
            for (int i = 0; i < sizes[a]; ++i)
                mean[i] += table.projection(e)[offset + i];
        }
        for (double& v : mean)
            v /= static_cast<double>(table.num_events);
    }
    return out;
}

json profiles_json(std::array<std::vector<double>, 3> const& ref, std::array<std::vector<double>, 3> const& cand)
{
    json out;
    char const* axes[3] = {"x", "y", "z"};
    for (int a = 0; a < 3; ++a)
        out[axes[a]] = {{"reference", ref[a]}, {"candidate", cand[a]}};
    return out;
}

json classifier_json(ClassifierResult const& r)
{
    return {{"auc", r.auc},
            {"jsd", r.jsd},
            {"roc", {{"false_positive_rate", r.roc.false_positive_rate}, {"true_positive_rate", r.roc.true_positive_rate}}},
            {"train_loss", r.train_loss},
            {"test_accuracy", r.test_accuracy},
            {"best_epoch", r.best_epoch},
            {"train_events", r.train_events},
            {"validation_events", r.validation_events},
            {"seconds", r.seconds}};
}

//! Statistical floor of the figure of merit: the reference against itself,
//! even against odd events; halves have half the events, so differences of
//! means shrink by about √2 at full size. The angle term is no difference
//! (|θ - θ_meas|/θ of one sample): its floor is the reference's own value.
double merit_floor(FeatureTable const& reference, std::vector<ConditionBin> const& bins, MeritOptions const& options)
{
    std::vector<std::size_t> even, odd;
    for (std::size_t e = 0; e < reference.num_events; ++e)
        (e % 2 ? odd : even).push_back(e);
    auto half = [&](std::vector<std::size_t> const& rows) {
        FeatureTable t;
        t.info = reference.info;
        t.shape = reference.shape;
        t.num_events = rows.size();
        t.columns.assign(reference.columns.size(), {});
        std::size_t const p = reference.shape.nx + reference.shape.ny + reference.shape.nz;
        for (std::size_t r : rows)
        {
            for (std::size_t c = 0; c < t.columns.size(); ++c)
                t.columns[c].push_back(reference.columns[c][r]);
            t.projections.insert(t.projections.end(), reference.projection(r), reference.projection(r) + p);
            t.energy_gev.push_back(reference.energy_gev[r]);
            if (!reference.theta_deg.empty())
                t.theta_deg.push_back(reference.theta_deg[r]);
        }
        return t;
    };
    try
    {
        MeritTerms const halves = evaluate_merit(half(even), half(odd), bins, options).average;
        double floor = (halves.moment + halves.shape + halves.sampling_fraction) / std::sqrt(2.0);
        if (halves.angle)
            floor += evaluate_merit(reference, reference, bins, options).average.angle.value_or(0.0);
        return floor;
    }
    catch (InputError const&)
    {
        return std::numeric_limits<double>::quiet_NaN();
    }
}

json sample_json(ShowerSample const& s)
{
    return {{"label", s.label},
            {"source", s.source},
            {"events", s.size()},
            {"shape", {s.shape.nx, s.shape.ny, s.shape.nz}},
            {"model_family", s.has_theta() ? "b" : "a"}};
}
}  // namespace

MeritResult evaluate_candidate_merit(FeatureTable const& reference, ShowerSample const& candidate,
                                     ValidationOptions const& options)
{
    return evaluate_merit(reference, compute_features(candidate, options.features), make_bins(reference, options),
                          options.merit);
}

nlohmann::json validate_samples(ShowerSample const& reference, ShowerSample const& candidate,
                                ValidationOptions const& options, TwoSampleClassifier const& classifier,
                                std::vector<SkippedItem> skipped)
{
    CALO_VALIDATE(classifier || !(options.feature_classifier || options.image_classifier),
                  "the classifier two-sample tests are switched on but no classifier was given — bug in the caller");
    check_comparable(reference, candidate);
    Stopwatch clock;
    json timing;
    FeatureTable const ref = compute_features(reference, options.features);
    FeatureTable const cand = compute_features(candidate, options.features);
    timing["features"] = clock.lap();

    auto const bins = make_bins(ref, options);
    MeritResult const merit = evaluate_merit(ref, cand, bins, options.merit);
    for (auto const& c : merit.bins)
    {
        if (!c.skipped.empty())
            skipped.push_back({c.bin.kind + " bin " + c.bin.label, c.skipped});
    }
    double const floor = merit_floor(ref, bins, options.merit);
    timing["figure_of_merit"] = clock.lap();

    json histograms = json::object(), separation = json::object();
    for (std::size_t f = 0; f < ref.info.size(); ++f)
    {
        auto const& info = ref.info[f];
        HistogramPair const h = histogram_pair(ref.columns[f], cand.columns[f], options.histogram_bins, info.integer_valued);
        histograms[info.name] = {{"label", info.label},
                                 {"group", info.group},
                                 {"edges", h.edges},
                                 {"reference", h.reference},
                                 {"candidate", h.candidate},
                                 {"separation_power", h.separation_power}};
        separation[info.name] = h.separation_power;
    }
    CellStatistics const ref_cells = cell_statistics(reference, options.spectrum_events);
    CellStatistics const cand_cells = cell_statistics(candidate, options.spectrum_events);
    timing["histograms"] = clock.lap();

    json metrics;
    metrics["schema"] = "calo3dgan.validation/1";
    metrics["build"] = std::string("calo3dgan ") + kVersion + " (git " + kGitRevision + ")";
    json classifier_plots = json::object();
    metrics["auc_features"] = nullptr;
    metrics["auc_images"] = nullptr;
    metrics["jsd_features"] = nullptr;
    metrics["jsd_images"] = nullptr;
    metrics["fpd"] = nullptr;
    metrics["fpd_error"] = nullptr;
    metrics["kpd"] = nullptr;
    metrics["kpd_error"] = nullptr;
    if (options.feature_distances)
    {
        InputMatrix ref_features = feature_inputs(ref, ref.num_events);
        InputMatrix cand_features = feature_inputs(cand, cand.num_events);
        int const kept = standardise_like_reference(ref_features, cand_features);
        // Covariances of `kept` features need well more events than that,
        // already in the smallest subsets (N/4) of the extrapolation.
        std::size_t const needed = 4 * (static_cast<std::size_t>(kept) + 2) + 4;
        if (std::min(ref_features.rows, cand_features.rows) >= needed)
        {
            auto const fpd = frechet_distance_infinite(ref_features, cand_features, options.fpd_points,
                                                       options.fpd_repeats, options.classifier.seed);
            metrics["fpd"] = fpd.value;
            metrics["fpd_error"] = fpd.error;
        }
        else
        {
            skipped.push_back({"Fréchet physics distance", "needs at least " + std::to_string(needed)
                                                                + " events per side for " + std::to_string(kept)
                                                                + " features"});
        }
        auto const kpd = kernel_distance(ref_features, cand_features, options.kpd_batches, options.kpd_batch_size,
                                         options.classifier.seed, options.features.threads);
        metrics["kpd"] = kpd.value;
        metrics["kpd_error"] = kpd.error;
        metrics["feature_distances_note"] =
            "FPD and KPD (arXiv:2211.10295) on " + std::to_string(kept)
            + " high-level features standardised with the reference; FPD extrapolated to infinite samples from "
            + std::to_string(options.fpd_points) + " sizes (N/4 to N) x " + std::to_string(options.fpd_repeats)
            + " subsets, error from the fit; KPD: cubic polynomial kernel, mean of "
            + std::to_string(options.kpd_batches) + " subsets of " + std::to_string(options.kpd_batch_size)
            + " events, standard error; the literature quotes both x 10^3";
        timing["feature_distances"] = clock.lap();
    }
    else
    {
        skipped.push_back({"Fréchet and kernel physics distances", "switched off"});
    }
    // Both two-sample tests record the same things under their own name.
    auto run_classifier = [&](char const* name, InputMatrix const& ref_inputs, InputMatrix const& cand_inputs) {
        ClassifierOptions o = options.classifier;
        o.progress_label = std::string("classifier (") + name + ")";
        auto const r = classifier(ref_inputs, cand_inputs, o);
        metrics[std::string("auc_") + name] = r.auc;
        metrics[std::string("jsd_") + name] = r.jsd;
        classifier_plots[name] = classifier_json(r);
        timing[std::string("classifier_") + name] = clock.lap();
    };
    if (options.feature_classifier)
        run_classifier("features", feature_inputs(ref, options.classifier_events),
                       feature_inputs(cand, options.classifier_events));
    else
        skipped.push_back({"classifier test on high-level features", "switched off"});
    if (options.image_classifier)
    {
        // The image inputs are copied a few times (split, standardised):
        // keep each side's matrix within image_input_bytes.
        std::size_t const cells = reference.shape.size() + 2;
        std::size_t const memory_cap = std::max<std::size_t>(10, options.image_input_bytes / (sizeof(float) * cells));
        std::size_t const events = std::min(options.classifier_events, memory_cap);
        if (events < std::min({options.classifier_events, reference.size(), candidate.size()}))
            skipped.push_back({"image classifier events beyond " + std::to_string(events) + " per side",
                               "memory cap of " + std::to_string(options.image_input_bytes >> 20) + " MB per side"});
        double const threshold = options.features.readout_threshold_gev;
        run_classifier("images", image_inputs(reference, threshold, events),
                       image_inputs(candidate, threshold, events));
    }
    else
    {
        skipped.push_back({"classifier test on cell images", "switched off"});
    }

    auto const ref_profiles = mean_profiles(ref);
    auto const cand_profiles = mean_profiles(cand);
    metrics["quality"] = to_json(check_quality(merit, ref_profiles, cand_profiles));
    metrics["sampling_fraction_mre"] = merit.sampling_fraction_mean_relative_error;
    metrics["sampling_fraction_mre_error"] = merit.sampling_fraction_mean_relative_error_uncertainty;
    metrics["figure_of_merit"] = merit.figure_of_merit;
    metrics["figure_of_merit_terms"] = terms_json(merit.average);
    metrics["figure_of_merit_floor"] = number_or_null(floor);
    metrics["figure_of_merit_note"] =
        "moment + shape + sampling fraction (+ angle), averaged over energy bins; the moment term is counted once "
        "(the original GANutils.metric counts it twice); the floor is the reference's even against odd events, / sqrt(2) "
        "(plus the reference's own angle term)";
    metrics["reference"] = sample_json(reference);
    metrics["candidate"] = sample_json(candidate);
    json energy_bins = json::array(), theta_bins = json::array();
    for (auto const& b : bins)
        (b.kind == "energy" ? energy_bins : theta_bins).push_back({b.lo, b.hi});
    metrics["settings"] = {
        {"hit_threshold_gev", options.features.hit_threshold_gev},
        {"readout_threshold_gev", options.features.readout_threshold_gev},
        {"seed", options.classifier.seed},
        {"energy_bins_gev", energy_bins},
        {"theta_bins_deg", reference.has_theta() ? theta_bins : json(nullptr)},
        {"min_events_per_bin", options.merit.min_events},
        {"histogram_bins", options.histogram_bins},
        {"spectrum_events", options.spectrum_events},
        {"classifier",
         options.feature_classifier || options.image_classifier
             ? json{{"hidden", options.classifier.hidden},
                    {"max_epochs", options.classifier.max_epochs},
                    {"patience", options.classifier.patience},
                    {"batch", options.classifier.batch_size},
                    {"learning_rate", options.classifier.learning_rate},
                    {"optimizer", "Adam"},
                    {"split", {options.classifier.train_fraction, (1 - options.classifier.train_fraction) / 2,
                               (1 - options.classifier.train_fraction) / 2}},
                    {"events_per_side", options.classifier_events},
                    {"calibration", "isotonic on the test split"}}
             : json(nullptr)}};
    json skipped_json = json::array();
    for (auto const& s : skipped)
        skipped_json.push_back({{"what", s.what}, {"why", s.why}});
    metrics["skipped"] = skipped_json;
    metrics["bins"] = bins_json(merit);
    metrics["separation_power"] = separation;
    metrics["plots"] = {
        {"sampling_fraction_profile",
         sampling_fraction_profile_json(ref, cand, options.sampling_fraction_profile_bins)},
        {"profiles", profiles_json(ref_profiles, cand_profiles)},
        {"histograms", histograms},
        {"cell_spectrum",
         {{"edges_gev", ref_cells.spectrum_edges_gev}, {"reference", ref_cells.spectrum}, {"candidate", cand_cells.spectrum}}},
        {"sparsity",
         {{"log10_thresholds_gev", ref_cells.sparsity_log10_thresholds},
          {"reference", ref_cells.sparsity},
          {"candidate", cand_cells.sparsity}}},
        {"classifier", classifier_plots}};
    metrics["timing_s"] = timing;
    return metrics;
}
}  // namespace calo::physval
