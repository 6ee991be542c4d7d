// The sampling-fraction polynomial: evaluation, least-squares fit, and the fit
// of showers' visible against primary energies.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ErrorMessage.hh"
#include "calo3dgan/event/SamplingFraction.hh"

namespace calo::event
{
TEST(SamplingFraction, ReferenceIsThe3dganFit)
{
    // GetEcalFit mod 1 (docs/training.md): 2.0188 % at y = 1, 1.81 % at y = 5.
    auto const reference = reference_sampling_fraction();
    EXPECT_NEAR(evaluate(reference, 1.0), 2.0188, 1e-12);
    EXPECT_NEAR(evaluate(reference, 5.0), 1.81, 1e-12);
    EXPECT_NEAR(evaluate(reference, 0.0), 2.21, 1e-12);
}

TEST(SamplingFraction, FitRecoversAnExactPolynomial)
{
    // Points on a quartic are fitted exactly, whatever the x range (10-500 GeV
    // as y = 0.1..5 here, so y^4 spans 1e-4..625).
    Polynomial const truth{0.002, -0.026, 0.12, -0.27, 2.15};
    std::vector<double> x, v;
    for (int i = 0; i <= 200; ++i)
    {
        x.push_back(0.1 + 4.9 * i / 200.0);
        v.push_back(evaluate(truth, x.back()));
    }
    auto const fit = fit_polynomial(x, v, 4);
    ASSERT_EQ(fit.size(), 5u);
    for (std::size_t k = 0; k < 5; ++k) EXPECT_NEAR(fit[k], truth[k], 1e-9) << "coefficient " << k;
}

TEST(SamplingFraction, FitOfShowersAveragesTheirFluctuations)
{
    // Showers with visible = E * ratio(y) * (1 + 5 % Gaussian noise): the
    // degree-2 fit of 20,000 of them lands on ratio(y) to well within the
    // statistical error. Each point has sigma = 0.05 * ratio ~ 0.1 %; the fit
    // value's error is ~ 0.1 % * sqrt(3 / 20000) ~ 0.0012 % in the middle,
    // about three times that at the ends; 0.01 % is over five sigma there.
    Polynomial const truth{0.01, -0.15, 2.1};
    std::mt19937_64 rng(42);
    std::uniform_real_distribution<double> energy(10, 500);
    std::normal_distribution<double> noise(0, 0.05);
    std::vector<double> primary, visible;
    for (int i = 0; i < 20000; ++i)
    {
        double const e = energy(rng);
        primary.push_back(e);
        visible.push_back(e * evaluate(truth, e / 100) / 100 * (1 + noise(rng)));
    }
    primary.push_back(0);  // no primary energy: left out
    visible.push_back(1);
    auto const fit = fit_sampling_fraction(primary, visible, 2, 100);
    EXPECT_EQ(fit.showers, 20000u);
    EXPECT_DOUBLE_EQ(fit.yscale, 100);
    for (double y : {0.1, 1.0, 2.5, 5.0}) EXPECT_NEAR(evaluate(fit.coefficients, y), evaluate(truth, y), 0.01) << y;
    // The residual is the noise: 5 % of a ratio between 1.6 and 2.1 %.
    EXPECT_GT(fit.rms_residual, 0.05 * 1.6);
    EXPECT_LT(fit.rms_residual, 0.05 * 2.1);
}

TEST(SamplingFraction, TooFewEnergiesIsAnError)
{
    auto const msg =
        test::error_message([] { fit_polynomial({1.0, 1.0, 2.0}, {2.0, 2.1, 2.2}, 2); });
    EXPECT_NE(msg.find("at least 3 distinct energies, got 2"), std::string::npos) << msg;
    EXPECT_NE(test::error_message([] { fit_polynomial({1.0}, {2.0, 3.0}, 0); }).find("1 x values but 2"),
              std::string::npos);
}
}  // namespace calo::event
