#include "calo3dgan/evolve/ElitistStrategy.hh"

#include <cmath>
#include <limits>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
namespace
{
// Seed domains: random parents and children never share a stream.
constexpr std::uint64_t kParentDomain = 0x45564f4c56450001ull;
constexpr std::uint64_t kChildDomain = 0x45564f4c56450002ull;

//! Losses compared with NaN as the worst value.
bool better(double a, double b)
{
    if (std::isnan(a))
        return false;
    return std::isnan(b) || a < b;
}

double mean(std::vector<double> const& values, std::size_t first)
{
    double sum = 0;
    for (std::size_t i = first; i < values.size(); ++i)
        sum += values[i];
    return sum / static_cast<double>(values.size() - first);
}
}  // namespace

ElitistStrategy::ElitistStrategy(ParameterSpace const& space, Mutation const& mutation, FitnessFunction const& fitness,
                                 Communicator const& comm, Options options)
    : space_(space), mutation_(mutation), fitness_(fitness), comm_(comm), options_(options),
      step_size_(options.step_size)
{
    CALO_VALIDATE(options_.parents >= 1, "number of random parents M is " + std::to_string(options_.parents)
                                             + " — it must be at least 1");
    CALO_VALIDATE(options_.children >= 1, "number of children lambda is " + std::to_string(options_.children)
                                              + " — it must be at least 1");
}

std::uint64_t ElitistStrategy::candidate_seed(std::int64_t generation, int child) const
{
    if (generation == 0)
        return derive_seed(options_.seed, static_cast<std::uint64_t>(child), kParentDomain);
    return derive_seed(derive_seed(options_.seed, static_cast<std::uint64_t>(generation), kChildDomain),
                       static_cast<std::uint64_t>(child));
}

template<class Make>
std::vector<double> ElitistStrategy::evaluate_shared(int count, std::int64_t generation, Make make)
{
    std::vector<std::vector<float>> local;
    std::vector<int> which;
    for (int k = comm_.rank(); k < count; k += comm_.size())
    {
        local.push_back(make(k));
        which.push_back(k);
    }
    std::vector<double> losses(static_cast<std::size_t>(count), 0.0);
    if (!local.empty())
    {
        auto const local_losses = fitness_.evaluate(local, generation);
        CALO_VALIDATE(local_losses.size() == local.size(), "the fitness function returned the wrong number of losses");
        for (std::size_t i = 0; i < which.size(); ++i)
            losses[static_cast<std::size_t>(which[i])] = local_losses[i];
    }
    // Every slot is non-zero on one rank only: the sum is exact, NaN included.
    if (comm_.size() > 1)
        comm_.allreduce_sum(losses.data(), losses.size());
    evaluations_ += count;
    return losses;
}

GenerationRecord ElitistStrategy::initialize()
{
    int const m = options_.parents;
    auto losses = evaluate_shared(m, 0, [&](int k) { return space_.sample(candidate_seed(0, k)); });
    int best = 0;
    for (int k = 1; k < m; ++k)
        if (better(losses[k], losses[best]))
            best = k;
    elite_ = Genome{candidate_seed(0, best), {}};
    elite_parameters_ = space_.sample(elite_.init_seed);
    elite_loss_ = losses[best];
    last_parent_ = Genome{};
    last_children_.clear();
    for (int k = 0; k < m; ++k)
        last_children_.push_back({candidate_seed(0, k), 0.0});
    last_losses_ = losses;
    generation_ = 0;
    initialized_ = true;
    return {0, elite_loss_, mean(losses, 0), 0.0, 0};
}

GenerationRecord ElitistStrategy::step()
{
    CALO_VALIDATE(initialized_, "the evolution strategy must be initialised before it steps");
    std::int64_t const g = generation_ + 1;
    int const lambda = options_.children;
    double const power = step_size_.power();
    // Candidate 0 is the parent, k >= 1 its child k - 1.
    auto losses = evaluate_shared(lambda + 1, g, [&](int k) {
        auto parameters = elite_parameters_;
        if (k > 0)
            mutation_.apply(parameters, candidate_seed(g, k - 1), power);
        return parameters;
    });
    int best = 0;
    int successes = 0;
    for (int k = 1; k <= lambda; ++k)
    {
        if (better(losses[k], losses[0]))
            ++successes;
        if (better(losses[k], losses[best]))
            best = k;
    }
    last_parent_ = elite_;
    last_children_.clear();
    for (int k = 1; k <= lambda; ++k)
        last_children_.push_back({candidate_seed(g, k - 1), power});
    last_losses_ = losses;
    if (best > 0)
    {
        // The same operation the evaluating rank did: identical bits everywhere.
        auto const seed = candidate_seed(g, best - 1);
        mutation_.apply(elite_parameters_, seed, power);
        elite_ = elite_.child(seed, power);
    }
    elite_loss_ = losses[best];
    step_size_.record(successes, lambda);
    generation_ = g;
    return {g, elite_loss_, mean(losses, 1), power, successes};
}

nlohmann::json ElitistStrategy::state() const
{
    auto children = nlohmann::json::array();
    for (auto const& step : last_children_)
        children.push_back({step.seed, step.power});
    return {{"generation", generation_},
            {"evaluations", evaluations_},
            {"parent", to_json(elite_)},
            {"parent_loss", elite_loss_},
            {"step_size", step_size_.state()},
            // Generation 0: the M random parents (seeds in `children`, no
            // `last_parent`); later: the parent before selection and its
            // children, losses[0] being the parent's.
            {"last_generation",
             {{"parent", to_json(last_parent_)}, {"children", std::move(children)}, {"losses", last_losses_}}}};
}

void ElitistStrategy::restore(nlohmann::json const& state)
{
    try
    {
        generation_ = state.at("generation").get<std::int64_t>();
        evaluations_ = state.at("evaluations").get<std::int64_t>();
        elite_ = genome_from_json(state.at("parent"));
        // NaN is written as null by nlohmann::json.
        auto const& loss = state.at("parent_loss");
        elite_loss_ = loss.is_null() ? std::numeric_limits<double>::quiet_NaN() : loss.get<double>();
        step_size_.restore(state.at("step_size"));
        auto const& last = state.at("last_generation");
        last_parent_ = genome_from_json(last.at("parent"));
        last_children_.clear();
        for (auto const& child : last.at("children"))
            last_children_.push_back({child.at(0).get<std::uint64_t>(), child.at(1).get<double>()});
        last_losses_.clear();
        for (auto const& value : last.at("losses"))
            last_losses_.push_back(value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>());
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed evolution state (") + e.what() + ") — the checkpoint is damaged");
    }
    elite_parameters_ = space_.decode(elite_, mutation_);
    initialized_ = true;
}
}  // namespace calo::evolve
