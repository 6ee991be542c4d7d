#pragma once
// Settings shared by the generational (PopulationSearch) and the
// steady-state (AsynchronousSearch) search, and the seeds of their
// candidates: every candidate is a seed chain derived from the master seed.
#include <cstdint>
#include <vector>

#include "calo3dgan/evolve/CandidateEvaluator.hh"
#include "calo3dgan/evolve/Genome.hh"

namespace calo::evolve
{
struct SearchOptions
{
    int population = 8;  //!< candidates per generation (generation 0: random ones)
    //! The best `elites` of parents and children survive and are the parents
    //! of the next generation's population - elites children: a (mu + lambda)
    //! strategy; the AISIS 2019 paper's (1 + lambda) is elites = 1, population = lambda + 1.
    int elites = 2;
    std::int64_t generations = 0;  //!< stop after this generation (0: when the budget is spent)
    std::int64_t budget = 32;  //!< candidate trainings in all, generation 0 included
    std::uint64_t seed = 1;  //!< master seed of every candidate
    double mutation_power = 0.3;  //!< largest gene step, as a fraction of the gene's range
    bool random = false;  //!< random search: every candidate a fresh random one
};

//! Throws UsageError for a population < 2, elites outside [1, population),
//! a budget smaller than the population, or a power outside (0, 1].
void validate(SearchOptions const& options);

//! Genome of random candidate `index` (the same for both search modes).
Genome random_genome(std::uint64_t master_seed, std::int64_t index, bool random_search);
//! Seed of a mutation: of child `child` of `generation` (generational) or of
//! candidate `index` (asynchronous: child = index, generation = -1).
std::uint64_t mutation_seed(std::uint64_t master_seed, std::int64_t generation, std::int64_t child);
//! Seed of the candidate's training (weights, minibatch order): a function of
//! its genome's last seed, so that a candidate trains the same everywhere.
std::uint64_t training_seed(Genome const& genome);

//! Indices of `records` sorted by validation error, NaN last, ties by
//! position in `candidates` (which lists record indices).
std::vector<std::size_t> ranked(std::vector<CandidateRecord> const& records, std::vector<std::size_t> candidates);

//! Mean busy time over max busy time of the ranks (1: perfectly balanced).
double load_balance(std::vector<double> const& busy_seconds);
}  // namespace calo::evolve
