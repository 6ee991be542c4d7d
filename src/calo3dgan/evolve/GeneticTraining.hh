#pragma once
// Runs an ElitistStrategy for a number of generations: a per-generation log
// of best and mean fitness, a loss history of the parent on the epoch axis,
// checkpoints of the whole population (seeds only), resume and Ctrl-C.
// Problem-agnostic: what the parameters mean is left to the FitnessFunction
// and the monitor.
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/ElitistStrategy.hh"
#include "calo3dgan/evolve/LossHistory.hh"

namespace calo::evolve
{
//! Best and mean fitness per generation (index = generation).
struct GenerationLog
{
    std::vector<double> best_loss;
    std::vector<double> mean_loss;
    std::vector<double> power;
    std::vector<int> successes;

    void add(GenerationRecord const& record);
    std::size_t size() const { return best_loss.size(); }
    nlohmann::json to_json() const;
    static GenerationLog from_json(nlohmann::json const& json);
};

class GeneticTraining
{
  public:
    //! (train loss, test loss) of a parameter vector on the whole data sets.
    using Monitor = std::function<std::pair<double, double>(std::vector<float> const&)>;

    struct Options
    {
        std::int64_t generations = 100;  //!< run until this generation is done
        std::int64_t batches_per_epoch = 1;  //!< for the epoch axis: generation g consumes minibatch g
        std::int64_t history_every = 0;  //!< minibatches between loss-history points (0: one epoch)
        std::int64_t log_every = 0;  //!< generations between info log lines (0: one epoch)
        std::int64_t checkpoint_every = 0;  //!< generations between checkpoints (0: at the end and on Ctrl-C only)
        std::string checkpoint_path;  //!< empty: no checkpoints
        //! Settings that decide the result: stored in checkpoints, and a
        //! resumed run must have the same.
        nlohmann::json run_config = nlohmann::json::object();
    };

    //! The monitor runs on rank 0 only; the history exists there only.
    GeneticTraining(ElitistStrategy& strategy, Monitor monitor, Communicator const& comm, Options options);

    //! Continue from options.checkpoint_path: rank 0 reads it and broadcasts
    //! it (seeds, losses and logs: no parameters). Throws InputError when it
    //! is unreadable, was made with other settings or is past `generations`.
    void resume();
    //! Initialise (unless resumed) and evolve up to options.generations.
    //! On Ctrl-C (on any rank) rank 0 writes a checkpoint, then every rank
    //! throws calo::Interrupted.
    void run();

    LossHistory const& history() const { return history_; }
    GenerationLog const& log() const { return log_; }
    //! Training wall time [s] over all sessions, history evaluations excluded.
    double seconds() const { return seconds_; }
    //! Everything a checkpoint holds.
    nlohmann::json checkpoint() const;
    void write_checkpoint() const;

  private:
    void after_generation(GenerationRecord const& record, double generation_seconds);
    bool on_history_grid(std::int64_t minibatches) const;

    ElitistStrategy& strategy_;
    Monitor monitor_;
    Communicator const& comm_;
    Options options_;
    LossHistory history_;
    GenerationLog log_;
    double seconds_ = 0;
    double window_seconds_ = 0;  // since the last info line
    std::int64_t window_evaluations_ = 0;
};
}  // namespace calo::evolve
