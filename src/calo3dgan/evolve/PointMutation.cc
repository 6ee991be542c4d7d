#include "calo3dgan/evolve/PointMutation.hh"

#include <cmath>
#include <numeric>
#include <utility>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
MutationDistribution parse_mutation_distribution(std::string const& name)
{
    if (name == "uniform")
        return MutationDistribution::uniform;
    if (name == "gaussian")
        return MutationDistribution::gaussian;
    throw UsageError("unknown mutation distribution '" + name + "' — use uniform or gaussian");
}

std::string to_string(MutationDistribution distribution)
{
    return distribution == MutationDistribution::uniform ? "uniform" : "gaussian";
}

PointMutation::PointMutation(Options options) : options_(options)
{
    CALO_VALIDATE(options_.rate >= 0 && options_.rate <= 1,
                  "mutation rate " + std::to_string(options_.rate) + " is outside [0, 1] — it is the fraction of "
                      "the weights changed per mutation");
}

std::size_t PointMutation::mutated_count(std::size_t size) const
{
    if (options_.rate <= 0 || size == 0)
        return 0;
    auto const count = static_cast<std::size_t>(std::llround(options_.rate * static_cast<double>(size)));
    return std::min(size, std::max<std::size_t>(count, 1));
}

void PointMutation::apply(std::vector<float>& parameters, std::uint64_t seed, double power) const
{
    std::size_t const count = mutated_count(parameters.size());
    if (count == 0)
        return;
    Rng rng(seed);
    // Partial Fisher-Yates: the first `count` entries become a uniform random
    // subset of the indices, so exactly `rate` of the weights change.
    std::vector<std::size_t> index(parameters.size());
    std::iota(index.begin(), index.end(), std::size_t{0});
    for (std::size_t i = 0; i < count; ++i)
    {
        std::swap(index[i], index[i + uniform_index(rng, index.size() - i)]);
        double const unit = options_.distribution == MutationDistribution::uniform ? 2.0 * rng.uniform() - 1.0
                                                                                   : standard_normal(rng);
        parameters[index[i]] += static_cast<float>(power * unit);
    }
}
}  // namespace calo::evolve
