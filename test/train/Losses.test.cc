#include "calo3dgan/train/Losses.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "calo3dgan/train/EcalFit.hh"

namespace calo::train
{
TEST(Losses, BinaryCrossEntropyByHand)
{
    auto const p = torch::tensor({0.9f, 0.2f, 0.6f}).reshape({3, 1});
    auto const t = torch::tensor({1.0f, 0.0f, 0.0f}).reshape({3, 1});
    double const expected = -(std::log(0.9) + std::log(0.8) + std::log(0.4)) / 3;
    EXPECT_NEAR(clipped_binary_cross_entropy(p, t).item<double>(), expected, 1e-6);
}

TEST(Losses, BinaryCrossEntropyClipsLikeKeras)
{
    // p = 0 with label 1 would be infinite; Keras clips to 1e-7: -ln(1e-7) = 16.118.
    auto const p = torch::zeros({1, 1});
    auto const t = torch::ones({1, 1});
    EXPECT_NEAR(clipped_binary_cross_entropy(p, t).item<double>(), -std::log(1e-7), 1e-3);
}

TEST(Losses, MeanAbsolutePercentageError)
{
    auto const pred = torch::tensor({1.1f, 1.5f}).reshape({2, 1});
    auto const target = torch::tensor({1.0f, 2.0f}).reshape({2, 1});
    EXPECT_NEAR(mean_absolute_percentage_error(pred, target).item<double>(), 100 * (0.1 + 0.25) / 2, 1e-4);
    // The denominator is clamped at 1e-7, so a zero target stays finite.
    auto const zero = torch::zeros({1, 1});
    auto const one = torch::ones({1, 1});
    EXPECT_NEAR(mean_absolute_percentage_error(one, zero).item<double>(), 100 / 1e-7, 1e3);
}

TEST(Losses, MeanAbsoluteError)
{
    auto const pred = torch::tensor({1.0f, -1.0f}).reshape({2, 1});
    auto const target = torch::tensor({0.5f, 1.0f}).reshape({2, 1});
    EXPECT_NEAR(mean_absolute_error(pred, target).item<double>(), (0.5 + 2.0) / 2, 1e-6);
}

TEST(EcalFit, MatchesThe3dganPolynomial)
{
    // GetEcalFit mod 1 at y = 1: 0.0018 - 0.023 + 0.11 - 0.28 + 2.21 = 2.0188 (% of E_p).
    auto const reference = event::reference_sampling_fraction();
    EXPECT_NEAR(ecal_fit(1.0, 1.0, reference), 2.0188, 1e-9);
    // At 500 GeV (y = 5) the ratio is 1.81 %, i.e. 9.06 GeV; xscale multiplies.
    double const ratio5 = 0.0018 * 625 - 0.023 * 125 + 0.11 * 25 - 0.28 * 5 + 2.21;
    EXPECT_NEAR(ecal_fit(5.0, 100.0, reference), ratio5 * 5 * 100, 1e-9);
    EXPECT_NEAR(ratio5, 1.81, 0.01);
}

TEST(EcalFit, UsesTheConfiguredSamplingFraction)
{
    // A flat 2 % (3DGAN's mod 0): target = 2 * y * xscale.
    EXPECT_NEAR(ecal_fit(3.0, 100.0, {2.0}), 600.0, 1e-9);
    EXPECT_NEAR(ecal_fit(3.0, 100.0, {0.1, 1.5}), (0.3 + 1.5) * 300.0, 1e-9);
}
}  // namespace calo::train
