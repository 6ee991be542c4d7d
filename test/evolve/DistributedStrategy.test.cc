// Under mpirun -np 2: the ranks share the candidates of each generation and
// must end with the same parent, exchanging only losses.
#include <gtest/gtest.h>

#include "MpiTestEnvironment.hh"
#include "ToyProblems.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/ElitistStrategy.hh"
#include "calo3dgan/evolve/PointMutation.hh"

namespace calo::evolve
{
TEST(DistributedStrategy, RanksShareTheChildrenAndAgreeOnEveryParent)
{
    auto const& comm = Communicator::world();
    ASSERT_EQ(comm.size(), 2) << "run under mpirun -np 2";
    ParameterSpace const space({{"x", {40}, -1, 1}});
    PointMutation const mutation({0.1, MutationDistribution::gaussian});
    test::Sphere const fitness(0.2);
    ElitistStrategy::Options o;
    o.parents = 5;
    o.children = 8;
    o.seed = 3;
    ElitistStrategy strategy(space, mutation, fitness, comm, o);
    strategy.initialize();
    double const start = test::Sphere::distance(strategy.elite_parameters());
    for (int g = 0; g < 60; ++g)
    {
        strategy.step();
        // Same parent everywhere after every generation.
        auto const chains = comm.allgather(to_json(strategy.elite()).dump());
        ASSERT_EQ(chains[0], chains[1]) << "generation " << g + 1;
    }
    // Candidate k goes to rank k mod 2: M = 5 -> 3 and 2; 9 per generation -> 5 and 4.
    int const expected = comm.rank() == 0 ? 3 + 60 * 5 : 2 + 60 * 4;
    EXPECT_EQ(fitness.evaluations.load(), expected);
    EXPECT_EQ(strategy.evaluations(), 5 + 60 * 9);
    // Parameters rebuilt from the chain equal the incrementally kept ones.
    EXPECT_EQ(space.decode(strategy.elite(), mutation), strategy.elite_parameters());
    EXPECT_LT(test::Sphere::distance(strategy.elite_parameters()), start);
}
}  // namespace calo::evolve
