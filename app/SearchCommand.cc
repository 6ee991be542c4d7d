// calo3dgan search: evolutionary architecture and hyper-parameter search, the
// extension the AISIS 2019 paper plans at the end of its §5. Target
// `regressor` evolves the architecture and training settings of the energy
// regressor of `evolve` (its weights trained by RMSprop, or by the GA of
// `evolve`: combined architecture-and-weight evolution); target `3dgan`
// evolves 3DGAN training hyper-parameters with the physics figure of merit as
// fitness. Distributed under mpirun: ranks train different candidates.
#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "CandidateShowers.hh"
#include "Commands.hh"
#include "DeviceOption.hh"
#include "Metadata.hh"
#include "MpiRun.hh"
#include "calo3dgan/base/OutputLock.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/PlotScript.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/ArchitectureSpace.hh"
#include "calo3dgan/evolve/AsynchronousSearch.hh"
#include "calo3dgan/evolve/ConvRegressor.hh"
#include "calo3dgan/evolve/GeneSpace.hh"
#include "calo3dgan/evolve/PopulationSearch.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"
#include "calo3dgan/evolve/RegressorEvaluator.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/infer/ShowerGenerator.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/physval/Validation.hh"
#include "calo3dgan/train/DataParallel.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/ShowerDataset.hh"

namespace fs = std::filesystem;

namespace calo::app
{
namespace
{
constexpr char const* kCheckpointFormat = "calo3dgan-search-checkpoint-1";
constexpr std::uint64_t kFixedBaselineDomain = 0x5345415243480201ull;
constexpr std::uint64_t kGanValidationDomain = 0x5345415243480202ull;

struct SearchCommandOptions
{
    std::vector<std::string> data;
    std::string out;
    std::string target = "regressor";
    // Data (regressor): the first events train, the next validate, the next test.
    long long events = 5000;
    long long validation_events = 1000;
    long long test_events = 1000;
    // Search
    int population = 8;
    int elites = 2;
    long long generations = 0;
    long long budget = 32;
    std::uint64_t seed = 1;
    double mutation_rate = 0.2;
    double mutation_power = 0.3;
    bool asynchronous = false;
    std::string compare;
    // Regressor candidates
    long long epochs_per_candidate = 2;
    std::string weights = "rmsprop";
    std::string conv_layers = "1:3";
    std::string filters = "2:32";
    std::string kernel = "2:7";
    std::string stride = "1:3";
    std::string activations = "leaky_relu,relu,elu,tanh";
    std::string hidden_units = "0:64";
    std::string bias = "no,yes";
    std::string learning_rate = "1e-4:1e-2";
    std::string batch = "32:256";
    // 3DGAN candidates
    std::string config = "configs/3dgan-a.toml";
    long long steps_per_candidate = 2;
    std::string gan_learning_rate = "1e-4:4e-3";
    std::string gan_batch = "8:32";
    std::string gan_weights = "0.02:0.5";  //!< the loss weights after the BCE's (3DGAN: 0.1)
    std::string generator_filters = "16:64";
    std::string discriminator_filters = "8:32";
    // Running
    bool resume = false;
    int threads = 1;
    bool no_plots = false;
    bool dump_config = false;
};

std::vector<std::string> split(std::string const& text, char separator)
{
    std::vector<std::string> out;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, separator))
        out.push_back(item);
    if (!text.empty() && text.back() == separator)
        out.emplace_back();
    return out;
}

//! "LOW:HIGH" or "VALUE"; UsageError naming the option otherwise.
std::pair<double, double> parse_range(std::string const& text, std::string const& option)
{
    auto const parts = split(text, ':');
    CALO_VALIDATE_USAGE(!text.empty() && parts.size() <= 2,
                        option + " '" + text + "' is not a range — write LOW:HIGH (or one value)");
    std::pair<double, double> range;
    try
    {
        std::size_t used = 0;
        range.first = std::stod(parts[0], &used);
        CALO_VALIDATE_USAGE(used == parts[0].size(), option + " '" + text + "' is not a range — write LOW:HIGH");
        range.second = range.first;
        if (parts.size() == 2)
        {
            range.second = std::stod(parts[1], &used);
            CALO_VALIDATE_USAGE(used == parts[1].size(), option + " '" + text + "' is not a range — write LOW:HIGH");
        }
    }
    catch (std::logic_error const&)
    {
        throw UsageError(option + " '" + text + "' is not a range — write LOW:HIGH (or one value)");
    }
    return range;
}

std::pair<int, int> parse_int_range(std::string const& text, std::string const& option)
{
    auto const [low, high] = parse_range(text, option);
    CALO_VALIDATE_USAGE(low == std::floor(low) && high == std::floor(high),
                        option + " '" + text + "' must be whole numbers");
    return {static_cast<int>(low), static_cast<int>(high)};
}

