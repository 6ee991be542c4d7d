#include "calo3dgan/train/ShowerDataset.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "SimulatedData.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::train
{
class ShowerDatasetTest : public ::testing::Test
{
  protected:
    void SetUp() override
    {
        calo::test::write_simulated_dataset(dir_ / "a.h5", event::Layout::fixed_angle, 20, 10, 100, 7);
    }
    ShowerDataset make(double test_fraction, std::uint64_t seed = 3) const
    {
        ShowerDataset::Options o;
        o.test_fraction = test_fraction;
        o.seed = seed;
        return ShowerDataset(io::DatasetReader({dir_ / "a.h5"}), io::PreprocessOptions::model_a(), o);
    }
    calo::test::TempDir dir_;
};

TEST_F(ShowerDatasetTest, HoldsOutTheLastEvents)
{
    auto const d = make(0.1);
    EXPECT_EQ(d.train_size(), 18u);
    EXPECT_EQ(d.test_size(), 2u);
    // The test split is events 18 and 19 in file order.
    auto const test = d.load_test(0, 2);
    auto const direct = d.load({18, 19});
    EXPECT_EQ(test.y, direct.y);
    EXPECT_EQ(test.cells, direct.cells);
}

TEST_F(ShowerDatasetTest, EpochOrderIsASeededPermutation)
{
    auto const d = make(0.1);
    auto order = d.epoch_order(0);
    EXPECT_EQ(order, d.epoch_order(0)) << "same seed and epoch: same order";
    EXPECT_NE(order, d.epoch_order(1)) << "every epoch is reshuffled";
    EXPECT_NE(order, make(0.1, 4).epoch_order(0)) << "another seed, another order";
    std::sort(order.begin(), order.end());
    std::vector<std::size_t> all(18);
    std::iota(all.begin(), all.end(), std::size_t{0});
    EXPECT_EQ(order, all) << "a permutation of the training events only";
}

TEST_F(ShowerDatasetTest, LoadKeepsTheRequestedOrder)
{
    auto const d = make(0.1);
    auto const forward = d.load({2, 3, 4});
    auto const shuffled = d.load({4, 2, 3});
    ASSERT_EQ(forward.size(), 3u);
    ASSERT_EQ(shuffled.size(), 3u);
    EXPECT_EQ(shuffled.y[0], forward.y[2]);
    EXPECT_EQ(shuffled.y[1], forward.y[0]);
    EXPECT_EQ(shuffled.y[2], forward.y[1]);
    auto const n = forward.shape.size();
    EXPECT_TRUE(std::equal(shuffled.cells.begin(), shuffled.cells.begin() + n, forward.cells.begin() + 2 * n));
}

TEST_F(ShowerDatasetTest, ModelAPreprocessing)
{
    auto const d = make(0.1);
    auto const b = d.load({0});
    io::DatasetReader const reader({dir_ / "a.h5"});
    auto const raw = reader.read(0, 1);
    EXPECT_FLOAT_EQ(b.y[0], raw.energy_gev[0] / 100.0f);
    double sum = 0;
    for (float c : b.cells)
        sum += c;
    EXPECT_NEAR(b.ecal[0], sum, 1e-3 * sum);
    // ECAL in scaled units: about 2 % of E_p [GeV] times xscale 100.
    EXPECT_NEAR(b.ecal[0] / (raw.energy_gev[0] * 100.0), 0.02, 0.006);
}

TEST_F(ShowerDatasetTest, RejectsSplitsWithoutTrainingEvents)
{
    EXPECT_THROW(make(1.0), InputError);
    EXPECT_THROW(make(-0.1), InputError);
}
}  // namespace calo::train
