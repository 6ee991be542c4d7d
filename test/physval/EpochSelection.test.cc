#include "calo3dgan/physval/EpochSelection.hh"

#include <gtest/gtest.h>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
namespace
{
nlohmann::json history_with(std::vector<double> const& mre, int validate_every)
{
    nlohmann::json h = nlohmann::json::array();
    for (std::size_t i = 0; i < mre.size() * validate_every; ++i)
    {
        nlohmann::json record = {{"epoch", i + 1}};
        if ((i + 1) % validate_every == 0)
            record["validation"] = {{"sampling_fraction_mre", mre[i / validate_every]}, {"figure_of_merit", 1.0}};
        h.push_back(record);
    }
    return h;
}

TEST(EpochSelection, LowestErrorAmongTheLastTen)
{
    // Epoch 2 is the best overall but not among the last ten (3..12).
    auto const h = history_with({0.5, 0.01, 0.3, 0.2, 0.25, 0.08, 0.4, 0.09, 0.3, 0.3, 0.2, 0.1}, 1);
    EpochChoice const c = select_epoch(h);
    EXPECT_EQ(c.epoch, 6);
    EXPECT_DOUBLE_EQ(c.sampling_fraction_mean_relative_error, 0.08);
    ASSERT_EQ(c.considered.size(), 10u);
    EXPECT_EQ(c.considered.front(), 3);
}

TEST(EpochSelection, OnlyValidatedEpochsCount)
{
    auto const h = history_with({0.3, 0.1, 0.2}, 5);
    EpochChoice const c = select_epoch(h, 10);
    EXPECT_EQ(c.epoch, 10);
    EXPECT_EQ(c.considered, (std::vector<std::int64_t>{5, 10, 15}));
}

TEST(EpochSelection, HistoryWithoutValidationIsAnError)
{
    EXPECT_THROW(select_epoch(nlohmann::json::array({{{"epoch", 1}}})), InputError);
}
}  // namespace
}  // namespace calo::physval
