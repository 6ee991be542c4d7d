#include "calo3dgan/evolve/ConvRegressor.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/ArchitectureSpace.hh"
#include "calo3dgan/evolve/EnergyRegressor.hh"

namespace calo::evolve
{
namespace
{
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
}  // namespace

TEST(ConvRegressor, TheSeedArchitectureIsTheEvolveNetworkExactly)
{
    ConvRegressor const searched(25, 25, paper_architecture());
    EnergyRegressor const fixed(25, 25, RegressorOptions{});
    ASSERT_EQ(searched.space().size(), fixed.space().size());
    EXPECT_EQ(searched.space().size(), 1168u);
    auto const data = random_showers(50, 25, 25, 3);
    for (std::uint64_t seed : {1u, 2u})
    {
        // Same parameters, same blocks and ranges, same estimates.
        auto const p = searched.space().sample(seed);
        EXPECT_EQ(p, fixed.space().sample(seed));
        EXPECT_EQ(searched.estimate(p, data), fixed.estimate(p, data));
    }
    // 8 filters x 25 weights x 11 x 11 outputs, then the 968-input dense layer.
    EXPECT_EQ(searched.operations(), 8 * 25 * 121 + 968);
}

TEST(ConvRegressor, CountsParametersOfDeeperNetworksWithBiasAndHiddenLayer)
{
    RegressorArchitecture a;
    a.layers = {{4, 3, 1}, {8, 3, 2}};
    a.activation = Activation::elu;
    a.hidden_units = 16;
    a.bias = true;
    ConvRegressor const r(12, 10, a);
    // 12x10 -> 10x8 -> 4x3; features 8 x 4 x 3 = 96.
    std::size_t const expected = (4 * 9 + 4) + (8 * 4 * 9 + 8) + (16 * 96 + 16) + (16 + 1);
    EXPECT_EQ(r.space().size(), expected);
    EXPECT_EQ(r.describe()["features"], 96);
    auto const data = random_showers(7, 12, 10, 5);
    auto const estimate = r.estimate(r.space().sample(4), data);
    ASSERT_EQ(estimate.size(), 7u);
    for (float e : estimate)
        EXPECT_TRUE(std::isfinite(e));
    // Gradients reach every parameter.
    auto p = torch::tensor(r.space().sample(4)).requires_grad_(true);
    r.forward(p, images_tensor(data, 0, 7)).sum().backward();
    EXPECT_GT(p.grad().abs().gt(0).sum().item<long>(), static_cast<long>(expected) / 2);
}

TEST(ConvRegressor, KernelsTooLargeAreFittedNotRejected)
{
    RegressorArchitecture a;
    a.layers = {{4, 7, 3}, {4, 7, 3}, {4, 7, 3}};
    EXPECT_THROW(ConvRegressor(25, 25, a), InputError);
    auto const f = fitted(a, 25, 25);
    // 25 -(7, 3)-> 7 -(7, 3)-> 1 -(1, 3)-> 1.
    EXPECT_EQ(f.layers[0].kernel, 7);
    EXPECT_EQ(f.layers[1].kernel, 7);
    EXPECT_EQ(f.layers[2].kernel, 1);
    EXPECT_NO_THROW(ConvRegressor(25, 25, f));
}

TEST(ArchitectureSpace, DecodesGenesIntoBuildableArchitectures)
{
    ArchitectureSpace const space(ArchitectureRanges{});
    for (std::uint64_t seed = 0; seed < 300; ++seed)
    {
        auto const a = space.decode(space.genes().sample(seed), 25, 25);
        ASSERT_GE(a.layers.size(), 1u);
        ASSERT_LE(a.layers.size(), 3u);
        EXPECT_NO_THROW(ConvRegressor(25, 25, a)) << to_json(a).dump();
        EXPECT_GE(a.learning_rate, 1e-4 * 0.999);
        EXPECT_LE(a.learning_rate, 1e-2 * 1.001);
        EXPECT_TRUE(a.batch == 32 || a.batch == 64 || a.batch == 128 || a.batch == 256);
        EXPECT_EQ(architecture_from_json(to_json(a), "test"), a) << "JSON round trip";
    }
    ArchitectureRanges bad;
    bad.conv_layers = {1, 4};
    EXPECT_THROW(ArchitectureSpace{bad}, UsageError);
    bad = {};
    bad.activations = {"relu", "swish"};
    EXPECT_THROW(ArchitectureSpace{bad}, UsageError);
    bad = {};
    bad.kernel = {5, 3};
    EXPECT_THROW(ArchitectureSpace{bad}, UsageError);
}
}  // namespace calo::evolve
