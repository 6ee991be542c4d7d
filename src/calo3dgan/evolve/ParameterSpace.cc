#include "calo3dgan/evolve/ParameterSpace.hh"

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
std::size_t ParameterBlock::size() const
{
    std::size_t n = 1;
    for (auto extent : shape)
        n *= static_cast<std::size_t>(extent);
    return n;
}

ParameterSpace::ParameterSpace(std::vector<ParameterBlock> blocks) : blocks_(std::move(blocks))
{
    offsets_.push_back(0);
    for (auto const& block : blocks_)
    {
        for (auto extent : block.shape)
            CALO_VALIDATE(extent > 0, "parameter block '" + block.name + "' has an empty dimension");
        CALO_VALIDATE(block.init_low <= block.init_high,
                      "parameter block '" + block.name + "' has an empty initial range");
        offsets_.push_back(offsets_.back() + block.size());
    }
}

std::vector<float> ParameterSpace::sample(std::uint64_t seed) const
{
    std::vector<float> parameters(size());
    Rng rng(seed);
    for (std::size_t b = 0; b < blocks_.size(); ++b)
    {
        double const low = blocks_[b].init_low;
        double const width = blocks_[b].init_high - low;
        for (std::size_t i = offsets_[b]; i < offsets_[b + 1]; ++i)
            parameters[i] = static_cast<float>(low + width * rng.uniform());
    }
    return parameters;
}

std::vector<float> ParameterSpace::decode(Genome const& genome, Mutation const& mutation) const
{
    auto parameters = sample(genome.init_seed);
    for (auto const& step : genome.steps)
        mutation.apply(parameters, step.seed, step.power);
    return parameters;
}

nlohmann::json ParameterSpace::describe() const
{
    auto blocks = nlohmann::json::array();
    for (auto const& block : blocks_)
        blocks.push_back({{"name", block.name}, {"shape", block.shape}, {"init", {block.init_low, block.init_high}}});
    return {{"parameters", size()}, {"blocks", std::move(blocks)}};
}
}  // namespace calo::evolve
