#include "calo3dgan/evolve/Genome.hh"

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
Genome Genome::child(std::uint64_t seed, double power) const
{
    Genome result = *this;
    result.steps.push_back({seed, power});
    return result;
}

nlohmann::json to_json(Genome const& genome)
{
    auto steps = nlohmann::json::array();
    for (auto const& step : genome.steps)
        steps.push_back({step.seed, step.power});
    return {{"init_seed", genome.init_seed}, {"steps", std::move(steps)}};
}

Genome genome_from_json(nlohmann::json const& json)
{
    try
    {
        Genome genome;
        genome.init_seed = json.at("init_seed").get<std::uint64_t>();
        for (auto const& step : json.at("steps"))
            genome.steps.push_back({step.at(0).get<std::uint64_t>(), step.at(1).get<double>()});
        return genome;
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed genome (") + e.what() + ") — the checkpoint is damaged");
    }
}
}  // namespace calo::evolve