evolve::ArchitectureRanges architecture_ranges(SearchCommandOptions const& o)
{
    evolve::ArchitectureRanges r;
    r.conv_layers = parse_int_range(o.conv_layers, "--conv-layers");
    r.filters = parse_int_range(o.filters, "--filters");
    r.kernel = parse_int_range(o.kernel, "--kernel");
    r.stride = parse_int_range(o.stride, "--stride");
    r.activations = split(o.activations, ',');
    r.hidden_units = parse_int_range(o.hidden_units, "--hidden-units");
    r.bias = split(o.bias, ',');
    r.learning_rate = parse_range(o.learning_rate, "--learning-rate");
    r.batch = parse_int_range(o.batch, "--batch");
    return r;
}

//! The 3DGAN training hyper-parameters as genes.
evolve::GeneSpace gan_gene_space(SearchCommandOptions const& o, nn::ArchitectureConfig const& config)
{
    std::vector<evolve::Gene> genes;
    auto const lr = parse_range(o.gan_learning_rate, "--gan-learning-rate");
    genes.push_back(evolve::log_uniform_gene("learning_rate", lr.first, lr.second, "--gan-learning-rate"));
    auto const weights = parse_range(o.gan_weights, "--gan-loss-weights");
    for (std::size_t i = 1; i < config.train.loss_weights.size(); ++i)
        genes.push_back(evolve::log_uniform_gene("loss_weight." + std::to_string(i), weights.first, weights.second,
                                                 "--gan-loss-weights"));
    auto const batch = parse_int_range(o.gan_batch, "--gan-batch");
    CALO_VALIDATE_USAGE(batch.first >= 1, "--gan-batch starts at 1 — use LOW >= 1");
    genes.push_back(evolve::power_of_two_gene("batch", batch.first, batch.second, "--gan-batch"));
    auto const g = parse_int_range(o.generator_filters, "--generator-filters");
    auto const d = parse_int_range(o.discriminator_filters, "--discriminator-filters");
    CALO_VALIDATE_USAGE(g.first >= 1 && d.first >= 1, "--generator-filters and --discriminator-filters start at 1");
    genes.push_back(evolve::power_of_two_gene("generator.blocks.0.filters", g.first, g.second, "--generator-filters"));
    genes.push_back(
        evolve::power_of_two_gene("discriminator.blocks.0.filters", d.first, d.second, "--discriminator-filters"));
    return evolve::GeneSpace(std::move(genes));
}

std::vector<std::string> compared_baselines(SearchCommandOptions const& o)
{
    std::vector<std::string> out;
    if (o.compare.empty())
        return out;
    for (auto const& name : split(o.compare, ','))
    {
        CALO_VALIDATE_USAGE(name == "random" || name == "seed",
                            "--compare '" + name + "' is unknown — use random, seed or random,seed");
        if (std::find(out.begin(), out.end(), name) == out.end())
            out.push_back(name);
    }
    return out;
}

evolve::SearchOptions search_options(SearchCommandOptions const& o)
{
    evolve::SearchOptions s;
    s.population = o.population;
    s.elites = o.elites;
    s.generations = o.generations;
    s.budget = o.budget;
    s.seed = o.seed;
    s.mutation_power = o.mutation_power;
    return s;
}

void validate(SearchCommandOptions const& o)
{
    CALO_VALIDATE_USAGE(o.target == "regressor" || o.target == "3dgan",
                        "--target '" + o.target + "' is unknown — use regressor or 3dgan");
    evolve::validate(search_options(o));
    CALO_VALIDATE_USAGE(o.mutation_rate >= 0 && o.mutation_rate <= 1,
                        "--mutation-rate " + std::to_string(o.mutation_rate)
                            + " is outside [0, 1] — it is the probability that a gene changes");
    CALO_VALIDATE_USAGE(o.events >= 1 && o.validation_events >= 1 && o.test_events >= 1,
                        "--events, --validation-events and --test-events must be at least 1");
    CALO_VALIDATE_USAGE(o.epochs_per_candidate >= 1, "--epochs-per-candidate must be at least 1");
    CALO_VALIDATE_USAGE(o.steps_per_candidate >= 1, "--steps-per-candidate must be at least 1");
    evolve::parse_weight_training(o.weights);
    compared_baselines(o);
    if (o.target == "3dgan")
        CALO_VALIDATE_USAGE(compared_baselines(o).empty() || compared_baselines(o) == std::vector<std::string>{"random"},
                            "--compare seed applies to --target regressor only (the fixed network of the AISIS 2019 paper)");
}

