// Under mpirun -np 2: a generation's results are those of one process, and
// the asynchronous mode keeps both ranks training.
#include <gtest/gtest.h>

#include <set>

#include "MpiTestEnvironment.hh"
#include "SearchToys.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/evolve/AsynchronousSearch.hh"
#include "calo3dgan/evolve/PopulationSearch.hh"

namespace calo::evolve
{
namespace
{

SearchOptions options()
{
    SearchOptions o;
    o.population = 5;
    o.elites = 2;
    o.budget = 23;
    o.seed = 8;
    return o;
}
}  // namespace

TEST(DistributedSearch, TwoRanksSelectExactlyWhatOneProcessSelects)
{
    auto const& comm = Communicator::world();
    ASSERT_EQ(comm.size(), 2) << "run under mpirun -np 2";
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const shared_evaluator(space);
    PopulationSearch shared(space, mutation, shared_evaluator, comm, options());
    while (!shared.done())
        shared.step();
    test::DistanceEvaluator const alone_evaluator(space);
    PopulationSearch alone(space, mutation, alone_evaluator, Communicator::local(), options());
    while (!alone.done())
        alone.step();
    EXPECT_EQ(test::without_timings(shared.records()), test::without_timings(alone.records()));
    // Candidate k of a generation on rank k mod 2: 5 -> 3 + 2, then 3 per generation -> 2 + 1 (6 generations).
    EXPECT_EQ(shared_evaluator.evaluations.load(), comm.rank() == 0 ? 3 + 6 * 2 : 2 + 6 * 1);
    for (auto const& r : shared.records())
        EXPECT_EQ(r.rank, static_cast<int>((r.index < 5 ? r.index : (r.index - 5) % 3) % 2));
    auto const texts = comm.allgather(test::without_timings(shared.records(), true).dump());
    EXPECT_EQ(texts[0], texts[1]) << "every rank holds the same records";
}

TEST(DistributedSearch, AsynchronousRanksBothTrainAndTheBudgetIsSpent)
{
    auto const& comm = Communicator::world();
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.3});
    test::DistanceEvaluator const evaluator(space);
    AsynchronousSearch search(space, mutation, evaluator, comm, options());
    search.run();
    int const mine = evaluator.evaluations.load();
    double total = mine;
    comm.allreduce_sum(&total, 1);
    EXPECT_EQ(total, 23);
    EXPECT_GT(mine, 0) << "rank " << comm.rank() << " trained nothing";
    if (comm.is_root())
    {
        ASSERT_EQ(search.records().size(), 23u);
        std::set<std::int64_t> indices;
        for (auto const& r : search.records())
        {
            indices.insert(r.index);
            EXPECT_EQ(r.genes, space.decode(r.genome, mutation));
        }
        EXPECT_EQ(indices.size(), 23u);
        EXPECT_EQ(search.rank_busy_seconds().size(), 2u);
    }
}
}  // namespace calo::evolve
