#include "calo3dgan/physval/EventFeatures.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/ParallelFor.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"
#include "calo3dgan/physval/ShowerShape.hh"

namespace calo::physval
{
namespace
{
constexpr double kRadToDeg = 180.0 / kPi;

std::vector<FeatureInfo> describe_features(geo::ImageShape shape, bool with_angles)
{
    std::vector<FeatureInfo> info{
        {"sampling_fraction", "sampling fraction ΣE/E_p", "energy", false},
        {"total_energy_gev", "deposited energy ΣE [GeV]", "energy", false},
        {"log10_incident_energy", "log10(E_p / GeV)", "energy", false},
    };
    if (with_angles)
    {
        info.push_back({"theta_deg", "true polar angle θ [deg]", "energy", false});
        info.push_back({"measured_angle_deg", "measured angle [deg]", "energy", false});
    }
    for (char const* order : {"1", "2"})
    {
        for (char axis : {'x', 'y', 'z'})
        {
            std::string const unit = order[0] == '1' ? " [cell]" : " [cell²]";
            std::string const what = order[0] == '1' ? "barycentre M1 " : "second moment M2 ";
            info.push_back({std::string("moment") + order + "_" + axis, what + axis + unit, "moments", false});
        }
    }
    for (char axis : {'x', 'y', 'z'})
        info.push_back({std::string("max_position_") + axis, std::string("hottest cell ") + axis + " [cell]", "maximum",
                        true});
    info.push_back({"hits", "cells above threshold", "hits", true});
    info.push_back({"energy_fraction_first_third", "energy fraction, first third of layers", "hits", false});
    info.push_back({"energy_fraction_second_third", "energy fraction, second third of layers", "hits", false});
    info.push_back({"energy_fraction_last_third", "energy fraction, last third of layers", "hits", false});
    for (int k = 0; k < shape.nz; ++k)
    {
        std::string const n = std::to_string(k);
        info.push_back({"layer_energy_" + n, "energy in layer " + n + " [GeV]", "layers", false});
        info.push_back({"layer_centre_x_" + n, "centre x, layer " + n + " [cell]", "layers", false});
        info.push_back({"layer_centre_y_" + n, "centre y, layer " + n + " [cell]", "layers", false});
        info.push_back({"layer_width_x_" + n, "width x, layer " + n + " [cell]", "layers", false});
        info.push_back({"layer_width_y_" + n, "width y, layer " + n + " [cell]", "layers", false});
        info.push_back({"layer_sparsity_" + n, "sparsity, layer " + n, "layers", false});
    }
    return info;
}

//! Per-layer sums accumulated in one pass over an image.
struct LayerSums
{
    std::vector<double> energy, x, xx, y, yy, above;
    explicit LayerSums(int nz) : energy(nz), x(nz), xx(nz), y(nz), yy(nz), above(nz) {}
};
}  // namespace

int FeatureTable::find(std::string const& name) const
{
    for (std::size_t f = 0; f < info.size(); ++f)
    {
        if (info[f].name == name)
            return static_cast<int>(f);
    }
    return -1;
}

std::vector<float> const& FeatureTable::column(std::string const& name) const
{
    int const f = find(name);
    CALO_VALIDATE(f >= 0, "no feature named '" + name + "'");
    return columns[f];
}

FeatureTable compute_features(ShowerSample const& sample, FeatureOptions const& options)
{
    geo::ImageShape const shape = sample.shape;
    FeatureTable table;
    table.shape = shape;
    table.num_events = sample.size();
    table.energy_gev = sample.energy_gev;
    for (float theta : sample.theta_rad)
        table.theta_deg.push_back(static_cast<float>(theta * kRadToDeg));
    table.info = describe_features(shape, sample.has_theta());
    table.columns.assign(table.info.size(), std::vector<float>(sample.size()));
    std::size_t const projection_size = shape.nx + shape.ny + shape.nz;
    table.projections.resize(sample.size() * projection_size);

    parallel_for(0, static_cast<std::int64_t>(sample.size()), options.threads, [&](std::int64_t event) {
        float const* cells = sample.image(event);
        double const energy = sample.energy_gev[event];
        std::size_t f = 0;
        auto put = [&](double value) { table.columns[f++][event] = static_cast<float>(value); };

        AxisProjections const p = project(cells, shape);
        std::copy(p.x.begin(), p.x.end(), table.projections.begin() + event * projection_size);
        std::copy(p.y.begin(), p.y.end(), table.projections.begin() + event * projection_size + shape.nx);
        std::copy(p.z.begin(), p.z.end(), table.projections.begin() + event * projection_size + shape.nx + shape.ny);

        put(p.total / energy);
        put(p.total);
        put(std::log10(energy));
        if (sample.has_theta())
        {
            put(sample.theta_rad[event] * kRadToDeg);
            put(geo::measured_angle(cells, shape) * kRadToDeg);
        }
        AxisMoments const mx = axis_moments(p.x), my = axis_moments(p.y), mz = axis_moments(p.z);
        put(mx.first), put(my.first), put(mz.first);
        put(mx.second), put(my.second), put(mz.second);

        LayerSums layers(shape.nz);
        std::size_t hottest = 0;
        int hits = 0;
        for (int ix = 0; ix < shape.nx; ++ix)
        {
            for (int iy = 0; iy < shape.ny; ++iy)
            {
                std::size_t const base = shape.index(ix, iy, 0);
                for (int iz = 0; iz < shape.nz; ++iz)
                {
                    double const e = cells[base + iz];
                    if (e > cells[hottest])
                        hottest = base + iz;
                    hits += e > options.hit_threshold_gev;
                    layers.above[iz] += e > options.readout_threshold_gev;
                    layers.energy[iz] += e;
                    layers.x[iz] += e * ix;
                    layers.xx[iz] += e * ix * ix;
                    layers.y[iz] += e * iy;
                    layers.yy[iz] += e * iy * iy;
                }
            }
        }
        put(static_cast<double>(hottest / (shape.ny * shape.nz)));
        put(static_cast<double>((hottest / shape.nz) % shape.ny));
        put(static_cast<double>(hottest % shape.nz));
        put(hits);
        int const third = shape.nz / 3;
        double thirds[3] = {0, 0, 0};
        for (int iz = 0; iz < shape.nz; ++iz)
            thirds[iz < third ? 0 : iz < 2 * third ? 1 : 2] += p.z[iz];
        for (double t : thirds)
            put(p.total > 0 ? t / p.total : 0.0);
        double const layer_cells = static_cast<double>(shape.nx) * shape.ny;
        for (int iz = 0; iz < shape.nz; ++iz)
        {
            double const e = layers.energy[iz];
            double const cx = e > 0 ? layers.x[iz] / e : 0.0;
            double const cy = e > 0 ? layers.y[iz] / e : 0.0;
            put(e);
            put(cx);
            put(cy);
            put(e > 0 ? std::sqrt(std::max(0.0, layers.xx[iz] / e - cx * cx)) : 0.0);
            put(e > 0 ? std::sqrt(std::max(0.0, layers.yy[iz] / e - cy * cy)) : 0.0);
            put(layers.above[iz] / layer_cells);
        }
        CALO_EXPECT(f == table.info.size());
    });
    return table;
}

CellStatistics cell_statistics(ShowerSample const& sample, std::size_t max_events)
{
    CellStatistics stats;
    int const bins = 100;
    double const log_lo = -12, log_hi = 1;
    for (int b = 0; b <= bins; ++b)
        stats.spectrum_edges_gev.push_back(std::pow(10.0, log_lo + (log_hi - log_lo) * b / bins));
    stats.spectrum.assign(bins, 0.0);
    for (int t = -13; t <= 0; ++t)
        stats.sparsity_log10_thresholds.push_back(t);
    std::vector<double> above(stats.sparsity_log10_thresholds.size(), 0.0);

    std::size_t const n = std::min(max_events, sample.size());
    std::size_t const cells = sample.shape.size();
    for (std::size_t event = 0; event < n; ++event)
    {
        float const* image = sample.image(event);
        for (std::size_t c = 0; c < cells; ++c)
        {
            if (image[c] <= 0)
                continue;
            double const l = std::log10(static_cast<double>(image[c]));
            int const b = static_cast<int>(std::floor((l - log_lo) / (log_hi - log_lo) * bins));
            if (b >= 0 && b < bins)
                stats.spectrum[b] += 1;
            // Thresholds t with 10^t < E, i.e. t < l.
            for (std::size_t t = 0; t < above.size(); ++t)
                above[t] += stats.sparsity_log10_thresholds[t] < l;
        }
    }
    for (std::size_t t = 0; t < above.size(); ++t)
        stats.sparsity.push_back(n > 0 ? above[t] / (static_cast<double>(n) * cells) : 0.0);
    return stats;
}
}  // namespace calo::physval
