#include "calo3dgan/evolve/EnergyRegressor.hh"

#include <gtest/gtest.h>

#include <ATen/Parallel.h>

#include <cmath>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/RegressionFitness.hh"

namespace calo::evolve
{
namespace
{
//! Showers with random cells (up to 0.1 GeV) and energies 10-200 GeV.
ProjectedShowers random_showers(std::size_t n, int rows, int cols, std::uint64_t seed)
{
    ProjectedShowers data;
    data.rows = rows;
    data.cols = cols;
    Rng rng(seed);
    for (std::size_t i = 0; i < n * rows * cols; ++i)
        data.images.push_back(static_cast<float>(0.1 * rng.uniform()));
    for (std::size_t i = 0; i < n; ++i)
        data.energy_gev.push_back(static_cast<float>(10 + 190 * rng.uniform()));
    return data;
}

//! The regressor written out as loops: an independent reference.
double reference_estimate(std::vector<float> const& p, float const* image, int rows, int cols,
                          RegressorOptions const& o)
{
    int const out_r = (rows - o.kernel) / o.stride + 1;
    int const out_c = (cols - o.kernel) / o.stride + 1;
    std::size_t const conv_size = static_cast<std::size_t>(o.filters) * o.kernel * o.kernel;
    double sum = 0;
    for (int f = 0; f < o.filters; ++f)
        for (int i = 0; i < out_r; ++i)
            for (int j = 0; j < out_c; ++j)
            {
                double h = o.bias;
                for (int a = 0; a < o.kernel; ++a)
                    for (int b = 0; b < o.kernel; ++b)
                        h += p[(f * o.kernel + a) * o.kernel + b] * o.input_scale
                             * image[(i * o.stride + a) * cols + (j * o.stride + b)];
                h = h > 0 ? h : o.leaky_slope * h;
                sum += p[conv_size + (f * out_r + i) * out_c + j] * h;
            }
    return (sum + o.bias) * o.energy_scale_gev;
}
}  // namespace

TEST(EnergyRegressor, HasOneConvolutionAndOneDenseLayer)
{
    EnergyRegressor const r(25, 25, RegressorOptions{});
    // 8 x 5 x 5 conv weights, 8 x 11 x 11 dense weights, no bias (Carminati et al. 2019, Table 1).
    EXPECT_EQ(r.space().size(), 200u + 968u);
    ASSERT_EQ(r.space().blocks().size(), 2u);
    EXPECT_NEAR(r.space().blocks()[0].init_high, 0.2, 1e-12);  // 1/sqrt(fan_in = 25)
    RegressorOptions trainable;
    trainable.trainable_bias = true;
    EXPECT_EQ(EnergyRegressor(25, 25, trainable).space().size(), 200u + 8u + 968u + 1u);
    RegressorOptions too_wide;
    too_wide.kernel = 30;
    EXPECT_THROW(EnergyRegressor(25, 25, too_wide), InputError);
}

TEST(EnergyRegressor, MatchesTheLoopReferenceWithAndWithoutAConstantBias)
{
    for (double bias : {0.0, 0.05})
    {
        RegressorOptions o;
        o.bias = bias;
        o.filters = 3;
        o.stride = 3;
        EnergyRegressor const r(12, 14, o);
        auto const data = random_showers(4, 12, 14, 2);
        auto const p = r.space().sample(17);
        auto const estimate = r.estimate(p, data);
        ASSERT_EQ(estimate.size(), 4u);
        for (std::size_t i = 0; i < 4; ++i)
        {
            double const expected = reference_estimate(p, data.image(i), 12, 14, o);
            EXPECT_NEAR(estimate[i], expected, 1e-4 * std::abs(expected) + 1e-4) << "bias " << bias << " event " << i;
        }
        EXPECT_NEAR(r.loss(p, data), 0.25 * ([&] {
                        double s = 0;
                        for (std::size_t i = 0; i < 4; ++i)
                            s += std::abs(estimate[i] - data.energy_gev[i]) / data.energy_gev[i];
                        return s;
                    })(),
                    1e-6);
    }
}

TEST(RegressionFitness, IsTheMinibatchRelativeErrorWhateverTheThreadCount)
{
    EnergyRegressor const r(25, 25, RegressorOptions{});
    auto const data = random_showers(300, 25, 25, 5);
    MinibatchSchedule const schedule(data.size(), 128, 1);
    RegressionFitness const fitness(r, data, schedule);
    std::vector<std::vector<float>> candidates;
    for (std::uint64_t s = 0; s < 5; ++s)
        candidates.push_back(r.space().sample(s));

    at::set_num_threads(1);
    auto const one = fitness.evaluate(candidates, 3);
    at::set_num_threads(2);
    auto const two = fitness.evaluate(candidates, 3);
    EXPECT_EQ(one, two);  // bit for bit: each candidate runs on one thread

    // Independently: the relative error over the events of minibatch 3.
    auto const events = schedule.batch(3);
    auto const all = r.estimate(candidates[2], data);
    double sum = 0;
    for (auto i : events)
        sum += std::abs(all[i] - data.energy_gev[i]) / data.energy_gev[i];
    EXPECT_NEAR(one[2], sum / events.size(), 1e-5);
    EXPECT_NE(fitness.evaluate(candidates, 4)[2], one[2]);  // another minibatch
}
}  // namespace calo::evolve