//! The settings that decide the result: checked on resume and across ranks.
//! --budget and --generations may grow on resume (a longer search).
nlohmann::json result_config(SearchCommandOptions const& o)
{
    nlohmann::json c = {{"target", o.target},
                        {"events", o.events},
                        {"validation_events", o.validation_events},
                        {"test_events", o.test_events},
                        {"population", o.population},
                        {"elites", o.elites},
                        {"seed", o.seed},
                        {"mutation_rate", o.mutation_rate},
                        {"mutation_power", o.mutation_power},
                        {"asynchronous", o.asynchronous},
                        {"compare", o.compare}};
    if (o.target == "regressor")
    {
        c["epochs_per_candidate"] = o.epochs_per_candidate;
        c["weights"] = o.weights;
        c["genes"] = {{"conv_layers", o.conv_layers}, {"filters", o.filters},          {"kernel", o.kernel},
                      {"stride", o.stride},           {"activations", o.activations}, {"hidden_units", o.hidden_units},
                      {"bias", o.bias},               {"learning_rate", o.learning_rate}, {"batch", o.batch}};
    }
    else
    {
        c["config"] = o.config;
        c["steps_per_candidate"] = o.steps_per_candidate;
        c["genes"] = {{"learning_rate", o.gan_learning_rate},
                      {"batch", o.gan_batch},
                      {"loss_weights", o.gan_weights},
                      {"generator_filters", o.generator_filters},
                      {"discriminator_filters", o.discriminator_filters}};
    }
    return c;
}

nlohmann::json full_config(SearchCommandOptions const& o)
{
    auto c = result_config(o);
    c["budget"] = o.budget;
    c["generations"] = o.generations;
    c["threads"] = o.threads;
    return c;
}

//! First setting whose value differs, as "key = a now, b in the checkpoint", or empty.
std::string first_difference(nlohmann::json const& now, nlohmann::json const& before)
{
    for (auto it = now.begin(); it != now.end(); ++it)
    {
        auto const other = before.find(it.key());
        if (other == before.end() || *other != it.value())
            return it.key() + " = " + it.value().dump() + " now, "
                   + (other == before.end() ? std::string("absent") : other->dump()) + " in the checkpoint";
    }
    return {};
}

void write_json(std::string const& path, nlohmann::json const& json, int indent = 1)
{
    write_file_atomically(path, json.dump(indent) + '\n', fs::path(path).filename().string());
}

//! Rank 0's text on every rank.
std::string broadcast_text(Communicator const& comm, std::string text)
{
    if (comm.size() == 1)
        return text;
    std::uint64_t size = text.size();
    comm.broadcast(&size, sizeof(size));
    text.resize(size);
    comm.broadcast(text.data(), size);
    return text;
}

/*!
 * 3DGAN candidates: the model config with the candidate's learning rate,
 * loss weights, batch and first-block filters, trained from scratch for
 * --steps-per-candidate batches (train::GanTrainer, as `train --steps`), then
 * measured as `train --validate-every` does: showers generated with the
 * conditions of held-out events, the figure of merit against them
 * (physval::evaluate_candidate_merit). Validation and test are disjoint event sets.
 */
class GanEvaluator final : public evolve::CandidateEvaluator
{
  public:
    GanEvaluator(evolve::GeneSpace const& space, nn::ArchitectureConfig base, train::ShowerDataset const& data,
                 std::size_t validation_events, std::size_t test_events, std::int64_t steps, std::string work_dir)
        : space_(space), base_(std::move(base)), data_(data), steps_(steps), work_dir_(std::move(work_dir))
    {
        auto const& reader = data_.reader();
        auto const first = data_.train_size();
        validation_ = std::make_shared<physval::ShowerSample>(
            physval::sample_from_batch(reader.read(first, validation_events), "validation", "training data"));
        test_ = std::make_shared<physval::ShowerSample>(physval::sample_from_batch(
            reader.read(first + validation_events, test_events), "test", "training data"));
        validation_features_ = std::make_shared<physval::FeatureTable const>(
            physval::compute_features(*validation_, options_.features));
        test_features_ =
            std::make_shared<physval::FeatureTable const>(physval::compute_features(*test_, options_.features));
    }

    nn::ArchitectureConfig config_of(std::vector<float> const& genes) const
    {
        auto config = base_;
        auto const& all = space_.genes();
        for (std::size_t i = 0; i < all.size(); ++i)
        {
            double const v = all[i].value(genes[i]);
            auto const& name = all[i].name;
            if (name == "learning_rate")
                config.train.learning_rate = v;
            else if (name.rfind("loss_weight.", 0) == 0)
                config.train.loss_weights.at(std::stoul(name.substr(12))) = v;
            else if (name == "batch")
                config.train.batch_size = static_cast<int>(std::llround(v));
            else if (name == "generator.blocks.0.filters")
                config.generator.blocks.at(0).filters = static_cast<int>(std::llround(v));
            else if (name == "discriminator.blocks.0.filters")
                config.discriminator.blocks.at(0).filters = static_cast<int>(std::llround(v));
        }
        nn::validate(config);
        return config;
    }

