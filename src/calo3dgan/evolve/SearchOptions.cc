#include "calo3dgan/evolve/SearchOptions.hh"

#include <algorithm>
#include <string>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
namespace
{
// Seed domains: no two kinds of draw share a stream.
constexpr std::uint64_t kRandomDomain = 0x5345415243480001ull;
constexpr std::uint64_t kRandomSearchDomain = 0x5345415243480002ull;
constexpr std::uint64_t kChildDomain = 0x5345415243480003ull;
constexpr std::uint64_t kAsynchronousDomain = 0x5345415243480004ull;
constexpr std::uint64_t kTrainingDomain = 0x5345415243480005ull;
}  // namespace

void validate(SearchOptions const& o)
{
    CALO_VALIDATE_USAGE(o.population >= 2, "--population " + std::to_string(o.population)
                                               + " is too small — a population needs at least 2 candidates");
    CALO_VALIDATE_USAGE(o.elites >= 1 && o.elites < o.population,
                        "--elites " + std::to_string(o.elites) + " is outside [1, " + std::to_string(o.population - 1)
                            + "] — some of the population must be children");
    CALO_VALIDATE_USAGE(o.budget >= o.population,
                        "--budget " + std::to_string(o.budget) + " is smaller than --population "
                            + std::to_string(o.population)
                            + " — the budget counts every candidate training, generation 0 included");
    CALO_VALIDATE_USAGE(o.generations >= 0, "--generations must not be negative");
    CALO_VALIDATE_USAGE(o.mutation_power > 0 && o.mutation_power <= 1,
                        "--mutation-power " + std::to_string(o.mutation_power)
                            + " is outside (0, 1] — it is the largest gene step as a fraction of the gene's range");
}

Genome random_genome(std::uint64_t master_seed, std::int64_t index, bool random_search)
{
    return Genome{derive_seed(master_seed, static_cast<std::uint64_t>(index),
                              random_search ? kRandomSearchDomain : kRandomDomain),
                  {}};
}

std::uint64_t mutation_seed(std::uint64_t master_seed, std::int64_t generation, std::int64_t child)
{
    if (generation < 0)
        return derive_seed(master_seed, static_cast<std::uint64_t>(child), kAsynchronousDomain);
    return derive_seed(derive_seed(master_seed, static_cast<std::uint64_t>(generation), kChildDomain),
                       static_cast<std::uint64_t>(child));
}

std::uint64_t training_seed(Genome const& genome)
{
    auto const last = genome.steps.empty() ? genome.init_seed : genome.steps.back().seed;
    return derive_seed(last, genome.steps.size(), kTrainingDomain);
}

std::vector<std::size_t> ranked(std::vector<CandidateRecord> const& records, std::vector<std::size_t> candidates)
{
    std::stable_sort(candidates.begin(), candidates.end(), [&](std::size_t a, std::size_t b) {
        return better_error(records[a].result.validation_error, records[b].result.validation_error);
    });
    return candidates;
}

double load_balance(std::vector<double> const& busy_seconds)
{
    double sum = 0;
    double max = 0;
    for (double s : busy_seconds)
    {
        sum += s;
        max = std::max(max, s);
    }
    return max > 0 ? sum / static_cast<double>(busy_seconds.size()) / max : 1.0;
}
}  // namespace calo::evolve
