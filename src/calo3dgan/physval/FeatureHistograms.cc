#include "calo3dgan/physval/FeatureHistograms.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
namespace
{
double quantile(std::vector<float> sorted, double q)
{
    std::size_t const i = static_cast<std::size_t>(q * (sorted.size() - 1));
    std::nth_element(sorted.begin(), sorted.begin() + i, sorted.end());
    return sorted[i];
}

std::vector<double> reference_edges(std::vector<float> const& reference, int bins, bool integer_valued)
{
    std::vector<double> edges;
    if (integer_valued)
    {
        // Counts and indices have few values: the full range, integer-aligned.
        auto const [min_it, max_it] = std::minmax_element(reference.begin(), reference.end());
        double lo = std::floor(*min_it) - 0.5;
        double hi = std::ceil(*max_it) + 0.5;
        double const width = std::max(1.0, std::ceil((hi - lo) / bins));
        for (double e = lo; e < hi + width; e += width)
            edges.push_back(e);
        return edges;
    }
    double const lo = quantile(reference, 0.001);
    double const hi = quantile(reference, 0.999);
    if (hi <= lo)
    {
        double const half = std::max(1e-6, std::abs(lo) * 1e-3);
        return {lo - half, lo + half};
    }
    for (int b = 0; b <= bins; ++b)
        edges.push_back(lo + (hi - lo) * b / bins);
    return edges;
}

std::vector<double> fill(std::vector<float> const& values, std::vector<double> const& edges)
{
    std::vector<double> counts(edges.size() - 1, 0.0);
    for (float v : values)
    {
        auto const it = std::upper_bound(edges.begin(), edges.end(), static_cast<double>(v));
        long b = static_cast<long>(it - edges.begin()) - 1;
        b = std::clamp(b, 0L, static_cast<long>(counts.size()) - 1);
        counts[b] += 1;
    }
    return counts;
}
}  // namespace

HistogramPair histogram_pair(std::vector<float> const& reference, std::vector<float> const& candidate, int bins,
                             bool integer_valued)
{
    CALO_VALIDATE(!reference.empty() && !candidate.empty(), "cannot histogram an empty sample");
    CALO_VALIDATE(bins > 0, "histograms need at least one bin");
    HistogramPair h;
    h.edges = reference_edges(reference, bins, integer_valued);
    h.reference = fill(reference, h.edges);
    h.candidate = fill(candidate, h.edges);
    h.separation_power = separation_power(h.reference, h.candidate);
    return h;
}

double separation_power(std::vector<double> const& p, std::vector<double> const& q)
{
    CALO_VALIDATE(p.size() == q.size(), "separation power needs histograms with the same bins");
    double sum_p = 0, sum_q = 0;
    for (std::size_t i = 0; i < p.size(); ++i)
    {
        sum_p += p[i];
        sum_q += q[i];
    }
    if (sum_p <= 0 || sum_q <= 0)
        return 0;
    double sp = 0;
    for (std::size_t i = 0; i < p.size(); ++i)
    {
        double const a = p[i] / sum_p, b = q[i] / sum_q;
        if (a + b > 0)
            sp += (a - b) * (a - b) / (a + b);
    }
    return 0.5 * sp;
}
}  // namespace calo::physval
