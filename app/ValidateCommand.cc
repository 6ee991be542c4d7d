// calo3dgan validate: compare candidate showers (a dataset or a generator
// checkpoint) with reference showers, write metrics.json, plots and report.html;
// or pick a run's best epoch as the 3DGAN analysis does.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "CandidateShowers.hh"
#include "DeviceOption.hh"
#include "InferCommands.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/PlotScript.hh"
#include "calo3dgan/classifier/ClassifierTest.hh"
#include "calo3dgan/infer/ShowerGenerator.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/physval/EpochSelection.hh"
#include "calo3dgan/physval/Validation.hh"
#include "calo3dgan/train/TrainingHistory.hh"

namespace fs = std::filesystem;

namespace calo::app
{
namespace
{
struct ValidateOptions
{
    std::vector<std::string> reference;
    std::vector<std::string> candidate;
    std::string checkpoint;
    std::string output;
    std::string reference_label = "reference";
    std::string candidate_label;
    long long events = 0;  //!< per side, 0: all
    std::string energy_bins;  //!< "N" or "e0,e1,..." [GeV]
    std::string theta_bins;   //!< "N" or "t0,t1,..." [deg]
    double hit_threshold_gev = 3e-4;
    double readout_threshold_gev = 15.15e-6;
    bool no_classifier = false;
    bool no_image_classifier = false;
    int classifier_epochs = 50;
    long long classifier_events = 20000;
    std::uint64_t seed = 1;
    bool strict = false;
    bool no_plots = false;
    bool overwrite = false;
    std::string device = "cpu";
    int threads = 0;
    long long batch = 64;
    // Best-epoch selection.
    std::string run;
    bool select_epoch = false;
    int last = 10;
};

//! "N" (a count) or a comma-separated list of increasing edges.
void parse_bins(std::string const& text, char const* option, std::vector<double>& edges, int& count)
{
    if (text.empty())
        return;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ','))
    {
        try
        {
            std::size_t used = 0;
            edges.push_back(std::stod(item, &used));
            CALO_VALIDATE_USAGE(used == item.size(), "");
        }
        catch (std::exception const&)
        {
            throw UsageError(std::string(option) + " takes a bin count or comma-separated edges (got '" + text + "')");
        }
    }
    if (edges.size() == 1)
    {
        CALO_VALIDATE_USAGE(edges[0] >= 1 && edges[0] == static_cast<int>(edges[0]),
                            std::string(option) + " count must be a positive integer (got '" + text + "')");
        count = static_cast<int>(edges[0]);
        edges.clear();
    }
}

physval::ValidationOptions validation_options(ValidateOptions const& opt)
{
    physval::ValidationOptions o;
    o.features.hit_threshold_gev = opt.hit_threshold_gev;
    o.features.readout_threshold_gev = opt.readout_threshold_gev;
    o.features.threads = opt.threads;
    parse_bins(opt.energy_bins, "--energy-bins", o.energy_edges_gev, o.energy_bins);
    parse_bins(opt.theta_bins, "--theta-bins", o.theta_edges_deg, o.theta_bins);
    o.feature_classifier = !opt.no_classifier;
    o.image_classifier = !opt.no_classifier && !opt.no_image_classifier;
    o.classifier.max_epochs = opt.classifier_epochs;
    o.classifier.seed = opt.seed;
    o.classifier_events = static_cast<std::size_t>(opt.classifier_events);
    return o;
}

void write_json(std::string const& path, nlohmann::json const& value)
{
    write_file_atomically(path, value.dump(1) + '\n', fs::path(path).filename().string());
}

std::string checkpoint_for_epoch(std::string const& run, std::int64_t epoch)
{
    char name[32];
    std::snprintf(name, sizeof name, "epoch%04lld.pt", static_cast<long long>(epoch));
    return (fs::path(run) / nn::run_layout::kCheckpointDir / name).string();
}

