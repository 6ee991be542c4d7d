#include "calo3dgan/evolve/ElitistStrategy.hh"

#include <gtest/gtest.h>

#include "ToyProblems.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/evolve/PointMutation.hh"

namespace calo::evolve
{
namespace
{
class ElitistStrategyTest : public ::testing::Test
{
  protected:
    ElitistStrategy make(test::Sphere const& fitness, int parents = 8, int children = 8)
    {
        ElitistStrategy::Options o;
        o.parents = parents;
        o.children = children;
        o.seed = 9;
        o.step_size.initial_power = 0.05;
        return ElitistStrategy(space_, mutation_, fitness, Communicator::world(), o);
    }
    ParameterSpace space_{{{"x", {30}, -1, 1}}};
    PointMutation mutation_{{0.2, MutationDistribution::uniform}};
};
}  // namespace

TEST_F(ElitistStrategyTest, KeepsTheBestOfParentAndChildrenSoANoiseFreeLossNeverRises)
{
    test::Sphere fitness;
    auto strategy = make(fitness);
    auto const first = strategy.initialize();
    EXPECT_EQ(first.generation, 0);
    // The parent is the best of the M random parents.
    EXPECT_LE(first.best_loss, first.mean_loss);
    EXPECT_DOUBLE_EQ(first.best_loss, test::Sphere::distance(strategy.elite_parameters()));
    double previous = first.best_loss;
    int improvements = 0;
    for (int g = 1; g <= 150; ++g)
    {
        auto const record = strategy.step();
        EXPECT_EQ(record.generation, g);
        EXPECT_LE(record.best_loss, previous);
        improvements += record.best_loss < previous;
        EXPECT_EQ(record.successes > 0, record.best_loss < previous);
        previous = record.best_loss;
    }
    EXPECT_LT(previous, 0.5 * first.best_loss);
    EXPECT_GT(improvements, 10);
    // Each improvement added one step to the chain; the chain rebuilds the parameters.
    EXPECT_EQ(static_cast<int>(strategy.elite().steps.size()), improvements);
    EXPECT_EQ(space_.decode(strategy.elite(), mutation_), strategy.elite_parameters());
    EXPECT_EQ(strategy.evaluations(), 8 + 150 * 9);
    EXPECT_EQ(fitness.evaluations.load(), 8 + 150 * 9);
}

TEST_F(ElitistStrategyTest, RestoredStateContinuesExactlyAsTheOriginal)
{
    test::Sphere fitness(0.3);
    auto original = make(fitness);
    original.initialize();
    for (int g = 0; g < 20; ++g)
        original.step();
    auto const text = original.state().dump();
    auto restored = make(fitness);
    restored.restore(nlohmann::json::parse(text));
    EXPECT_EQ(restored.elite_parameters(), original.elite_parameters());
    EXPECT_EQ(restored.generation(), 20);
    for (int g = 0; g < 20; ++g)
    {
        auto const a = original.step();
        auto const b = restored.step();
        EXPECT_EQ(a.best_loss, b.best_loss);
    }
    EXPECT_EQ(restored.elite(), original.elite());
    EXPECT_EQ(restored.evaluations(), original.evaluations());
}

TEST_F(ElitistStrategyTest, RejectsInvalidPopulationSizes)
{
    test::Sphere fitness;
    EXPECT_THROW(make(fitness, 0, 8), InputError);
    EXPECT_THROW(make(fitness, 8, 0), InputError);
    auto strategy = make(fitness, 1, 1);
    EXPECT_THROW(strategy.step(), InputError);  // not initialised
    EXPECT_THROW(strategy.restore(nlohmann::json::object()), InputError);
}
}  // namespace calo::evolve
