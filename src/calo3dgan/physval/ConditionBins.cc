#include "calo3dgan/physval/ConditionBins.hh"

#include <algorithm>
#include <cmath>
#include <set>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Format.hh"

namespace calo::physval
{
namespace
{
std::vector<ConditionBin> bins_from_edges(std::vector<double> const& edges, std::string const& kind,
                                          std::string const& unit)
{
    CALO_VALIDATE(edges.size() >= 2, kind + " bin edges need at least two values");
    for (std::size_t i = 1; i < edges.size(); ++i)
        CALO_VALIDATE(edges[i] > edges[i - 1], kind + " bin edges must increase (got "
                                                   + format_significant(edges[i - 1], 4) + " then "
                                                   + format_significant(edges[i], 4) + ")");
    std::vector<ConditionBin> bins;
    for (std::size_t i = 1; i < edges.size(); ++i)
    {
        ConditionBin bin;
        bin.kind = kind;
        bin.lo = edges[i - 1];
        bin.hi = edges[i];
        bin.closed_above = i + 1 == edges.size();
        bin.label = format_significant(bin.lo, 4) + "-" + format_significant(bin.hi, 4) + " " + unit;
        bins.push_back(bin);
    }
    return bins;
}

std::vector<double> equal_width_edges(double lo, double hi, int count)
{
    std::vector<double> edges;
    for (int i = 0; i <= count; ++i)
        edges.push_back(lo + (hi - lo) * i / count);
    return edges;
}
}  // namespace

std::vector<ConditionBin> make_energy_bins(std::vector<float> const& energy_gev, std::vector<double> const& edges,
                                           int count)
{
    if (!edges.empty())
    {
        CALO_VALIDATE(edges.front() > 0, "energy bin edges must be positive");
        return bins_from_edges(edges, "energy", "GeV");
    }
    CALO_VALIDATE(!energy_gev.empty(), "no reference events to bin");
    std::set<long> distinct;
    for (float e : energy_gev)
    {
        distinct.insert(std::lround(e * 10.0));
        if (distinct.size() > 12)
            break;
    }
    if (distinct.size() <= 12)
    {
        std::vector<ConditionBin> bins;
        for (long tenth : distinct)
        {
            double const centre = tenth / 10.0;
            ConditionBin bin;
            bin.kind = "energy";
            bin.lo = std::max(0.0, centre - 5.0);
            bin.hi = centre + 5.0;
            bin.label = format_significant(centre, 4) + " GeV";
            bins.push_back(bin);
        }
        return bins;
    }
    auto [lo, hi] = std::minmax_element(energy_gev.begin(), energy_gev.end());
    if (count <= 0)
        count = std::clamp(static_cast<int>(energy_gev.size() / 400), 1, 10);
    return bins_from_edges(equal_width_edges(*lo, *hi, count), "energy", "GeV");
}

std::vector<ConditionBin> make_theta_bins(std::vector<float> const& theta_deg, std::vector<double> const& edges,
                                          int count)
{
    if (!edges.empty())
        return bins_from_edges(edges, "theta", "deg");
    if (theta_deg.empty())
        return {};
    auto [lo, hi] = std::minmax_element(theta_deg.begin(), theta_deg.end());
    if (*hi - *lo < 1.0)
        return {};
    return bins_from_edges(equal_width_edges(*lo, *hi, count > 0 ? count : 3), "theta", "deg");
}
}  // namespace calo::physval