    evolve::CandidateResult evaluate(std::vector<float> const& genes, std::uint64_t seed) const override
    {
        auto const start = std::chrono::steady_clock::now();
        auto const config = config_of(genes);
        auto const run_dir = (fs::path(work_dir_) / ("candidate-" + std::to_string(seed))).string();
        fs::remove_all(run_dir);
        fs::create_directories(run_dir);
        train::GanTrainerOptions options;
        options.run_dir = run_dir;
        options.epochs = 1;
        options.max_batches_per_epoch = steps_;
        options.seed = seed;
        options.progress = false;
        options.max_test_events = 16;
        train::GanTrainer trainer(config, data_, options);
        trainer.run();
        auto measure = [&](physval::ShowerSample const& reference, physval::FeatureTable const& features) {
            infer::ShowerGenerator generator(trainer.generator(), {});
            auto const candidate = generate_like(generator, reference, derive_seed(seed, 0, kGanValidationDomain),
                                                 "generator", false);
            return physval::evaluate_candidate_merit(features, candidate, options_);
        };
        auto const validation = measure(*validation_, *validation_features_);
        auto const test = measure(*test_, *test_features_);
        fs::remove_all(run_dir);
        evolve::CandidateResult result;
        result.validation_error = std::isfinite(validation.figure_of_merit) ? validation.figure_of_merit : std::nan("");
        result.test_error = test.figure_of_merit;
        for (auto const& p : trainer.generator()->parameters())
            result.parameters += p.numel();
        for (auto const& p : trainer.discriminator()->parameters())
            result.parameters += p.numel();
        result.details = {{"validation_sampling_fraction_mre", validation.sampling_fraction_mean_relative_error},
                          {"test_sampling_fraction_mre", test.sampling_fraction_mean_relative_error},
                          {"batches", steps_},
                          {"config", {{"learning_rate", config.train.learning_rate},
                                      {"loss_weights", config.train.loss_weights},
                                      {"batch_size", config.train.batch_size},
                                      {"generator.blocks.0.filters", config.generator.blocks.at(0).filters},
                                      {"discriminator.blocks.0.filters", config.discriminator.blocks.at(0).filters}}}};
        result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        return result;
    }

  private:
    evolve::GeneSpace const& space_;
    nn::ArchitectureConfig base_;
    train::ShowerDataset const& data_;
    std::int64_t steps_;
    std::string work_dir_;
    physval::ValidationOptions options_;
    std::shared_ptr<physval::ShowerSample> validation_;
    std::shared_ptr<physval::ShowerSample> test_;
    std::shared_ptr<physval::FeatureTable const> validation_features_;
    std::shared_ptr<physval::FeatureTable const> test_features_;
};

//! One search (the main one or the random baseline) in either mode, with
//! its state for checkpoints and its report.
class SearchRun
{
  public:
    SearchRun(evolve::GeneSpace const& space, evolve::Mutation const& mutation,
              evolve::CandidateEvaluator const& evaluator, Communicator const& comm, evolve::SearchOptions options,
              bool asynchronous)
        : comm_(comm), asynchronous_(asynchronous)
    {
        if (asynchronous)
            steady_.emplace(space, mutation, evaluator, comm, options);
        else
            generational_.emplace(space, mutation, evaluator, comm, options);
    }

    //! Run to the end of the budget; `checkpoint` (rank 0) after each step.
    void run(std::function<void()> const& checkpoint, std::string const& label)
    {
        if (steady_)
        {
            steady_->run(checkpoint);
            return;
        }
        auto& search = *generational_;
        while (!search.done())
        {
            auto const& s = search.step();
            if (comm_.is_root())
            {
                spdlog::info("{} generation {}: {} candidates trained, best validation error {:.4f} (test {:.4f}), "
                             "{:.1f} s, load balance {:.2f}",
                             label, s.generation, s.evaluations, s.best_validation_error, s.best_test_error,
                             s.wall_seconds, s.load_balance);
                checkpoint();
            }
        }
    }

    nlohmann::json state() const { return steady_ ? steady_->state() : generational_->state(); }
    void restore(nlohmann::json const& state)
    {
        if (steady_)
            steady_->restore(state);
        else
            generational_->restore(state);
    }
    std::vector<evolve::CandidateRecord> const& records() const
    {
        return steady_ ? steady_->records() : generational_->records();
    }
    std::size_t best() const { return steady_ ? steady_->best() : generational_->population().front(); }

