#pragma once
// ROC curves, AUC and isotonic calibration for the classifier two-sample test.
#include <vector>

namespace calo::physval
{
//! Area under the ROC curve of scores for positives (label 1) against
//! negatives (label 0): the Mann-Whitney probability that a positive scores
//! higher, ties counting one half.
double roc_auc(std::vector<double> const& scores, std::vector<int> const& labels);

struct RocCurve
{
    std::vector<double> false_positive_rate, true_positive_rate;
};

//! The ROC curve, thinned to at most `max_points` points (ends included).
RocCurve roc_curve(std::vector<double> const& scores, std::vector<int> const& labels, int max_points = 200);

//! Monotone (non-decreasing) map from score to probability, fitted by pool
//! adjacent violators on (score, label) pairs, as sklearn's IsotonicRegression.
class IsotonicCalibration
{
  public:
    IsotonicCalibration(std::vector<double> const& scores, std::vector<int> const& labels);
    //! Calibrated probability, linear between fitted points, clamped outside.
    double operator()(double score) const;

  private:
    std::vector<double> x_, y_;
};
}  // namespace calo::physval
