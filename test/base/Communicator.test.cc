// The MPI communicator, run twice by ctest: alone (base/Communicator: one
// rank, MPI never started) and under mpirun -np 2 (base/CommunicatorMpi).
// Expected values are written in terms of size() so that both runs check the
// same behaviour.
//
// Every collective call runs on every rank whatever the assertions find
// (EXPECT, not ASSERT, around them), so a failing check cannot leave one
// rank waiting for the other.
#include "MpiTestEnvironment.hh"
#include "calo3dgan/base/Communicator.hh"

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "calo3dgan/base/Error.hh"

namespace calo
{
namespace
{
using test::comm;

//! 1 + 2 + ... + size: the sum over ranks of (rank + 1).
double sum_of_rank_plus_one()
{
    return 0.5 * comm().size() * (comm().size() + 1);
}
}  // namespace

TEST(Communicator, RankAndSize)
{
    int const size = comm().size();
    int const rank = comm().rank();
    EXPECT_GE(size, 1);
    EXPECT_GE(rank, 0);
    EXPECT_LT(rank, size);
    EXPECT_EQ(comm().is_root(), rank == 0);
    // All ranks of a test run on this machine: the node-local rank is the rank.
    EXPECT_EQ(comm().local_rank(), rank);
    if (size > 1)
        EXPECT_TRUE(Communicator::launched_by_mpi());
    // ctest starts the serial test without a launcher.
    if (size == 1)
        EXPECT_FALSE(Communicator::launched_by_mpi());
    // No CUDA-aware transfers on a CPU-only single rank.
    if (size == 1)
        EXPECT_FALSE(comm().cuda_aware());

    // The local communicator is this process alone, whatever the world.
    auto const& local = Communicator::local();
    EXPECT_EQ(local.rank(), 0);
    EXPECT_EQ(local.size(), 1);
    EXPECT_TRUE(local.is_root());
    EXPECT_EQ(local.local_rank(), 0);

    // Every rank has a different rank number.
    auto const ranks = comm().allgather(std::to_string(rank));
    EXPECT_EQ(ranks.size(), static_cast<std::size_t>(size));
    for (int r = 0; r < static_cast<int>(ranks.size()); ++r)
        EXPECT_EQ(ranks[r], std::to_string(r));
}

TEST(Communicator, AllreduceSumOfFloats)
{
    // Halves of small integers: every partial sum is exact in float.
    std::vector<float> values(1000);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = 0.5f * static_cast<float>(i) * static_cast<float>(comm().rank() + 1);
    comm().allreduce_sum(values.data(), values.size());
    for (std::size_t i = 0; i < values.size(); ++i)
        EXPECT_EQ(values[i], static_cast<float>(0.5 * static_cast<double>(i) * sum_of_rank_plus_one())) << i;
    // Zero elements: nothing to do, no error.
    comm().allreduce_sum(static_cast<float*>(nullptr), 0);
}

TEST(Communicator, AllreduceSumOfDoubles)
{
    // 2^20 elements: more than one MPI message of the default eager size.
    std::vector<double> values(std::size_t(1) << 20);
    for (std::size_t i = 0; i < values.size(); ++i)
        values[i] = 0.25 * static_cast<double>(i) * (comm().rank() + 1) - 3.0;
    comm().allreduce_sum(values.data(), values.size());
    bool all_equal = true;
    for (std::size_t i = 0; i < values.size(); ++i)
    {
        double const expected = 0.25 * static_cast<double>(i) * sum_of_rank_plus_one() - 3.0 * comm().size();
        if (values[i] != expected)
        {
            ADD_FAILURE() << "element " << i << ": " << values[i] << " != " << expected;
            all_equal = false;
            break;
        }
    }
    EXPECT_TRUE(all_equal);
}

TEST(Communicator, AllreduceMaxOfDoubles)
{
    int const last = comm().size() - 1;
    double values[4] = {static_cast<double>(comm().rank()), -static_cast<double>(comm().rank()), -1e300,
                        comm().rank() == last ? 7.5 : -7.5};
    comm().allreduce_max(values, 4);
    EXPECT_EQ(values[0], last);
    EXPECT_EQ(values[1], 0.0);  // rank 0's -0
    EXPECT_EQ(values[2], -1e300);
    EXPECT_EQ(values[3], 7.5);
}

TEST(Communicator, NonBlockingSums)
{
    std::vector<float> floats(64, static_cast<float>(comm().rank() + 1));
    std::vector<double> doubles(32, 0.5 * (comm().rank() + 1));
    // Started in the same order on every rank, completed in another order.
    auto float_request = comm().iallreduce_sum(floats.data(), floats.size());
    auto double_request = comm().iallreduce_sum(doubles.data(), doubles.size());
    // A single rank has nothing to wait for; with MPI the request is live.
    EXPECT_EQ(float_request.pending(), comm().size() > 1);
    EXPECT_EQ(double_request.pending(), comm().size() > 1);
    comm().wait(double_request);
    while (!comm().test(float_request))
        std::this_thread::yield();
    EXPECT_FALSE(float_request.pending());
    EXPECT_FALSE(double_request.pending());
    for (float v : floats)
        EXPECT_EQ(v, static_cast<float>(sum_of_rank_plus_one()));
    for (double v : doubles)
        EXPECT_EQ(v, 0.5 * sum_of_rank_plus_one());
    // Waiting on or testing a finished request is a no-op.
    comm().wait(float_request);
    EXPECT_TRUE(comm().test(double_request));
}

TEST(Communicator, RequestsAreMovable)
{
    Communicator::Request idle;
    EXPECT_FALSE(idle.pending());
    double value = 1.0;
    auto started = comm().iallreduce_sum(&value, 1);
    Communicator::Request moved(std::move(started));
    EXPECT_EQ(moved.pending(), comm().size() > 1);
    idle = std::move(moved);
    comm().wait(idle);
    EXPECT_FALSE(idle.pending());
    EXPECT_EQ(value, comm().size());
}

TEST(Communicator, BroadcastFromAnyRoot)
{
    int const last = comm().size() - 1;
    for (int root : {0, last})
    {
        // Rank-dependent content; after the broadcast everyone holds root's.
        std::string text = "from rank " + std::to_string(comm().rank()) + " \"quoted\"";
        double number = 10.0 + comm().rank();
        comm().broadcast(text.data(), text.size(), root);
        comm().broadcast(&number, sizeof number, root);
        EXPECT_EQ(text, "from rank " + std::to_string(root) + " \"quoted\"");
        EXPECT_EQ(number, 10.0 + root);
    }
    // Zero bytes is allowed.
    comm().broadcast(nullptr, 0, 0);
}

TEST(Communicator, BarrierWaitsForTheLastRank)
{
    // Rank 0 arrives 200 ms late: nobody leaves the barrier before it arrives
    // (alone, rank 0 has slept the 200 ms itself).
    using Clock = std::chrono::steady_clock;
    comm().barrier();
    auto const start = Clock::now();
    if (comm().is_root())
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    comm().barrier();
    double const waited_ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    EXPECT_GE(waited_ms, 150.0);

    // The non-blocking barrier completes once every rank has entered it.
    auto request = comm().ibarrier();
    while (!comm().test(request))
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    EXPECT_FALSE(request.pending());
}

TEST(Communicator, AnyIsALogicalOrOverRanks)
{
    EXPECT_FALSE(comm().any(false));
    EXPECT_TRUE(comm().any(true));
    // Only the last rank raises the flag: every rank sees it.
    EXPECT_TRUE(comm().any(comm().rank() == comm().size() - 1));
}

TEST(Communicator, AllgatherKeepsRankOrderAndLengths)
{
    // Rank r contributes r copies of 'a' + r (rank 0: the empty string).
    std::string const mine(static_cast<std::size_t>(comm().rank()), static_cast<char>('a' + comm().rank()));
    auto const all = comm().allgather(mine);
    EXPECT_EQ(all.size(), static_cast<std::size_t>(comm().size()));
    for (int r = 0; r < static_cast<int>(all.size()); ++r)
        EXPECT_EQ(all[r], std::string(static_cast<std::size_t>(r), static_cast<char>('a' + r))) << r;
}

TEST(Communicator, PointToPointTexts)
{
    int const tag = 17;
    // Nothing is waiting on an unused tag.
    EXPECT_FALSE(comm().try_receive_text(tag + 1).has_value());
    if (comm().size() == 1)
    {
        EXPECT_FALSE(comm().try_receive_text(tag).has_value());
        EXPECT_THROW(comm().send_text("hello", 1, tag), InputError);
        return;
    }
    // Every rank sends to the next one, then receives from the previous one.
    int const next = (comm().rank() + 1) % comm().size();
    int const previous = (comm().rank() + comm().size() - 1) % comm().size();
    std::string const text = "work item from " + std::to_string(comm().rank()) + std::string(1, '\0') + "tail";
    if (comm().rank() % 2 == 0)
        comm().send_text(text, next, tag);
    std::optional<std::pair<int, std::string>> received;
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!received && std::chrono::steady_clock::now() < deadline)
        received = comm().try_receive_text(tag);
    if (comm().rank() % 2 == 1)
        comm().send_text(text, next, tag);
    EXPECT_TRUE(received.has_value());
    if (received)
    {
        EXPECT_EQ(received->first, previous);
        EXPECT_EQ(received->second,
                  "work item from " + std::to_string(previous) + std::string(1, '\0') + "tail");
    }
    comm().barrier();
}

TEST(CommunicatorDeathTest, AbortNamesTheRankAndExitsWithTheCode)
{
    // Under mpirun MPI_Abort ends the whole job: checked on a single rank only.
    if (comm().size() > 1)
        GTEST_SKIP() << "abort ends the whole MPI job";
    EXPECT_EXIT(comm().abort("disk full", 3), ::testing::ExitedWithCode(3), "rank 0: error: disk full");
}
}  // namespace calo