    //! Candidates, best-so-far curve, Pareto front, throughput, load balance.
    nlohmann::json report(evolve::GeneSpace const& space) const
    {
        auto const& records = this->records();
        nlohmann::json out;
        out["mode"] = asynchronous_ ? "asynchronous" : "generational";
        out["ranks"] = comm_.size();
        auto candidates = nlohmann::json::array();
        std::vector<double> busy(static_cast<std::size_t>(comm_.size()), 0.0);
        double busy_total = 0;
        for (auto const& r : records)
        {
            auto c = evolve::to_json(r);
            c["gene_values"] = space.to_json(r.genes);
            candidates.push_back(std::move(c));
            busy_total += r.result.seconds;
        }
        out["candidates"] = std::move(candidates);
        // Best so far (validation), in the order candidates were finished.
        auto curve = nlohmann::json::array();
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < records.size(); ++i)
        {
            if (!best || evolve::better_error(records[i].result.validation_error,
                                              records[*best].result.validation_error))
                best = i;
            curve.push_back({{"evaluations", i + 1},
                             {"validation_error", records[*best].result.validation_error},
                             {"test_error", records[*best].result.test_error}});
        }
        out["best_so_far"] = std::move(curve);
        auto const b = this->best();
        out["best"] = evolve::to_json(records[b]);
        out["best"]["gene_values"] = space.to_json(records[b].genes);
        out["test_error"] = records[b].result.test_error;
        out["validation_error"] = records[b].result.validation_error;
        out["pareto_front"] = evolve::pareto_front(records);
        double wall = 0;
        if (steady_)
        {
            wall = steady_->wall_seconds();
            busy = steady_->rank_busy_seconds();
        }
        else
        {
            auto generations = nlohmann::json::array();
            for (auto const& s : generational_->generations())
            {
                generations.push_back(evolve::to_json(s));
                wall += s.wall_seconds;
                for (std::size_t r = 0; r < s.rank_busy_seconds.size() && r < busy.size(); ++r)
                    busy[r] += s.rank_busy_seconds[r];
            }
            out["generations"] = std::move(generations);
        }
        out["evaluations"] = records.size();
        out["wall_seconds"] = wall;
        out["candidate_seconds"] = busy_total;
        out["candidates_per_second"] = wall > 0 ? static_cast<double>(records.size()) / wall : 0.0;
        // Load balance: mean over max of the ranks' busy time, and the
        // fraction of rank time spent training (1: no rank ever waited).
        out["load_balance"] = {{"rank_busy_seconds", busy},
                               {"balance", evolve::load_balance(busy)},
                               {"busy_fraction", wall > 0 ? busy_total / (wall * comm_.size()) : 0.0}};
        return out;
    }

  private:
    Communicator const& comm_;
    bool asynchronous_;
    std::optional<evolve::PopulationSearch> generational_;
    std::optional<evolve::AsynchronousSearch> steady_;
};