//! --run RUN --select-epoch: the 3DGAN best-epoch choice from the run's history.
std::string select_run_epoch(ValidateOptions const& opt, nlohmann::json* selection)
{
    std::string const history_path = train::TrainingHistory::path(opt.run);
    CALO_VALIDATE(fs::exists(history_path), "no training history (where: " + history_path
                                                + ") — is " + opt.run + " a calo3dgan train run folder?");
    std::ifstream in(history_path);
    nlohmann::json history;
    try
    {
        in >> history;
    }
    catch (nlohmann::json::exception const&)
    {
        throw InputError("unreadable training history (where: " + history_path + ")");
    }
    physval::EpochChoice const choice = physval::select_epoch(history, opt.last);
    std::string const checkpoint = checkpoint_for_epoch(opt.run, choice.epoch);
    CALO_VALIDATE(fs::exists(checkpoint), "the chosen epoch's checkpoint is missing (where: " + checkpoint + ")");
    std::string considered;
    for (auto e : choice.considered)
        considered += (considered.empty() ? "" : ",") + std::to_string(e);
    std::printf("best epoch %lld of %s: sampling-fraction MRE %.4f +- %.4f, figure of merit %.4f (lowest MRE among "
                "epochs %s)\ncheckpoint %s\n",
                static_cast<long long>(choice.epoch), opt.run.c_str(), choice.sampling_fraction_mean_relative_error,
                choice.sampling_fraction_mean_relative_error_uncertainty,
                choice.figure_of_merit, considered.c_str(), checkpoint.c_str());
    *selection = {{"run", opt.run},
                  {"epoch", choice.epoch},
                  {"checkpoint", checkpoint},
                  {"sampling_fraction_mre", choice.sampling_fraction_mean_relative_error},
                  {"sampling_fraction_mre_error", choice.sampling_fraction_mean_relative_error_uncertainty},
                  {"figure_of_merit", choice.figure_of_merit},
                  {"considered_epochs", choice.considered},
                  {"criterion", "lowest sampling-fraction MRE among the last " + std::to_string(opt.last)
                                    + " validated epochs (3DGAN SelectEpoch.py)"}};
    return checkpoint;
}

double mean_sampling_fraction(physval::ShowerSample const& s)
{
    double sum = 0;
    std::size_t const cells = s.shape.size();
    for (std::size_t i = 0; i < s.size(); ++i)
    {
        double e = 0;
        for (std::size_t c = 0; c < cells; ++c)
            e += s.image(i)[c];
        sum += e / s.energy_gev[i];
    }
    return s.size() ? sum / static_cast<double>(s.size()) : 0.0;
}

//! A factor of 50 (GeV x 50 against GeV) or 100 (a model's xscale) between
//! the samples' energy scales usually means cells in another unit.
//! The quality targets' numbers from metrics.json, one line.
void print_quality(nlohmann::json const& q)
{
    auto const percent = [](nlohmann::json const& v) { return 100 * v.get<double>(); };
    auto const& sf = q["sampling_fraction"];
    auto const& p = q["profiles"];
    std::printf("quality targets %s: sampling fraction mean error %.1f %% (<= %g %%), worst bin %.1f %% at %s "
                "(<= %g %%); mean profiles on the cells holding %g %% of the energy, worst error x %.1f %%, y %.1f %%, "
                "z %.1f %% (<= %g %%)\n",
                q["met"].get<bool>() ? "met" : "not met", percent(sf["mean_relative_error"]),
                percent(q["targets"]["sampling_fraction_mean_relative_error"]), percent(sf["max_relative_error"]),
                sf["worst_bin"].get<std::string>().c_str(), percent(q["targets"]["sampling_fraction_bin_relative_error"]),
                percent(q["targets"]["profile_core_energy_fraction"]), percent(p["x"]["max_relative_error"]),
                percent(p["y"]["max_relative_error"]), percent(p["z"]["max_relative_error"]),
                percent(q["targets"]["profile_relative_error"]));
}

void warn_if_units_differ(physval::ShowerSample const& reference, physval::ShowerSample const& candidate)
{
    double const ref = mean_sampling_fraction(reference);
    double const cand = mean_sampling_fraction(candidate);
    if (ref > 0 && cand > 0 && (cand / ref > 5 || cand / ref < 0.2))
        spdlog::warn("the candidate's mean sampling fraction is {:.3g} times the reference's ({:.4g} against {:.4g}): "
                     "are both in GeV? (variable-angle files store GeV x 50; models scale cells by xscale)",
                     cand / ref, cand, ref);
}

