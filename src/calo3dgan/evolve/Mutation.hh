#pragma once
// The variation operator of an evolution strategy.
#include <cstdint>
#include <vector>

namespace calo::evolve
{
class Mutation
{
  public:
    virtual ~Mutation() = default;
    //! Change `parameters` in place. A pure function of (parameters, seed,
    //! power): every rank that applies the same step gets the same bits,
    //! which is what makes a seed chain (Genome) a complete encoding.
    virtual void apply(std::vector<float>& parameters, std::uint64_t seed, double power) const = 0;
};
}  // namespace calo::evolve
