#include "calo3dgan/physval/FigureOfMerit.hh"

#include <cmath>
#include <limits>

#include "calo3dgan/base/Error.hh"

namespace calo::physval
{
namespace
{
bool in_bin(FeatureTable const& t, std::size_t event, ConditionBin const& bin)
{
    double const value = bin.kind == "theta" ? t.theta_deg[event] : t.energy_gev[event];
    return bin.contains(value);
}

BinSummary summarise(FeatureTable const& t, ConditionBin const& bin)
{
    BinSummary s;
    geo::ImageShape const shape = t.shape;
    int const sizes[3] = {shape.nx, shape.ny, shape.nz};
    for (int a = 0; a < 3; ++a)
        s.profile[a].assign(sizes[a], 0.0);
    auto const& sampling_fraction = t.column("sampling_fraction");
    std::vector<float> const* m1[3] = {&t.column("moment1_x"), &t.column("moment1_y"), &t.column("moment1_z")};
    std::vector<float> const* m2[3] = {&t.column("moment2_x"), &t.column("moment2_y"), &t.column("moment2_z")};
    bool const angles = !t.theta_deg.empty();
    std::vector<float> const* measured = angles ? &t.column("measured_angle_deg") : nullptr;

    double sum_sampling_fraction = 0, sum_sampling_fraction_squared = 0, sum_angle = 0;
    for (std::size_t e = 0; e < t.num_events; ++e)
    {
        if (!in_bin(t, e, bin))
            continue;
        ++s.events;
        sum_sampling_fraction += sampling_fraction[e];
        sum_sampling_fraction_squared += static_cast<double>(sampling_fraction[e]) * sampling_fraction[e];
        for (int a = 0; a < 3; ++a)
        {
            s.moment1[a] += (*m1[a])[e];
            s.moment2[a] += (*m2[a])[e];
        }
        float const* p = t.projection(e);
        for (int a = 0, offset = 0; a < 3; offset += sizes[a], ++a)
        {
            for (int i = 0; i < sizes[a]; ++i)
                s.profile[a][i] += p[offset + i];
        }
        if (angles)
            sum_angle += std::abs(t.theta_deg[e] - (*measured)[e]) / t.theta_deg[e];
    }
    if (s.events == 0)
        return s;
    double const n = static_cast<double>(s.events);
    double const mean = sum_sampling_fraction / n;
    s.sampling_fraction_mean = mean;
    s.sampling_fraction_standard_deviation = std::sqrt(std::max(0.0, sum_sampling_fraction_squared / n - mean * mean));
    s.sampling_fraction_mean_uncertainty = s.sampling_fraction_standard_deviation / std::sqrt(n);
    for (int a = 0; a < 3; ++a)
    {
        s.moment1[a] /= n;
        s.moment2[a] /= n;
        for (double& v : s.profile[a])
            v /= n;
    }
    s.angle_error = angles ? sum_angle / n : std::numeric_limits<double>::quiet_NaN();
    return s;
}

double relative_difference(double reference, double candidate)
{
    return reference != 0 ? std::abs((reference - candidate) / reference) : 0.0;
}

MeritTerms compare(BinSummary const& ref, BinSummary const& cand, bool angles)
{
    MeritTerms t;
    double moment = 0;
    for (int a = 0; a < 3; ++a)
        moment += relative_difference(ref.moment1[a], cand.moment1[a]) + relative_difference(ref.moment2[a], cand.moment2[a]);
    t.moment = moment / 6.0;
    double shape = 0;
    for (int a = 0; a < 3; ++a)
    {
        double sum = 0;
        int cells = 0;
        for (std::size_t i = 0; i < ref.profile[a].size(); ++i)
        {
            if (ref.profile[a][i] > 0)
            {
                sum += relative_difference(ref.profile[a][i], cand.profile[a][i]);
                ++cells;
            }
        }
        shape += cells > 0 ? sum / cells : 0.0;
    }
    t.shape = shape / 3.0;
    t.sampling_fraction = relative_difference(ref.sampling_fraction_mean, cand.sampling_fraction_mean);
    if (angles)
        t.angle = cand.angle_error;
    return t;
}
}  // namespace

MeritResult evaluate_merit(FeatureTable const& reference, FeatureTable const& candidate,
                           std::vector<ConditionBin> const& bins, MeritOptions const& options)
{
    CALO_VALIDATE(reference.shape == candidate.shape, "reference and candidate showers have different shapes ("
                                                          + reference.shape.to_string() + " and "
                                                          + candidate.shape.to_string() + ")");
    bool const angles = !reference.theta_deg.empty() && !candidate.theta_deg.empty();
    MeritResult result;
    double relative_variance_sum = 0;
    MeritTerms sum;
    if (angles)
        sum.angle = 0.0;
    for (ConditionBin const& bin : bins)
    {
        BinComparison c;
        c.bin = bin;
        if (bin.kind == "theta" && !angles)
            continue;
        c.reference = summarise(reference, bin);
        c.candidate = summarise(candidate, bin);
        if (c.reference.events < options.min_events || c.candidate.events < options.min_events)
        {
            c.skipped = "fewer than " + std::to_string(options.min_events) + " events (reference "
                        + std::to_string(c.reference.events) + ", candidate " + std::to_string(c.candidate.events) + ")";
            result.bins.push_back(std::move(c));
            continue;
        }
        c.terms = compare(c.reference, c.candidate, angles);
        double const ref_mean = c.reference.sampling_fraction_mean;
        double const cand_mean = c.candidate.sampling_fraction_mean;
        c.sampling_fraction_relative_error = (cand_mean - ref_mean) / ref_mean;
        if (bin.kind == "energy")
        {
            ++result.used_energy_bins;
            sum.moment += c.terms.moment;
            sum.shape += c.terms.shape;
            sum.sampling_fraction += c.terms.sampling_fraction;
            if (angles)
                *sum.angle += *c.terms.angle;
            double const n_ref = static_cast<double>(c.reference.events);
            double const n_cand = static_cast<double>(c.candidate.events);
            double const candidate_spread = c.candidate.sampling_fraction_standard_deviation / ref_mean;
            double const reference_spread = c.reference.sampling_fraction_standard_deviation / cand_mean;
            relative_variance_sum += std::pow(candidate_spread, 2) / n_cand + std::pow(reference_spread, 2) / n_ref;
        }
        result.bins.push_back(std::move(c));
    }
    CALO_VALIDATE(result.used_energy_bins > 0, "no energy bin has enough events on both sides (at least "
                                                   + std::to_string(options.min_events)
                                                   + ") — do reference and candidate cover the same energies?");
    double const n = static_cast<double>(result.used_energy_bins);
    result.average.moment = sum.moment / n;
    result.average.shape = sum.shape / n;
    result.average.sampling_fraction = sum.sampling_fraction / n;
    if (angles)
        result.average.angle = *sum.angle / n;
    result.figure_of_merit = result.average.total();
    result.sampling_fraction_mean_relative_error = result.average.sampling_fraction;
    result.sampling_fraction_mean_relative_error_uncertainty = std::sqrt(relative_variance_sum / n);
    return result;
}
}  // namespace calo::physval