void search_run(SearchCommandOptions const& opt, Communicator const& comm)
{
    validate(opt);
    auto const baselines = compared_baselines(opt);
    auto const weights = evolve::parse_weight_training(opt.weights);
    bool const regressor_target = opt.target == "regressor";
    // Gene spaces validate their ranges before anything is read.
    std::optional<evolve::ArchitectureSpace> architectures;
    std::optional<nn::ArchitectureConfig> gan_config;
    std::optional<evolve::GeneSpace> gan_genes;
    if (regressor_target)
        architectures.emplace(architecture_ranges(opt));
    else
    {
        CALO_VALIDATE_USAGE(fs::exists(opt.config) || opt.config == "a" || opt.config == "b",
                            "--config " + opt.config + " does not exist — pass configs/3dgan-a.toml or a preset name");
        gan_config = nn::is_preset_name(opt.config) ? nn::preset(opt.config) : nn::load_config(opt.config);
        gan_genes.emplace(gan_gene_space(opt, *gan_config));
    }
    auto const& genes = regressor_target ? architectures->genes() : *gan_genes;
    evolve::GeneMutation const mutation(genes, {opt.mutation_rate});
    if (opt.dump_config)
    {
        if (comm.is_root())
        {
            auto c = full_config(opt);
            c["gene_space"] = genes.describe();
            std::cout << c.dump(2) << '\n';
        }
        return;
    }
    CALO_VALIDATE_USAGE(!opt.data.empty(), "--data is required");
    CALO_VALIDATE_USAGE(!opt.out.empty(), "-o/--output is required");
    configure_threads(opt.threads);

    auto const checkpoint_path = (fs::path(opt.out) / "checkpoint.json").string();
    std::string checkpoint_text;
    std::optional<OutputLock> lock;  // rank 0 writes the folder
    if (comm.is_root())
    {
        lock.emplace(OutputLock::for_folder(opt.out));
        bool const has_checkpoint = fs::exists(checkpoint_path);
        CALO_VALIDATE(opt.resume || !has_checkpoint, "output folder already has a search checkpoint (where: " + opt.out
                                                         + ") — pass --resume to continue it or choose another -o");
        CALO_VALIDATE(!opt.resume || has_checkpoint,
                      "nothing to resume (where: " + opt.out + " has no checkpoint.json) — drop --resume");
        if (opt.resume)
        {
            std::ifstream in(checkpoint_path);
            std::stringstream buffer;
            buffer << in.rdbuf();
            checkpoint_text = buffer.str();
        }
    }

    io::DatasetReader const reader(opt.data);
    auto config = result_config(opt);
    // Regressor data: projected, on every rank (each trains whole candidates).
    evolve::ProjectedShowers train, validation, test;
    std::optional<train::ShowerDataset> gan_data;
    std::unique_ptr<evolve::CandidateEvaluator> evaluator;
    std::unique_ptr<evolve::RegressorEvaluator> regressor_evaluator;
    // 3DGAN candidates train in run folders of their own, removed after each.
    auto const work = (fs::path(opt.out) / ("candidates-rank" + std::to_string(comm.rank()))).string();
    auto const n_train = static_cast<std::size_t>(opt.events);
    auto const n_validation = static_cast<std::size_t>(opt.validation_events);
    auto const n_test = static_cast<std::size_t>(opt.test_events);
    CALO_VALIDATE(reader.num_events() >= n_train + n_validation + n_test,
                  "the data have " + std::to_string(reader.num_events()) + " events, fewer than --events + "
                      "--validation-events + --test-events = " + std::to_string(n_train + n_validation + n_test)
                      + " (where: " + opt.data.front() + ") — use fewer or simulate more");
    if (regressor_target)
    {
        train = evolve::project_showers(reader, 0, n_train);
        validation = evolve::project_showers(reader, n_train, n_validation);
        test = evolve::project_showers(reader, n_train + n_validation, n_test);
        evolve::RegressorTrainingOptions training;
        training.epochs = opt.epochs_per_candidate;
        training.weights = weights;
        regressor_evaluator =
            std::make_unique<evolve::RegressorEvaluator>(*architectures, train, validation, test, training);
        double energy_sum = 0;
        for (float e : train.energy_gev)
            energy_sum += e;
        config["train_energy_sum_gev"] = energy_sum;  // the same data, cheaply
    }
    else
    {
        train::ShowerDataset::Options data_options;
        data_options.max_events = n_train + n_validation + n_test;
        data_options.test_fraction = static_cast<double>(n_validation + n_test) / data_options.max_events;
        data_options.seed = opt.seed;
        gan_data.emplace(io::DatasetReader(opt.data), nn::preprocess_options(*gan_config), data_options);
        CALO_VALIDATE(gan_data->test_size() >= n_validation + n_test,
                      "the held-out split is too small for --validation-events + --test-events — use more events");
        evaluator = std::make_unique<GanEvaluator>(*gan_genes, *gan_config, *gan_data, n_validation, n_test,
                                                   opt.steps_per_candidate, work);
    }
    evolve::CandidateEvaluator const& fitness =
        regressor_target ? static_cast<evolve::CandidateEvaluator const&>(*regressor_evaluator) : *evaluator;
    if (comm.size() > 1)
    {
        auto const mismatch = train::DataParallel::find_mismatch(comm, config);
        if (!mismatch.empty())
        {
            if (comm.is_root())
                throw InputError(mismatch);
            comm.barrier();
        }
    }

    // The checkpoint: config, and the state of every search done or under way.
    checkpoint_text = broadcast_text(comm, checkpoint_text);
    nlohmann::json saved = nlohmann::json::object();
    if (opt.resume)
    {
        try
        {
            auto const checkpoint = nlohmann::json::parse(checkpoint_text);
            CALO_VALIDATE(checkpoint.value("format", "") == kCheckpointFormat,
                          "not a search checkpoint (where: " + checkpoint_path + ") — start a new search");
            auto const difference = first_difference(config, checkpoint.at("config"));
            CALO_VALIDATE(difference.empty(), "the checkpoint was made with other settings (" + difference + ", where: "
                                                  + checkpoint_path
                                                  + ") — resume with the same settings or start a new search");
            saved = checkpoint.at("searches");
        }
        catch (nlohmann::json::exception const& e)
        {
            throw InputError("damaged checkpoint (where: " + checkpoint_path + ": " + e.what()
                             + ") — start a new search");
        }
    }
    nlohmann::json searches = saved;
    auto write_checkpoint = [&] {
        write_json(checkpoint_path,
                   {{"format", kCheckpointFormat}, {"config", config}, {"searches", searches}}, -1);
    };

    if (comm.is_root())
        spdlog::info("search ({}, {}): {} genes, population {}, {} elites, budget {} candidate trainings{}, {} rank(s)",
                     opt.target, opt.asynchronous ? "asynchronous steady state" : "generational", genes.size(),
                     opt.population, opt.elites, opt.budget,
                     regressor_target ? ", " + std::to_string(opt.epochs_per_candidate) + " " + opt.weights
                                            + " epoch(s) each on " + std::to_string(train.size()) + " showers"
                                      : ", " + std::to_string(opt.steps_per_candidate) + " 3DGAN batches each",
                     comm.size());
    nlohmann::json results = provenance("search");
    results["config"] = full_config(opt);
    results["config"]["train_energy_sum_gev"] = config.value("train_energy_sum_gev", 0.0);
    results["gene_space"] = genes.describe();

    auto run_search = [&](std::string const& name, bool random) {
        auto options = search_options(opt);
        options.random = random;
        SearchRun run(genes, mutation, fitness, comm, options, opt.asynchronous);
        if (saved.contains(name))
            run.restore(saved.at(name));
        run.run(
            [&] {
                searches[name] = run.state();
                write_checkpoint();
            },
            name);
        if (comm.is_root())
        {
            searches[name] = run.state();
            write_checkpoint();
            results[name] = run.report(genes);
            auto const& best = run.records()[run.best()];
            spdlog::info("{}: best validation error {:.4f}, test error {:.4f} after {} candidates ({:.2f}/s)", name,
                         best.result.validation_error, best.result.test_error, run.records().size(),
                         results[name]["candidates_per_second"].get<double>());
        }
    };
    run_search("search", false);
    if (std::find(baselines.begin(), baselines.end(), "random") != baselines.end())
        run_search("random", true);
    if (!regressor_target)
        fs::remove_all(work);
    if (!comm.is_root())
        return;

    if (std::find(baselines.begin(), baselines.end(), "seed") != baselines.end())
    {
        // The paper's fixed network, the same budget (candidate trainings x epochs
        // per candidate) spent on one RMSprop training, checked every
        // --epochs-per-candidate epochs; the best validation point counts.
        auto const epochs = opt.budget * opt.epochs_per_candidate;
        spdlog::info("fixed-network baseline: the 1 conv + 1 dense network, {} RMSprop epochs", epochs);
        auto const points = regressor_evaluator->train_paper_network(derive_seed(opt.seed, 0, kFixedBaselineDomain),
                                                                    epochs, opt.epochs_per_candidate);
        auto curve = nlohmann::json::array();
        std::size_t best = 0;
        for (std::size_t i = 0; i < points.size(); ++i)
        {
            if (evolve::better_error(points[i].validation_error, points[best].validation_error))
                best = i;
            curve.push_back({{"epochs", points[i].epochs},
                             {"evaluations", static_cast<double>(points[i].epochs) / opt.epochs_per_candidate},
                             {"validation_error", points[i].validation_error},
                             {"test_error", points[i].test_error},
                             {"best_validation_error", points[best].validation_error},
                             {"best_test_error", points[best].test_error},
                             {"seconds", points[i].seconds}});
        }
        evolve::ConvRegressor const seed_network(train.rows, train.cols,
                                                 evolve::fitted(evolve::paper_architecture(), train.rows, train.cols));
        results["seed"] = {{"architecture", evolve::to_json(evolve::paper_architecture())},
                           {"parameters", seed_network.space().size()},
                           {"operations", seed_network.operations()},
                           {"epochs", epochs},
                           {"curve", std::move(curve)},
                           {"best_epochs", points[best].epochs},
                           {"validation_error", points[best].validation_error},
                           {"test_error", points[best].test_error},
                           {"one_candidate_test_error", points.front().test_error},
                           {"seconds", points.back().seconds}};
        spdlog::info("fixed-network baseline: test error {:.4f} (best validation after {} epochs; {:.4f} after {})",
                     points[best].test_error, points[best].epochs, points.front().test_error,
                     opt.epochs_per_candidate);
    }

    if (regressor_target)
    {
        results["data"] = {{"inputs", opt.data},
                           {"train_events", train.size()},
                           {"validation_events", validation.size()},
                           {"test_events", test.size()},
                           {"projection", "cell energies [GeV] summed over y: (x, layer) images"}};
        // The best architecture, for `evolve --architecture` (and for people).
        auto const& best = results["search"]["best"];
        nlohmann::json exported = provenance("search");
        exported["architecture"] = best["result"]["details"]["architecture"];
        exported["validation_error"] = best["result"]["validation_error"];
        exported["test_error"] = best["result"]["test_error"];
        exported["genome"] = best["genome"];
        exported["search_config"] = full_config(opt);
        auto const exported_path = (fs::path(opt.out) / "best_architecture.json").string();
        write_json(exported_path, exported, 2);
        results["best_architecture_file"] = exported_path;
    }
    else
    {
        results["data"] = {{"inputs", opt.data},
                           {"train_events", gan_data->train_size()},
                           {"validation_events", n_validation},
                           {"test_events", n_test},
                           {"fitness", "figure of merit after --steps-per-candidate batches (lower is better)"}};
        auto const& best = results["search"]["best"];
        write_json((fs::path(opt.out) / "best_config.json").string(), best["result"]["details"]["config"], 2);
    }
    auto const results_path = (fs::path(opt.out) / "results.json").string();
    write_json(results_path, results);
    if (!opt.no_plots)
    {
        try
        {
            run_plot_script("search_plots.py", {results_path, opt.out});
        }
        catch (InputError const& e)
        {
            spdlog::warn("plots not drawn: {} (results.json is complete)", e.what());
        }
    }
    spdlog::info("results in {}", results_path);
}

