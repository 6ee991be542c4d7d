#pragma once
// The (1+lambda) evolution strategy with elitist selection of Carminati et al. 2019 (§5.1):
// M random parents, the one with the lowest loss becomes the single parent;
// each generation it has lambda children by mutation, and the best of the
// parent and its children is the next parent.
//
// Distributed: candidate k of a generation is evaluated by rank k mod size;
// the ranks sum their losses (one MPI_Allreduce of lambda + 1 doubles) and
// every rank then makes the same selection. Candidates are seed chains
// derived from the master seed, so no rank ever sends parameters, and the
// result is the same for any number of ranks.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/FitnessFunction.hh"
#include "calo3dgan/evolve/Genome.hh"
#include "calo3dgan/evolve/Mutation.hh"
#include "calo3dgan/evolve/ParameterSpace.hh"
#include "calo3dgan/evolve/StepSizeControl.hh"

namespace calo::evolve
{
//! What one generation did (generation 0: the random parents).
struct GenerationRecord
{
    std::int64_t generation = 0;
    double best_loss = 0;  //!< loss of the selected parent on this generation's data
    double mean_loss = 0;  //!< mean loss of the evaluated children (generation 0: of the random parents)
    double power = 0;  //!< mutation power the children were made with
    int successes = 0;  //!< children that beat their parent
};

class ElitistStrategy
{
  public:
    struct Options
    {
        int parents = 8;  //!< M: random parents at initialisation (Carminati et al. 2019, Table 1)
        int children = 8;  //!< lambda: children per generation (Carminati et al. 2019, Table 1)
        std::uint64_t seed = 1;  //!< master seed: ancestors and mutations derive from it
        StepSizeControl::Options step_size;
    };

    //! Keeps references to its arguments. Throws InputError for M or lambda < 1.
    ElitistStrategy(ParameterSpace const& space, Mutation const& mutation, FitnessFunction const& fitness,
                    Communicator const& comm, Options options);

    //! Generation 0: draw and evaluate M random parents; the best is the parent.
    GenerationRecord initialize();
    //! The next generation: lambda children of the parent, evaluated with it
    //! (again, on the new generation's data, so that selection compares
    //! like with like); the lowest loss wins, the parent on ties.
    GenerationRecord step();

    bool initialized() const { return initialized_; }
    //! Index of the last generation done (0 after initialize).
    std::int64_t generation() const { return generation_; }
    Genome const& elite() const { return elite_; }
    //! The parent's loss on the data of the last generation.
    double elite_loss() const { return elite_loss_; }
    std::vector<float> const& elite_parameters() const { return elite_parameters_; }
    //! Fitness evaluations so far, by all ranks together.
    std::int64_t evaluations() const { return evaluations_; }
    double power() const { return step_size_.power(); }

    //! The whole population state: parent, the last generation's candidates
    //! with their losses, step-size state, counters. Seeds only.
    nlohmann::json state() const;
    //! Continue from state(): the parent's parameters are rebuilt from its
    //! seed chain. Throws InputError for a malformed state.
    void restore(nlohmann::json const& state);

    Options const& options() const { return options_; }

  private:
    //! Seed of child `child` of generation `generation`, or of random parent `child` for generation 0.
    std::uint64_t candidate_seed(std::int64_t generation, int child) const;
    //! Losses of `count` candidates: this rank builds and evaluates its share
    //! (make(k) for k = rank, rank + size, ...), then the losses are summed over ranks.
    template<class Make>
    std::vector<double> evaluate_shared(int count, std::int64_t generation, Make make);

    ParameterSpace const& space_;
    Mutation const& mutation_;
    FitnessFunction const& fitness_;
    Communicator const& comm_;
    Options options_;
    StepSizeControl step_size_;

    bool initialized_ = false;
    std::int64_t generation_ = 0;
    std::int64_t evaluations_ = 0;
    Genome elite_;
    double elite_loss_ = 0;
    std::vector<float> elite_parameters_;
    // The last generation, for the checkpoint: its parent and candidate losses.
    Genome last_parent_;
    std::vector<MutationStep> last_children_;
    std::vector<double> last_losses_;
};
}  // namespace calo::evolve
