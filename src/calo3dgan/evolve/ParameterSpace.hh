#pragma once
// What is evolved: a flat float vector cut into named blocks (the weight
// tensors of a network, or hyper-parameters), each with the uniform range its
// random ancestors are drawn from.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/Genome.hh"
#include "calo3dgan/evolve/Mutation.hh"

namespace calo::evolve
{
struct ParameterBlock
{
    std::string name;
    std::vector<std::int64_t> shape;  //!< e.g. {filters, 1, k, k}; the block holds their product
    double init_low = -1;  //!< random ancestors draw U[init_low, init_high]
    double init_high = 1;

    std::size_t size() const;
};

class ParameterSpace
{
  public:
    explicit ParameterSpace(std::vector<ParameterBlock> blocks);

    std::vector<ParameterBlock> const& blocks() const { return blocks_; }
    //! First element of block i in the flat vector.
    std::size_t offset(std::size_t block) const { return offsets_.at(block); }
    //! Total number of parameters.
    std::size_t size() const { return offsets_.back(); }

    //! A random ancestor: every parameter from its block's uniform range,
    //! drawn from Rng(seed) alone.
    std::vector<float> sample(std::uint64_t seed) const;
    //! The parameters a seed chain stands for: sample(init_seed), then every
    //! mutation step in order.
    std::vector<float> decode(Genome const& genome, Mutation const& mutation) const;

    nlohmann::json describe() const;

  private:
    std::vector<ParameterBlock> blocks_;
    std::vector<std::size_t> offsets_;
};
}  // namespace calo::evolve
