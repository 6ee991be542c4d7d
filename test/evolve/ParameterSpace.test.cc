#include "calo3dgan/evolve/ParameterSpace.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/evolve/PointMutation.hh"

namespace calo::evolve
{
namespace
{
ParameterSpace two_blocks()
{
    return ParameterSpace({{"w", {4, 5}, -0.2, 0.2}, {"h", {3}, 10, 20}});
}
}  // namespace

TEST(ParameterSpace, SamplesEachBlockFromItsRange)
{
    auto const space = two_blocks();
    EXPECT_EQ(space.size(), 23u);
    EXPECT_EQ(space.offset(1), 20u);
    auto const p = space.sample(5);
    ASSERT_EQ(p.size(), 23u);
    for (std::size_t i = 0; i < 20; ++i)
    {
        EXPECT_GE(p[i], -0.2f);
        EXPECT_LE(p[i], 0.2f);
    }
    for (std::size_t i = 20; i < 23; ++i)
    {
        EXPECT_GE(p[i], 10.0f);
        EXPECT_LE(p[i], 20.0f);
    }
    EXPECT_EQ(space.sample(5), p);
    EXPECT_NE(space.sample(6), p);
    EXPECT_THROW(ParameterSpace({{"bad", {0}, 0, 1}}), InputError);
}

TEST(ParameterSpace, DecodesASeedChainAsTheMutationsInOrder)
{
    auto const space = two_blocks();
    PointMutation const mutation({0.3, MutationDistribution::uniform});
    Genome genome{11, {}};
    auto incremental = space.sample(11);
    for (std::uint64_t s = 1; s <= 5; ++s)
    {
        genome = genome.child(100 + s, 0.01 * s);
        mutation.apply(incremental, 100 + s, 0.01 * s);
    }
    EXPECT_EQ(space.decode(genome, mutation), incremental);
    // Order matters: a chain with the steps reversed is another individual.
    Genome reversed{11, {genome.steps.rbegin(), genome.steps.rend()}};
    EXPECT_NE(space.decode(reversed, mutation), incremental);
}

TEST(Genome, RoundTripsThroughJsonExactly)
{
    Genome const genome{0xFFFFFFFFFFFFFFF1ull, {{1, 0.1}, {0x8000000000000000ull, 1.0 / 3.0}}};
    auto const text = to_json(genome).dump();
    EXPECT_EQ(genome_from_json(nlohmann::json::parse(text)), genome);
    EXPECT_THROW(genome_from_json(nlohmann::json::parse(R"({"steps": []})")), InputError);
}
}  // namespace calo::evolve
