#pragma once
// Steady-state search (--asynchronous): no generations; whenever a rank
// finishes a candidate it gets the next one at once, a child of one of the
// `elites` best candidates finished so far (or a random one among the first
// `population`). Rank 0 coordinates from its main thread (MPI funnelled
// there) and trains on a second thread; the other ranks only train.
//
// The trade-off: every rank stays busy however much candidates differ in
// cost, but which parents a child gets depends on which candidates have
// finished when it is issued, i.e. on timing: the result is no longer the
// same for every rank count (nor between two runs on several ranks). On one
// rank it is reproducible.
#include <cstdint>
#include <functional>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/CandidateEvaluator.hh"
#include "calo3dgan/evolve/GeneSpace.hh"
#include "calo3dgan/evolve/Mutation.hh"
#include "calo3dgan/evolve/SearchOptions.hh"

namespace calo::evolve
{
class AsynchronousSearch
{
  public:
    //! Keeps references to its arguments. Throws UsageError for bad options.
    AsynchronousSearch(GeneSpace const& space, Mutation const& mutation, CandidateEvaluator const& evaluator,
                       Communicator const& comm, SearchOptions options);

    //! Train candidates until the budget is spent; every rank calls it.
    //! `after_each` runs on rank 0 after each finished candidate (checkpoints).
    void run(std::function<void()> const& after_each = {});

    //! Rank 0: the finished candidates in order of completion.
    std::vector<CandidateRecord> const& records() const { return records_; }
    //! Rank 0: record index of the best candidate.
    std::size_t best() const;
    //! Rank 0: training time of each rank's candidates, and the wall time of
    //! all sessions [s].
    std::vector<double> const& rank_busy_seconds() const { return busy_; }
    double wall_seconds() const { return wall_seconds_; }

    nlohmann::json state() const;
    void restore(nlohmann::json const& state);

  private:
    //! Rank 0: the genome of candidate `index` and the generation it counts as.
    std::pair<Genome, std::int64_t> issue(std::int64_t index) const;
    void add(CandidateRecord record);
    void run_alone(std::function<void()> const& after_each);
    void coordinate(std::function<void()> const& after_each);
    void work();

    GeneSpace const& space_;
    Mutation const& mutation_;
    CandidateEvaluator const& evaluator_;
    Communicator const& comm_;
    SearchOptions options_;
    std::vector<CandidateRecord> records_;
    std::int64_t next_index_ = 0;
    std::vector<double> busy_;
    double wall_seconds_ = 0;
};
}  // namespace calo::evolve
