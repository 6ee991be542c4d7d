#include "calo3dgan/evolve/MinibatchSchedule.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
TEST(MinibatchSchedule, EachEpochIsAPermutationCutIntoFullBatches)
{
    MinibatchSchedule const schedule(103, 10, 5);
    EXPECT_EQ(schedule.batches_per_epoch(), 10);
    for (int epoch = 0; epoch < 2; ++epoch)
    {
        std::set<std::size_t> seen;
        for (int b = 0; b < 10; ++b)
        {
            auto const batch = schedule.batch(epoch * 10 + b);
            ASSERT_EQ(batch.size(), 10u);
            for (auto i : batch)
            {
                EXPECT_LT(i, 103u);
                EXPECT_TRUE(seen.insert(i).second) << "event " << i << " twice in epoch " << epoch;
            }
        }
        EXPECT_EQ(seen.size(), 100u);  // 3 events dropped
    }
    EXPECT_EQ(schedule.batch(3), MinibatchSchedule(103, 10, 5).batch(3));
    EXPECT_NE(schedule.batch(3), schedule.batch(13));  // a new order each epoch
    EXPECT_NE(schedule.batch(3), MinibatchSchedule(103, 10, 6).batch(3));
}

TEST(MinibatchSchedule, NeedsOneFullBatch)
{
    EXPECT_THROW(MinibatchSchedule(5, 10, 1), InputError);
    EXPECT_THROW(MinibatchSchedule(5, 0, 1), InputError);
}
}  // namespace calo::evolve
