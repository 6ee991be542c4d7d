#include "calo3dgan/evolve/PopulationSearch.hh"

#include <gtest/gtest.h>

#include <algorithm>

#include "SearchToys.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/evolve/AsynchronousSearch.hh"

namespace calo::evolve
{
namespace
{
SearchOptions options(bool random = false)
{
    SearchOptions o;
    o.population = 6;
    o.elites = 2;
    o.budget = 30;
    o.seed = 4;
    o.mutation_power = 0.3;
    o.random = random;
    return o;
}
}  // namespace

TEST(PopulationSearch, SpendsExactlyTheBudgetAndNeverLosesItsBest)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    PopulationSearch search(space, mutation, evaluator, Communicator::local(), options());
    double previous = 1e9;
    while (!search.done())
    {
        auto const& s = search.step();
        EXPECT_LE(s.best_validation_error, previous);
        previous = s.best_validation_error;
        EXPECT_EQ(search.population().size(), 2u);
    }
    // 6, then 4 children per generation: 6 + 6 x 4 = 30.
    EXPECT_EQ(search.evaluations(), 30);
    EXPECT_EQ(evaluator.evaluations.load(), 30);
    EXPECT_EQ(search.generation(), 6);
    EXPECT_EQ(search.generations().back().evaluations, 30);
    for (auto const& r : search.records())
    {
        EXPECT_EQ(r.genes, space.decode(r.genome, mutation)) << "the genes are the seed chain's";
        EXPECT_EQ(r.genome.steps.size() == 0, r.generation == 0) << "children are mutations of survivors";
    }
    // The survivors are the two best of all candidates.
    auto all = search.records();
    std::vector<double> errors;
    for (auto const& r : all)
        errors.push_back(r.result.validation_error);
    std::sort(errors.begin(), errors.end());
    EXPECT_EQ(search.best().result.validation_error, errors[0]);
    EXPECT_EQ(search.records()[search.population()[1]].result.validation_error, errors[1]);
}

TEST(PopulationSearch, BeatsRandomSearchOnTheToyProblem)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    // Over 5 seeds, evolution's best is below random search's on average:
    // the distance is smooth in the genes, so mutation of the best pays.
    double evolved = 0;
    double random = 0;
    for (std::uint64_t seed = 1; seed <= 5; ++seed)
    {
        auto o = options();
        o.budget = 60;
        o.seed = seed;
        PopulationSearch a(space, mutation, evaluator, Communicator::local(), o);
        o.random = true;
        PopulationSearch b(space, mutation, evaluator, Communicator::local(), o);
        while (!a.done())
            a.step();
        while (!b.done())
            b.step();
        EXPECT_EQ(b.evaluations(), 60);
        for (auto const& r : b.records())
            EXPECT_TRUE(r.genome.steps.empty()) << "random search never mutates";
        evolved += a.best().result.validation_error;
        random += b.best().result.validation_error;
    }
    EXPECT_LT(evolved, random);
}

TEST(PopulationSearch, RestoredStateContinuesExactlyAsTheOriginal)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    PopulationSearch whole(space, mutation, evaluator, Communicator::local(), options());
    while (!whole.done())
        whole.step();
    PopulationSearch first(space, mutation, evaluator, Communicator::local(), options());
    for (int g = 0; g < 3; ++g)
        first.step();
    // Through text, as a checkpoint goes.
    auto const saved = nlohmann::json::parse(first.state().dump());
    PopulationSearch second(space, mutation, evaluator, Communicator::local(), options());
    second.restore(saved);
    while (!second.done())
        second.step();
    EXPECT_EQ(test::without_timings(second.records()), test::without_timings(whole.records()));
    EXPECT_EQ(second.population(), whole.population());
}

TEST(PopulationSearch, ParetoFrontHoldsTheUndominatedCandidates)
{
    std::vector<CandidateRecord> records(5);
    std::vector<std::pair<std::int64_t, double>> points{{10, 0.5}, {20, 0.3}, {15, 0.6}, {40, 0.3}, {5, 0.9}};
    for (std::size_t i = 0; i < points.size(); ++i)
    {
        records[i].result.parameters = points[i].first;
        records[i].result.validation_error = points[i].second;
    }
    // By parameters: 5 (0.9), 10 (0.5), 20 (0.3); 15 and 40 are dominated.
    EXPECT_EQ(pareto_front(records), (std::vector<std::size_t>{4, 0, 1}));
}

TEST(PopulationSearch, BadOptionsAreUsageErrors)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    auto o = options();
    o.budget = 5;  // < population 6
    EXPECT_THROW(PopulationSearch(space, mutation, evaluator, Communicator::local(), o), UsageError);
    o = options();
    o.elites = 6;
    EXPECT_THROW(PopulationSearch(space, mutation, evaluator, Communicator::local(), o), UsageError);
    o = options();
    o.mutation_power = 0;
    EXPECT_THROW(AsynchronousSearch(space, mutation, evaluator, Communicator::local(), o), UsageError);
}

TEST(AsynchronousSearch, AloneItIsReproducibleAndSpendsTheBudget)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    AsynchronousSearch a(space, mutation, evaluator, Communicator::local(), options());
    int callbacks = 0;
    a.run([&] { ++callbacks; });
    EXPECT_EQ(a.records().size(), 30u);
    EXPECT_EQ(callbacks, 30);
    AsynchronousSearch b(space, mutation, evaluator, Communicator::local(), options());
    b.run();
    EXPECT_EQ(test::without_timings(a.records()), test::without_timings(b.records()));
    // Its first `population` candidates are the generational search's generation 0.
    PopulationSearch g(space, mutation, evaluator, Communicator::local(), options());
    g.step();
    for (std::size_t i = 0; i < 6; ++i)
        EXPECT_EQ(a.records()[i].genome, g.records()[i].genome);
    EXPECT_FALSE(a.records()[6].genome.steps.empty());
    EXPECT_LT(a.records()[a.best()].result.validation_error, g.best().result.validation_error + 1e-12);
}
}  // namespace calo::evolve
