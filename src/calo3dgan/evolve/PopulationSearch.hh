#pragma once
// Generational elitist search over genes (a (mu + lambda) strategy, the
// (1 + lambda) of the AISIS 2019 paper generalised to a population): generation 0 is
// `population` random candidates; each later generation mutates the
// `elites` best into population - elites children, and the best `elites` of
// parents and children survive. With options.random every candidate is a
// fresh random one instead (random search, the baseline at equal budget).
//
// Distributed like ElitistStrategy: new candidate k of a generation is
// trained by rank k mod size, the ranks gather the results (one allgather of
// small JSON texts) and all make the same selection. Candidates are seed
// chains and their training is a pure function of (genes, seed), so a
// generation's results are the same for any number of ranks.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/CandidateEvaluator.hh"
#include "calo3dgan/evolve/GeneSpace.hh"
#include "calo3dgan/evolve/Mutation.hh"
#include "calo3dgan/evolve/SearchOptions.hh"

namespace calo::evolve
{
//! What one generation did.
struct GenerationSummary
{
    std::int64_t generation = 0;
    std::int64_t evaluations = 0;  //!< candidate trainings so far
    std::int64_t best = 0;  //!< record index of the best candidate so far (validation)
    double best_validation_error = 0;
    double best_test_error = 0;  //!< of that candidate (reported, never used)
    double wall_seconds = 0;  //!< the generation on rank 0, waiting included
    std::vector<double> rank_busy_seconds;  //!< training time of each rank's candidates
    double load_balance = 1;  //!< mean / max of rank_busy_seconds
};
nlohmann::json to_json(GenerationSummary const& summary);
GenerationSummary generation_summary_from_json(nlohmann::json const& json);

class PopulationSearch
{
  public:
    //! Keeps references to its arguments. Throws UsageError for bad options.
    PopulationSearch(GeneSpace const& space, Mutation const& mutation, CandidateEvaluator const& evaluator,
                     Communicator const& comm, SearchOptions options);

    //! True when the budget (or the generations) are spent.
    bool done() const;
    //! Generation 0, or the next one; every rank must call it.
    GenerationSummary const& step();

    //! Every candidate evaluated, in order of issue (identical on all ranks).
    std::vector<CandidateRecord> const& records() const { return records_; }
    //! Record indices of the survivors, best first.
    std::vector<std::size_t> const& population() const { return population_; }
    CandidateRecord const& best() const;
    std::vector<GenerationSummary> const& generations() const { return summaries_; }
    //! -1 before generation 0.
    std::int64_t generation() const { return generation_; }
    std::int64_t evaluations() const { return static_cast<std::int64_t>(records_.size()); }
    SearchOptions const& options() const { return options_; }

    //! Records, survivors (as record indices, i.e. seed chains) and summaries.
    nlohmann::json state() const;
    //! Continue from state(). Throws InputError for a malformed state.
    void restore(nlohmann::json const& state);

  private:
    //! Train `genomes` (shared over the ranks) and append their records.
    void evaluate(std::vector<Genome> const& genomes, std::vector<std::int64_t> const& generations,
                  GenerationSummary& summary);

    GeneSpace const& space_;
    Mutation const& mutation_;
    CandidateEvaluator const& evaluator_;
    Communicator const& comm_;
    SearchOptions options_;
    std::int64_t generation_ = -1;
    std::vector<CandidateRecord> records_;
    std::vector<std::size_t> population_;
    std::vector<GenerationSummary> summaries_;
};
}  // namespace calo::evolve
