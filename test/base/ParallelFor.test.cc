#include "calo3dgan/base/ParallelFor.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace calo
{
TEST(ParallelFor, VisitsEveryItemOnce)
{
    for (int threads : {1, 2, 4, 0})
    {
        std::vector<std::atomic<int>> visits(1000);
        parallel_for(0, 1000, threads, [&](std::int64_t i) { visits[i]++; });
        for (auto const& v : visits)
            ASSERT_EQ(v.load(), 1) << "threads=" << threads;
    }
}

TEST(ParallelFor, EmptyRangeDoesNothing)
{
    int calls = 0;
    parallel_for(5, 5, 2, [&](std::int64_t) { ++calls; });
    parallel_for(5, 3, 2, [&](std::int64_t) { ++calls; });
    EXPECT_EQ(calls, 0);
}

TEST(ParallelFor, RethrowsFirstException)
{
    for (int threads : {1, 3})
    {
        std::atomic<int> calls{0};
        try
        {
            parallel_for(0, 100, threads, [&](std::int64_t i) {
                ++calls;
                if (i == 37)
                    throw std::runtime_error("item 37");
            });
            ADD_FAILURE() << "no exception, threads=" << threads;
        }
        catch (std::runtime_error const& e)
        {
            EXPECT_EQ(std::string(e.what()), "item 37") << "threads=" << threads;
        }
        // One thread never gets past item 37. With several, the others keep
        // claiming items until the failure is recorded, after the exception
        // has left the body: how many depends on scheduling (up to all of
        // them for items this short), so only the one-thread count is exact.
        if (threads == 1)
            EXPECT_EQ(calls.load(), 38);
        else
            EXPECT_LE(calls.load(), 100) << "an item ran twice, threads=" << threads;
    }
}

TEST(ParallelFor, ResolvesThreadCount)
{
    EXPECT_EQ(resolve_thread_count(3), 3);
    // 0: every core the system reports (at least one).
    EXPECT_EQ(resolve_thread_count(0), static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}
}  // namespace calo