void run_validate(ValidateOptions opt)
{
    CALO_VALIDATE_USAGE(opt.run.empty() == !opt.select_epoch, "--run and --select-epoch go together");
    nlohmann::json selection;
    if (opt.select_epoch)
    {
        CALO_VALIDATE_USAGE(opt.candidate.empty() && opt.checkpoint.empty(),
                            "--select-epoch picks the candidate itself — drop --candidate/--checkpoint");
        opt.checkpoint = select_run_epoch(opt, &selection);
        if (opt.reference.empty())
        {
            if (!opt.output.empty())
            {
                ensure_writable_directory(opt.output);
                write_json((fs::path(opt.output) / "selection.json").string(), selection);
            }
            return;
        }
    }
    CALO_VALIDATE_USAGE(!opt.reference.empty(), "--reference is required");
    CALO_VALIDATE_USAGE(opt.candidate.empty() != opt.checkpoint.empty(), "give either --candidate or --checkpoint");
    CALO_VALIDATE_USAGE(!opt.output.empty(), "-o/--output is required");
    CALO_VALIDATE_USAGE(opt.events >= 0, "--events must not be negative");
    CALO_VALIDATE_USAGE(opt.classifier_epochs > 0, "--classifier-epochs must be positive");
    CALO_VALIDATE_USAGE(opt.classifier_events >= 10, "--classifier-events must be at least 10");
    CALO_VALIDATE_USAGE(opt.hit_threshold_gev >= 0 && opt.readout_threshold_gev >= 0, "thresholds must not be negative");
    auto const options = validation_options(opt);
    std::string const metrics_path = (fs::path(opt.output) / "metrics.json").string();
    CALO_VALIDATE(opt.overwrite || !fs::exists(metrics_path),
                  "report folder already has results (where: " + opt.output + ") — pass --overwrite or choose another -o");
    ensure_writable_directory(opt.output);
    configure_threads(opt.threads);

    auto reference = physval::load_sample(opt.reference, static_cast<std::size_t>(opt.events), opt.reference_label);
    spdlog::info("reference: {} events {} from {}", reference.size(), reference.shape.to_string(), reference.source);
    std::vector<physval::SkippedItem> skipped;
    physval::ShowerSample candidate;
    if (!opt.checkpoint.empty())
    {
        infer::ShowerGeneratorOptions generator_options;
        generator_options.device = parse_device(opt.device);
        generator_options.batch_size = opt.batch;
        std::string const path = nn::resolve_checkpoint_path(opt.checkpoint);
        auto generator = infer::ShowerGenerator::load(path, generator_options);
        CALO_VALIDATE(event::default_shape(generator.layout()) == reference.shape,
                      "model " + generator.config().name + " makes " + event::default_shape(generator.layout()).to_string()
                          + " showers but the reference has " + reference.shape.to_string()
                          + " — validate against data of the model's layout");
        std::size_t outside = 0;
        auto const keep = events_in_trained_range(generator, reference, &outside);
        if (outside > 0)
        {
            std::string const why = "conditions outside the model's trained range";
            CALO_VALIDATE(!opt.strict, std::to_string(outside) + " reference events have " + why
                                           + " — drop --strict to leave them out");
            CALO_VALIDATE(!keep.empty(), "every reference event has " + why);
            spdlog::warn("{} of {} reference events have {}: left out", outside, reference.size(), why);
            skipped.push_back({std::to_string(outside) + " reference events", why});
            reference = physval::select_events(reference, keep);
        }
        std::string const label = opt.candidate_label.empty() ? "GAN (" + fs::path(path).filename().string() + ")"
                                                              : opt.candidate_label;
        candidate = generate_like(generator, reference, opt.seed, label);
        candidate.source = path;
    }
    else
    {
        candidate = physval::load_sample(opt.candidate, static_cast<std::size_t>(opt.events),
                                         opt.candidate_label.empty() ? "candidate" : opt.candidate_label);
    }
    spdlog::info("candidate: {} events {} from {}", candidate.size(), candidate.shape.to_string(), candidate.source);

    warn_if_units_differ(reference, candidate);
    nlohmann::json metrics =
        physval::validate_samples(reference, candidate, options, classifier::two_sample_test, skipped);
    if (!selection.is_null())
        metrics["epoch_selection"] = selection;
    write_json(metrics_path, metrics);
    auto const show = [](nlohmann::json const& v) { return v.is_null() ? std::string("n/a") : fmt::format("{:.4f}", v.get<double>()); };
    std::printf("auc_features %s  auc_images %s  sampling_fraction_mre %s  figure_of_merit %s\n",
                show(metrics["auc_features"]).c_str(), show(metrics["auc_images"]).c_str(),
                show(metrics["sampling_fraction_mre"]).c_str(), show(metrics["figure_of_merit"]).c_str());
    print_quality(metrics["quality"]);
    if (!opt.no_plots)
    {
        spdlog::info("drawing plots and report.html");
        run_plot_script("validation_report.py", {metrics_path, opt.output});
    }
    spdlog::info("wrote {}", opt.no_plots ? metrics_path : (fs::path(opt.output) / "report.html").string());
}
}  // namespace

