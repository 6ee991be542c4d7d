#include "calo3dgan/base/ParallelFor.hh"

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
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
        EXPECT_THROW(parallel_for(0, 100, threads,
                                  [](std::int64_t i) {
                                      if (i == 37)
                                          throw std::runtime_error("item 37");
                                  }),
                     std::runtime_error);
    }
}

TEST(ParallelFor, ResolvesThreadCount)
{
    EXPECT_EQ(resolve_thread_count(3), 3);
    EXPECT_GE(resolve_thread_count(0), 1);
}
}  // namespace calo
