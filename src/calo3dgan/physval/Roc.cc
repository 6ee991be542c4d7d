#include "calo3dgan/physval/Roc.hh"

#include <algorithm>
#include <numeric>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
namespace
{
std::vector<std::size_t> order_by_score(std::vector<double> const& scores)
{
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    return order;
}

void check_inputs(std::vector<double> const& scores, std::vector<int> const& labels)
{
    CALO_VALIDATE(scores.size() == labels.size(), "scores and labels differ in length");
    bool positive = false, negative = false;
    for (int l : labels)
        (l ? positive : negative) = true;
    CALO_VALIDATE(positive && negative, "a ROC curve needs events of both classes");
}
}  // namespace

double roc_auc(std::vector<double> const& scores, std::vector<int> const& labels)
{
    check_inputs(scores, labels);
    auto const order = order_by_score(scores);
    // Rank sum of the positives with mid-ranks for ties.
    double rank_sum = 0;
    double positives = 0;
    std::size_t i = 0;
    while (i < order.size())
    {
        std::size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]])
            ++j;
        double const mid_rank = 0.5 * (i + 1 + j);
        for (std::size_t k = i; k < j; ++k)
        {
            if (labels[order[k]])
            {
                rank_sum += mid_rank;
                positives += 1;
            }
        }
        i = j;
    }
    double const negatives = static_cast<double>(scores.size()) - positives;
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives);
}

RocCurve roc_curve(std::vector<double> const& scores, std::vector<int> const& labels, int max_points)
{
    check_inputs(scores, labels);
    auto order = order_by_score(scores);
    std::reverse(order.begin(), order.end());
    double const positives = std::count(labels.begin(), labels.end(), 1);
    double const negatives = static_cast<double>(labels.size()) - positives;
    RocCurve full;
    full.false_positive_rate.push_back(0);
    full.true_positive_rate.push_back(0);
    double tp = 0, fp = 0;
    for (std::size_t k = 0; k < order.size(); ++k)
    {
        (labels[order[k]] ? tp : fp) += 1;
        bool const threshold_ends = k + 1 == order.size() || scores[order[k + 1]] != scores[order[k]];
        if (threshold_ends)
        {
            full.false_positive_rate.push_back(fp / negatives);
            full.true_positive_rate.push_back(tp / positives);
        }
    }
    std::size_t const n = full.false_positive_rate.size();
    if (static_cast<int>(n) <= max_points)
        return full;
    RocCurve thin;
    for (int p = 0; p < max_points; ++p)
    {
        std::size_t const k = static_cast<std::size_t>(static_cast<double>(p) * (n - 1) / (max_points - 1));
        thin.false_positive_rate.push_back(full.false_positive_rate[k]);
        thin.true_positive_rate.push_back(full.true_positive_rate[k]);
    }
    return thin;
}

IsotonicCalibration::IsotonicCalibration(std::vector<double> const& scores, std::vector<int> const& labels)
{
    check_inputs(scores, labels);
    auto const order = order_by_score(scores);
    // Blocks of pooled points: mean label, weight, and the score range.
    std::vector<double> mean, weight, lo, hi;
    for (std::size_t k : order)
    {
        mean.push_back(labels[k]);
        weight.push_back(1);
        lo.push_back(scores[k]);
        hi.push_back(scores[k]);
        while (mean.size() > 1 && mean[mean.size() - 2] >= mean.back())
        {
            std::size_t const b = mean.size() - 1;
            double const w = weight[b - 1] + weight[b];
            mean[b - 1] = (mean[b - 1] * weight[b - 1] + mean[b] * weight[b]) / w;
            weight[b - 1] = w;
            hi[b - 1] = hi[b];
            mean.pop_back();
            weight.pop_back();
            lo.pop_back();
            hi.pop_back();
        }
    }
    for (std::size_t b = 0; b < mean.size(); ++b)
    {
        x_.push_back(lo[b]);
        y_.push_back(mean[b]);
        if (hi[b] > lo[b])
        {
            x_.push_back(hi[b]);
            y_.push_back(mean[b]);
        }
    }
}

double IsotonicCalibration::operator()(double score) const
{
    if (score <= x_.front())
        return y_.front();
    if (score >= x_.back())
        return y_.back();
    auto const it = std::upper_bound(x_.begin(), x_.end(), score);
    std::size_t const b = static_cast<std::size_t>(it - x_.begin());
    double const t = (score - x_[b - 1]) / (x_[b] - x_[b - 1]);
    return y_[b - 1] + t * (y_[b] - y_[b - 1]);
}
}  // namespace calo::physval