void add_validate_command(CLI::App& app)
{
    auto opt = std::make_shared<ValidateOptions>();
    auto* cmd = app.add_subcommand("validate", "Compare candidate showers with reference showers: metrics, plots, report");
    cmd->add_option("--reference", opt->reference, "Reference showers: HDF5 files or folders")->expected(1, -1);
    cmd->add_option("--candidate", opt->candidate, "Candidate showers: HDF5 files or folders")->expected(1, -1);
    cmd->add_option("--checkpoint", opt->checkpoint,
                    "Candidate from a generator: checkpoint or run folder (showers made with the reference's conditions)");
    cmd->add_option("-o,--output", opt->output, "Report folder: metrics.json, *.png, report.html");
    cmd->add_option("--reference-label", opt->reference_label, "Name of the reference in plots")->capture_default_str();
    cmd->add_option("--candidate-label", opt->candidate_label, "Name of the candidate in plots");
    cmd->add_option("--events", opt->events, "At most this many events per side (0: all)");
    cmd->add_option("--energy-bins", opt->energy_bins,
                    "Energy bins: a count or edges in GeV, e.g. 10 or 2,100,200,500 (default: by sample size; "
                    "±5 GeV around each value of an energy scan)");
    cmd->add_option("--theta-bins", opt->theta_bins, "Angle bins: a count or edges in degrees (default 3)");
    cmd->add_option("--hit-threshold", opt->hit_threshold_gev, "Cells above this count as hits [GeV]")
        ->capture_default_str();
    cmd->add_option("--readout-threshold", opt->readout_threshold_gev,
                    "Cells below this are zero for the classifiers and layer sparsity [GeV]")
        ->capture_default_str();
    cmd->add_flag("--no-classifier", opt->no_classifier, "Skip both classifier two-sample tests");
    cmd->add_flag("--no-image-classifier", opt->no_image_classifier, "Skip the classifier on cell images");
    cmd->add_option("--classifier-epochs", opt->classifier_epochs, "Classifier training epochs at most")
        ->capture_default_str();
    cmd->add_option("--classifier-events", opt->classifier_events, "Classifier events per side at most")
        ->capture_default_str();
    cmd->add_option("--seed", opt->seed, "Seed of the classifier splits and training, and of generated showers")
        ->capture_default_str();
    cmd->add_flag("--strict", opt->strict, "Refuse reference events outside the model's trained range");
    cmd->add_flag("--no-plots", opt->no_plots, "Write metrics.json only");
    cmd->add_flag("--overwrite", opt->overwrite, "Replace the results in an existing report folder");
    cmd->add_option("--device", opt->device, "Device for generating showers: cpu, cuda or cuda:N")->capture_default_str();
    cmd->add_option("--threads", opt->threads, "CPU threads (0: all cores)");
    cmd->add_option("--batch", opt->batch, "Showers per generator pass (speed only)")->capture_default_str();
    auto const selection = "Best-epoch selection";
    cmd->add_option("--run", opt->run, "Training run folder (with --select-epoch)")->group(selection);
    cmd->add_flag("--select-epoch", opt->select_epoch,
                  "Pick the epoch with the lowest sampling-fraction error among the last validated ones; "
                  "with --reference, validate its checkpoint")
        ->group(selection);
    cmd->add_option("--last", opt->last, "Validated epochs compared by --select-epoch")->capture_default_str()->group(selection);
    cmd->callback([opt] { run_validate(*opt); });
}
}  // namespace calo::app
