#include "calo3dgan/evolve/GeneticTraining.hh"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <spdlog/spdlog.h>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"

namespace calo::evolve
{
namespace
{
using Clock = std::chrono::steady_clock;

std::vector<double> doubles(nlohmann::json const& array)
{
    std::vector<double> out;
    for (auto const& v : array)
        out.push_back(v.is_null() ? std::nan("") : v.get<double>());
    return out;
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

//! First setting whose value differs, as "key: a vs b", or empty.
std::string first_difference(nlohmann::json const& expected, nlohmann::json const& found)
{
    for (auto it = expected.begin(); it != expected.end(); ++it)
    {
        auto const other = found.find(it.key());
        if (other == found.end() || *other != it.value())
            return it.key() + " = " + it.value().dump() + " now, "
                   + (other == found.end() ? std::string("absent") : other->dump()) + " in the checkpoint";
    }
    for (auto it = found.begin(); it != found.end(); ++it)
        if (!expected.contains(it.key()))
            return it.key() + " is in the checkpoint only";
    return {};
}
}  // namespace

void GenerationLog::add(GenerationRecord const& record)
{
    best_loss.push_back(record.best_loss);
    mean_loss.push_back(record.mean_loss);
    power.push_back(record.power);
    successes.push_back(record.successes);
}

nlohmann::json GenerationLog::to_json() const
{
    return {{"best_loss", best_loss}, {"mean_loss", mean_loss}, {"mutation_power", power}, {"successes", successes}};
}

GenerationLog GenerationLog::from_json(nlohmann::json const& json)
{
    GenerationLog log;
    log.best_loss = doubles(json.at("best_loss"));
    log.mean_loss = doubles(json.at("mean_loss"));
    log.power = doubles(json.at("mutation_power"));
    log.successes = json.at("successes").get<std::vector<int>>();
    return log;
}

GeneticTraining::GeneticTraining(ElitistStrategy& strategy, Monitor monitor, Communicator const& comm, Options options)
    : strategy_(strategy), monitor_(std::move(monitor)), comm_(comm), options_(std::move(options))
{
    CALO_VALIDATE(options_.generations >= 0, "the number of generations must not be negative");
    CALO_VALIDATE(options_.batches_per_epoch >= 1, "an epoch must have at least one minibatch");
    if (options_.history_every <= 0)
        options_.history_every = options_.batches_per_epoch;
    if (options_.log_every <= 0)
        options_.log_every = options_.batches_per_epoch;
}

bool GeneticTraining::on_history_grid(std::int64_t minibatches) const
{
    return minibatches == 1 || minibatches % options_.history_every == 0;
}

nlohmann::json GeneticTraining::checkpoint() const
{
    return {{"format", "calo3dgan-evolve-checkpoint-1"},
            {"config", options_.run_config},
            {"strategy", strategy_.state()},
            {"generation_log", log_.to_json()},
            {"history", history_.to_json()},
            {"seconds", seconds_}};
}

void GeneticTraining::write_checkpoint() const
{
    if (options_.checkpoint_path.empty() || !comm_.is_root())
        return;
    write_file_atomically(options_.checkpoint_path, checkpoint().dump() + '\n', "the checkpoint");
}

void GeneticTraining::resume()
{
    CALO_VALIDATE(!options_.checkpoint_path.empty(), "no checkpoint path to resume from");
    std::string text;
    if (comm_.is_root())
    {
        std::ifstream in(options_.checkpoint_path);
        CALO_VALIDATE(in.good(), "nothing to resume (where: " + options_.checkpoint_path
                                     + " cannot be read) — drop --resume to start a new run");
        std::stringstream buffer;
        buffer << in.rdbuf();
        text = buffer.str();
    }
    text = broadcast_text(comm_, std::move(text));
    nlohmann::json state;
    try
    {
        state = nlohmann::json::parse(text);
        CALO_VALIDATE(state.value("format", "") == "calo3dgan-evolve-checkpoint-1",
                      "not an evolve checkpoint (where: " + options_.checkpoint_path + ") — start a new run");
        auto const difference = first_difference(options_.run_config, state.at("config"));
        CALO_VALIDATE(difference.empty(), "the checkpoint was made with other settings (" + difference + ", where: "
                                              + options_.checkpoint_path
                                              + ") — resume with the same settings or start a new run");
        strategy_.restore(state.at("strategy"));
        log_ = GenerationLog::from_json(state.at("generation_log"));
        history_ = LossHistory::from_json(state.at("history"));
        seconds_ = state.at("seconds").get<double>();
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError("damaged checkpoint (where: " + options_.checkpoint_path + ": " + e.what()
                         + ") — start a new run");
    }
    auto const generation = strategy_.generation();
    CALO_VALIDATE(generation <= options_.generations,
                  "the checkpoint is at generation " + std::to_string(generation) + ", beyond --generations "
                      + std::to_string(options_.generations) + " — ask for at least that many");
    // The end-of-run point of the last session is off the grid; an
    // uninterrupted run would not have it.
    if (history_.size() > 0 && !on_history_grid(history_.minibatches.back()) && generation < options_.generations)
        history_.truncate(history_.minibatches.back() - 1);
    if (comm_.is_root())
        spdlog::info("resuming the GA at generation {} (parent loss {:.4g}, mutation power {:.4g})", generation,
                     strategy_.elite_loss(), strategy_.power());
}

void GeneticTraining::after_generation(GenerationRecord const& record, double generation_seconds)
{
    seconds_ += generation_seconds;
    window_seconds_ += generation_seconds;
    log_.add(record);
    auto const g = record.generation;
    auto const minibatches = g + 1;
    double const epoch = static_cast<double>(minibatches) / options_.batches_per_epoch;
    bool const last = g == options_.generations;
    bool const log_line = g == 0 || minibatches % options_.log_every == 0 || last;
    spdlog::debug("generation {}: best {:.5f}, mean {:.5f}, power {:.4g}, {} better", g, record.best_loss,
                  record.mean_loss, record.power, record.successes);
    if (comm_.is_root() && (on_history_grid(minibatches) || last))
    {
        auto const [train_loss, test_loss] = monitor_(strategy_.elite_parameters());
        history_.add(minibatches, epoch, train_loss, test_loss, seconds_);
        if (log_line)
            spdlog::info("generation {}/{} (epoch {:.1f}): best {:.4f}, mean {:.4f}, power {:.3g}; parent train "
                         "{:.4f}, test {:.4f}; {:.0f} evaluations/s",
                         g, options_.generations, epoch, record.best_loss, record.mean_loss, record.power,
                         train_loss, test_loss,
                         window_seconds_ > 0 ? (strategy_.evaluations() - window_evaluations_) / window_seconds_ : 0.0);
    }
    else if (comm_.is_root() && log_line)
        spdlog::info("generation {}/{} (epoch {:.1f}): best {:.4f}, mean {:.4f}, power {:.3g}", g,
                     options_.generations, epoch, record.best_loss, record.mean_loss, record.power);
    if (log_line)
    {
        window_seconds_ = 0;
        window_evaluations_ = strategy_.evaluations();
    }
}

void GeneticTraining::run()
{
    window_evaluations_ = strategy_.evaluations();
    if (!strategy_.initialized())
    {
        auto const start = Clock::now();
        auto const record = strategy_.initialize();
        after_generation(record, std::chrono::duration<double>(Clock::now() - start).count());
    }
    while (strategy_.generation() < options_.generations)
    {
        // Every rank stops at the same generation, wherever the signal landed.
        if (comm_.any(interrupt_requested()))
        {
            write_checkpoint();
            if (comm_.is_root())
                spdlog::warn("interrupted at generation {}: checkpoint written, continue with --resume",
                             strategy_.generation());
            throw Interrupted();
        }
        auto const start = Clock::now();
        auto const record = strategy_.step();
        after_generation(record, std::chrono::duration<double>(Clock::now() - start).count());
        if (options_.checkpoint_every > 0 && record.generation % options_.checkpoint_every == 0)
            write_checkpoint();
    }
    write_checkpoint();
}
}  // namespace calo::evolve
