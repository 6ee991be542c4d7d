#include "calo3dgan/evolve/GeneSpace.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "SearchToys.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
TEST(GeneSpace, SamplesEveryValueOfEachRangeAndNothingOutside)
{
    auto const space = test::toy_space();
    std::vector<std::set<float>> seen(space.size());
    for (std::uint64_t seed = 0; seed < 2000; ++seed)
    {
        auto const genes = space.sample(seed);
        ASSERT_EQ(genes.size(), 5u);
        EXPECT_EQ(space.sample(seed), genes) << "a pure function of the seed";
        for (std::size_t i = 0; i < 4; ++i)
            seen[i].insert(genes[i]);
        EXPECT_GE(genes[4], -4.0f);
        EXPECT_LE(genes[4], -1.0f);
    }
    // 21 integers, 11 integers, {0, 4, 8, 16, 32, 64}, 3 choices: 2000 draws see them all.
    EXPECT_EQ(seen[0].size(), 21u);
    EXPECT_EQ(*seen[0].begin(), 0.0f);
    EXPECT_EQ(*seen[0].rbegin(), 20.0f);
    EXPECT_EQ(seen[1].size(), 11u);
    std::set<double> values;
    for (float v : seen[2])
        values.insert(space.genes()[2].value(v));
    EXPECT_EQ(values, (std::set<double>{0, 4, 8, 16, 32, 64}));
    EXPECT_EQ(seen[3].size(), 3u);
    auto const json = space.to_json(space.sample(1));
    EXPECT_TRUE(json["d"].is_string());
    EXPECT_GE(json["e"].get<double>(), 1e-4);
    EXPECT_LE(json["e"].get<double>(), 1e-1);
}

TEST(GeneMutation, ChangesAtLeastOneGeneStaysInRangeAndIsPureInTheSeed)
{
    auto const space = test::toy_space();
    GeneMutation const mutation(space, {0.2});
    for (std::uint64_t seed = 0; seed < 500; ++seed)
    {
        auto const parent = space.sample(seed + 10000);
        auto child = parent;
        mutation.apply(child, seed, 0.3);
        auto again = parent;
        mutation.apply(again, seed, 0.3);
        EXPECT_EQ(child, again);
        int changed = 0;
        for (std::size_t i = 0; i < child.size(); ++i)
        {
            auto const& g = space.genes()[i];
            double const lowest = g.with_zero ? g.low - 1 : g.low;
            EXPECT_GE(child[i], lowest - 1e-6) << g.name;
            EXPECT_LE(child[i], g.high + 1e-6) << g.name;
            if (g.kind != GeneKind::log_uniform)
                EXPECT_EQ(child[i], std::round(child[i])) << g.name;
            // A categorical gene that changes takes another value.
            changed += child[i] != parent[i];
        }
        EXPECT_GE(changed, 1);
    }
}

TEST(GeneMutation, StepsScaleWithThePowerAndAreAtLeastOne)
{
    GeneSpace const space({integer_gene("n", 0, 100, "--n")});
    GeneMutation const mutation(space, {1.0});
    double small = 0;
    double large = 0;
    for (std::uint64_t seed = 0; seed < 400; ++seed)
    {
        std::vector<float> a{50}, b{50};
        mutation.apply(a, seed, 0.01);
        mutation.apply(b, seed, 0.4);
        EXPECT_EQ(std::abs(a[0] - 50), 1.0f) << "power 0.01 of a 100 range: the minimum step of 1";
        EXPECT_LE(std::abs(b[0] - 50), 40.0f);
        small += std::abs(a[0] - 50);
        large += std::abs(b[0] - 50);
    }
    // |u| x 40 averages 20 (within a few units for 400 draws).
    EXPECT_NEAR(large / 400, 20, 3);
    EXPECT_EQ(small / 400, 1);
}

TEST(GeneSpace, EmptyOrInvertedRangesAreUsageErrors)
{
    EXPECT_THROW(integer_gene("k", 7, 2, "--kernel"), UsageError);
    EXPECT_THROW(power_of_two_gene("f", 5, 7, "--filters"), UsageError);
    EXPECT_THROW(power_of_two_gene("f", 32, 8, "--filters"), UsageError);
    EXPECT_THROW(categorical_gene("a", {}, "--activations"), UsageError);
    EXPECT_THROW(log_uniform_gene("lr", 1e-2, 1e-4, "--learning-rate"), UsageError);
    EXPECT_THROW(log_uniform_gene("lr", 0, 1e-4, "--learning-rate"), UsageError);
    try
    {
        integer_gene("k", 7, 2, "--kernel");
    }
    catch (UsageError const& e)
    {
        EXPECT_NE(std::string(e.what()).find("--kernel 7:2 is inverted"), std::string::npos) << e.what();
    }
    // A single value is a valid (fixed) gene.
    EXPECT_EQ(integer_gene("k", 3, 3, "--kernel").cardinality(), 1u);
    EXPECT_EQ(power_of_two_gene("h", 0, 0, "--hidden-units").cardinality(), 1u);
}
}  // namespace calo::evolve