void run_search_command(SearchCommandOptions const& opt)
{
    run_on_all_ranks([&](Communicator const& comm) { search_run(opt, comm); });
}
}  // namespace

void add_search_command(CLI::App& app)
{
    auto opt = std::make_shared<SearchCommandOptions>();
    auto* cmd = app.add_subcommand("search", "Evolve the energy regressor's architecture and training settings, or "
                                             "3DGAN's training hyper-parameters (distributed under mpirun)");
    cmd->add_option("--data", opt->data, "HDF5 files or folders with ECAL and the primary energy")->expected(1, -1);
    cmd->add_option("-o,--output", opt->out,
                    "Output folder: results.json, checkpoint.json, best_architecture.json, search.png, pareto.png");
    cmd->add_option("--target", opt->target, "regressor (architecture search) or 3dgan (training hyper-parameters)")
        ->capture_default_str();
    cmd->add_option("--events", opt->events, "Training events (the first ones)")->capture_default_str();
    cmd->add_option("--validation-events", opt->validation_events, "Events after them: selection")
        ->capture_default_str();
    cmd->add_option("--test-events", opt->test_events, "Events after those: reported errors only")
        ->capture_default_str();
    auto const s = "Search";
    cmd->add_option("--population", opt->population, "Candidates per generation")->capture_default_str()->group(s);
    cmd->add_option("--elites", opt->elites, "Survivors per generation, the parents of the others")
        ->capture_default_str()
        ->group(s);
    cmd->add_option("--generations", opt->generations, "Stop after this generation (0: when the budget is spent)")
        ->capture_default_str()
        ->group(s);
    cmd->add_option("--budget", opt->budget, "Candidate trainings in all, generation 0 included")
        ->capture_default_str()
        ->group(s);
    cmd->add_option("--seed", opt->seed, "Master seed of every candidate and training")->capture_default_str()->group(s);
    cmd->add_option("--mutation-rate", opt->mutation_rate, "Probability that a gene changes (at least one does)")
        ->capture_default_str()
        ->group(s);
    cmd->add_option("--mutation-power", opt->mutation_power, "Largest gene step, as a fraction of its range")
        ->capture_default_str()
        ->group(s);
    cmd->add_flag("--asynchronous", opt->asynchronous,
                  "Steady state: every rank gets a new candidate as soon as it is free (faster; results then "
                  "depend on timing)")
        ->group(s);
    cmd->add_option("--compare", opt->compare, "Baselines at the same budget: random (random search), seed (the fixed 1 conv + 1 dense network of "
                    "the AISIS 2019 paper, as in evolve), or random,seed")->group(s);
    cmd->add_flag("--resume", opt->resume, "Continue the search in -o from checkpoint.json (same settings)")->group(s);
    auto const r = "Regressor genes (--target regressor); ranges LOW:HIGH";
    cmd->add_option("--epochs-per-candidate", opt->epochs_per_candidate, "Training epochs of each candidate")
        ->capture_default_str()
        ->group(r);
    cmd->add_option("--weights", opt->weights, "Weight training: rmsprop, or ga (the GA of evolve)")
        ->capture_default_str()
        ->group(r);
    cmd->add_option("--conv-layers", opt->conv_layers, "Convolution layers (within 1:3)")->capture_default_str()->group(r);
    cmd->add_option("--filters", opt->filters, "Filters per convolution (powers of two)")->capture_default_str()->group(r);
    cmd->add_option("--kernel", opt->kernel, "Kernel per convolution [cells]")->capture_default_str()->group(r);
    cmd->add_option("--stride", opt->stride, "Stride per convolution [cells]")->capture_default_str()->group(r);
    cmd->add_option("--activations", opt->activations, "Activation choices")->capture_default_str()->group(r);
    cmd->add_option("--hidden-units", opt->hidden_units, "Hidden dense units (0 = none, or powers of two from 4)")
        ->capture_default_str()
        ->group(r);
    cmd->add_option("--bias", opt->bias, "Bias choices: no, yes or no,yes")->capture_default_str()->group(r);
    cmd->add_option("--learning-rate", opt->learning_rate, "RMSprop learning rate (log-uniform)")
        ->capture_default_str()
        ->group(r);
    cmd->add_option("--batch", opt->batch, "Batch (powers of two)")->capture_default_str()->group(r);
    auto const g = "3DGAN genes (--target 3dgan)";
    cmd->add_option("--config", opt->config, "Model config to start from")->capture_default_str()->group(g);
    cmd->add_option("--steps-per-candidate", opt->steps_per_candidate, "Training batches of each candidate")
        ->capture_default_str()
        ->group(g);
    cmd->add_option("--gan-learning-rate", opt->gan_learning_rate, "RMSprop learning rate (log-uniform)")
        ->capture_default_str()
        ->group(g);
    cmd->add_option("--gan-batch", opt->gan_batch, "Batch (powers of two)")->capture_default_str()->group(g);
    cmd->add_option("--gan-loss-weights", opt->gan_weights, "Weights of the losses after the BCE (log-uniform)")
        ->capture_default_str()
        ->group(g);
    cmd->add_option("--generator-filters", opt->generator_filters, "Filters of the generator's first block")
        ->capture_default_str()
        ->group(g);
    cmd->add_option("--discriminator-filters", opt->discriminator_filters, "Filters of the discriminator's first block")
        ->capture_default_str()
        ->group(g);
    cmd->add_option("--threads", opt->threads,
                    "CPU threads per rank (0: the cores, shared among the ranks on a node); results are the same "
                    "for any rank count at the same --threads")
        ->capture_default_str();
    cmd->add_flag("--no-plots", opt->no_plots, "Write results.json only");
    cmd->add_flag("--dump-config", opt->dump_config, "Print the resolved settings and gene space, and exit");
    cmd->callback([opt] { run_search_command(*opt); });
}
}  // namespace calo::app
