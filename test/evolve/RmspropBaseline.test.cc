#include "calo3dgan/evolve/RmspropBaseline.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/EnergyRegressor.hh"

namespace calo::evolve
{
namespace
{
//! Showers whose energy is 50 x their deposit (a sampling fraction of 2%).
ProjectedShowers proportional_showers(std::size_t n, std::uint64_t seed)
{
    ProjectedShowers data;
    data.rows = 10;
    data.cols = 10;
    Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i)
    {
        double const energy = 10 + 190 * rng.uniform();
        double deposit = 0;
        std::vector<float> image(100);
        for (auto& v : image)
        {
            v = static_cast<float>(rng.uniform());
            deposit += v;
        }
        for (auto& v : image)
            v *= static_cast<float>(0.02 * energy / deposit);
        data.images.insert(data.images.end(), image.begin(), image.end());
        data.energy_gev.push_back(static_cast<float>(energy));
    }
    return data;
}
}  // namespace

TEST(RmspropBaseline, LearnsTheEnergyAndRecordsAHistoryPerEpoch)
{
    RegressorOptions o;
    o.filters = 2;
    o.kernel = 3;
    o.stride = 3;
    EnergyRegressor const r(10, 10, o);
    auto const train = proportional_showers(200, 1);
    auto const test = proportional_showers(50, 2);
    MinibatchSchedule const schedule(train.size(), 32, 3);
    RmspropOptions options;
    options.epochs = 15;
    options.learning_rate = 3e-3;
    auto const initial = r.space().sample(4);
    auto const result = train_rmsprop(r, initial, train, test, schedule, options);
    EXPECT_EQ(result.steps, 15 * 6);
    ASSERT_EQ(result.history.size(), 16u);  // the start and each epoch
    EXPECT_EQ(result.history.minibatches.back(), 90);
    EXPECT_DOUBLE_EQ(result.history.epoch.back(), 15.0);
    EXPECT_DOUBLE_EQ(result.history.test_loss.front(), r.loss(initial, test));
    EXPECT_DOUBLE_EQ(result.history.test_loss.back(), r.loss(result.parameters, test));
    // A linear target: gradient descent must do far better than the random start.
    EXPECT_LT(result.history.test_loss.back(), 0.2);
    EXPECT_LT(result.history.test_loss.back(), 0.5 * result.history.test_loss.front());
    // Deterministic: the same run gives the same parameters.
    EXPECT_EQ(train_rmsprop(r, initial, train, test, schedule, options).parameters, result.parameters);
}
}  // namespace calo::evolve
