#pragma once
// An individual encoded as a seed chain (Such et al. 2017, "Deep
// Neuroevolution", §3): the seed of its random ancestor and the seed and
// power of every mutation since. Any rank rebuilds the parameters from it, so
// ranks exchange seeds and losses, never parameter vectors.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::evolve
{
//! One mutation of the chain: Mutation::apply(parameters, seed, power).
struct MutationStep
{
    std::uint64_t seed = 0;
    double power = 0;  //!< mutation power in force when it was drawn (step-size control changes it)

    friend bool operator==(MutationStep const& a, MutationStep const& b)
    {
        return a.seed == b.seed && a.power == b.power;
    }
};

struct Genome
{
    std::uint64_t init_seed = 0;  //!< seed of ParameterSpace::sample
    std::vector<MutationStep> steps;  //!< mutations in the order they were applied

    //! This genome with one more mutation.
    Genome child(std::uint64_t seed, double power) const;

    friend bool operator==(Genome const& a, Genome const& b)
    {
        return a.init_seed == b.init_seed && a.steps == b.steps;
    }
    friend bool operator!=(Genome const& a, Genome const& b) { return !(a == b); }
};

//! {"init_seed": s, "steps": [[seed, power], ...]}: doubles round-trip exactly.
nlohmann::json to_json(Genome const& genome);
//! Throws InputError for a malformed object.
Genome genome_from_json(nlohmann::json const& json);
}  // namespace calo::evolve
