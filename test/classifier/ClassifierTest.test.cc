// The classifier two-sample test on Gaussian samples whose best possible AUC
// is known: Φ(Δ/√2) for two unit-covariance Gaussians whose means are a
// Mahalanobis distance Δ apart (the log-likelihood ratio is linear, with
// means ±Δ²/2 and variance Δ² under the two classes).
#include "calo3dgan/classifier/ClassifierTest.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::classifier
{
namespace
{
using physval::ClassifierOptions;
using physval::ClassifierResult;
using physval::InputMatrix;

constexpr std::size_t kEvents = 2000;  //!< per class
constexpr int kFeatures = 4;

//! kEvents events of kFeatures independent unit normals, feature i shifted by shift[i].
InputMatrix gaussian_sample(std::vector<double> const& shift, std::uint64_t seed)
{
    InputMatrix m;
    m.rows = kEvents;
    m.cols = shift.size();
    Rng rng(seed);
    for (std::size_t r = 0; r < m.rows; ++r)
        for (double s : shift)
            m.values.push_back(static_cast<float>(s + standard_normal(rng)));
    return m;
}

ClassifierOptions small_network(std::uint64_t seed = 5)
{
    ClassifierOptions o;
    o.hidden = {32, 32};
    o.max_epochs = 30;
    o.patience = 10;
    o.learning_rate = 2e-3;
    o.seed = seed;
    return o;
}

double normal_cdf(double x)
{
    return 0.5 * std::erfc(-x / std::sqrt(2.0));
}

//! Standard deviation of an AUC estimate A from n1 and n2 events (Hanley &
//! McNeil 1982, Radiology 143:29, eq. 2).
double auc_sigma(double a, double n1, double n2)
{
    double const q1 = a / (2 - a), q2 = 2 * a * a / (1 + a);
    return std::sqrt((a * (1 - a) + (n1 - 1) * (q1 - a * a) + (n2 - 1) * (q2 - a * a)) / (n1 * n2));
}

void print(char const* what, ClassifierResult const& r)
{
    std::printf("%s: auc %.4f jsd %.4f best epoch %d of %zu, validation events %zu\n", what, r.auc, r.jsd,
                r.best_epoch, r.test_accuracy.size(), r.validation_events);
}

TEST(ClassifierTest, SamplesOfOneDistributionAreIndistinguishable)
{
    std::vector<double> const same(kFeatures, 0.0);
    ClassifierResult const r = two_sample_test(gaussian_sample(same, 1), gaussian_sample(same, 2), small_network());
    print("same distribution", r);
    // Split 60/20/20: 400 validation events per class (800 in all).
    ASSERT_EQ(r.validation_events, 800u);
    ASSERT_EQ(r.train_events, 2400u);
    // The network never saw the validation events, so its AUC there is a
    // Mann-Whitney statistic of a fixed score: under the null hypothesis
    // sigma = sqrt((n1 + n2 + 1) / (12 n1 n2)) = 0.0204 for n1 = n2 = 400
    // (ties from the isotonic calibration only shrink it); 4 sigma = 0.082.
    double const sigma = std::sqrt((400.0 + 400.0 + 1) / (12 * 400.0 * 400.0));
    EXPECT_NEAR(r.auc, 0.5, 4 * sigma);
    // (ln 2 - BCE)/ln 2 is a lower bound of the true JSD/ln 2 (here 0) up to
    // the fluctuation of the mean log-loss over 800 events: calibrated
    // probabilities of indistinguishable classes stay within about 0.3..0.7,
    // where one event's log-loss lies in [0.36, 1.20], so its standard
    // deviation is at most 0.42, sigma(BCE) <= 0.42/sqrt(800) = 0.015 and
    // sigma(JSD) <= 0.015/ln 2 = 0.021. (It is often clearly negative: the
    // calibration fits noise.)
    EXPECT_LT(r.jsd, 3 * 0.021);
}

TEST(ClassifierTest, ModeratelySeparatedSamplesReachTheBestPossibleAuc)
{
    // One feature shifted by one sigma: Δ = 1, best AUC Φ(1/√2) = 0.760.
    std::vector<double> shifted(kFeatures, 0.0);
    shifted[0] = 1.0;
    ClassifierResult const r =
        two_sample_test(gaussian_sample(std::vector<double>(kFeatures, 0.0), 3), gaussian_sample(shifted, 4),
                        small_network());
    print("shifted by 1 sigma", r);
    double const best = normal_cdf(1.0 / std::sqrt(2.0));
    // Hanley-McNeil sigma of an AUC of 0.760 from 400 + 400 validation
    // events: 0.017. No classifier beats the likelihood ratio beyond that
    // fluctuation; a network with 2400 training events on 4 inputs gets
    // within it (the calibration's ties cost well under one sigma).
    double const sigma = auc_sigma(best, 400, 400);
    EXPECT_NEAR(r.auc, best, 4 * sigma);
}

TEST(ClassifierTest, ClearlySeparatedSamplesGiveAucNearOne)
{
    // Every feature shifted by 3 sigma: Δ = 6, best AUC Φ(6/√2) = 1 - 1.1e-5,
    // Hanley-McNeil sigma 1.2e-4 at 400 + 400 events.
    ClassifierResult const r = two_sample_test(gaussian_sample(std::vector<double>(kFeatures, 0.0), 5),
                                               gaussian_sample(std::vector<double>(kFeatures, 3.0), 6),
                                               small_network());
    print("shifted by 3 sigma", r);
    double const best = normal_cdf(6.0 / std::sqrt(2.0));
    EXPECT_NEAR(r.auc, best, 4 * auc_sigma(best, 400, 400) + 1e-3);
    // Overlap of the classes is 1e-5 of the events: calibrated probabilities
    // are 0 or 1 nearly everywhere, so the BCE is near 0 and the JSD near 1.
    EXPECT_GT(r.jsd, 0.95);
    EXPECT_LE(r.jsd, 1.0);
}

TEST(ClassifierTest, SameSeedSameResult)
{
    std::vector<double> shifted(kFeatures, 0.0);
    shifted[0] = 1.0;
    auto const reference = gaussian_sample(std::vector<double>(kFeatures, 0.0), 7);
    auto const candidate = gaussian_sample(shifted, 8);
    ClassifierResult const a = two_sample_test(reference, candidate, small_network(11));
    ClassifierResult const b = two_sample_test(reference, candidate, small_network(11));
    EXPECT_EQ(a.auc, b.auc);
    EXPECT_EQ(a.jsd, b.jsd);
    EXPECT_EQ(a.best_epoch, b.best_epoch);
    EXPECT_EQ(a.train_loss, b.train_loss);
    EXPECT_EQ(a.test_accuracy, b.test_accuracy);
    EXPECT_EQ(a.roc.true_positive_rate, b.roc.true_positive_rate);
    // Another seed splits and initialises differently.
    ClassifierResult const c = two_sample_test(reference, candidate, small_network(12));
    EXPECT_NE(a.train_loss, c.train_loss);
}

TEST(ClassifierTest, RefusesTooFewEventsOrDifferentWidths)
{
    InputMatrix const small{std::vector<float>(9 * 2, 0.0f), 9, 2};
    InputMatrix const enough{std::vector<float>(20 * 2, 0.0f), 20, 2};
    InputMatrix const wider{std::vector<float>(20 * 3, 0.0f), 20, 3};
    EXPECT_THROW(two_sample_test(small, enough, small_network()), InputError);
    EXPECT_THROW(two_sample_test(enough, wider, small_network()), InputError);
}
}  // namespace
}  // namespace calo::classifier
