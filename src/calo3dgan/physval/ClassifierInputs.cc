#include "calo3dgan/physval/ClassifierInputs.hh"

#include <algorithm>
#include <cmath>

namespace calo::physval
{
InputMatrix feature_inputs(FeatureTable const& table, std::size_t max_events)
{
    InputMatrix m;
    m.rows = std::min(max_events, table.num_events);
    m.cols = table.columns.size();
    m.values.resize(m.rows * m.cols);
    for (std::size_t r = 0; r < m.rows; ++r)
    {
        for (std::size_t c = 0; c < m.cols; ++c)
            m.values[r * m.cols + c] = table.columns[c][r];
    }
    return m;
}

InputMatrix image_inputs(ShowerSample const& sample, double readout_threshold_gev, std::size_t max_events)
{
    InputMatrix m;
    std::size_t const cells = sample.shape.size();
    std::size_t const conditions = sample.has_theta() ? 2 : 1;
    m.rows = std::min(max_events, sample.size());
    m.cols = conditions + cells;
    m.values.resize(m.rows * m.cols);
    for (std::size_t r = 0; r < m.rows; ++r)
    {
        float* out = m.values.data() + r * m.cols;
        double const energy = sample.energy_gev[r];
        out[0] = static_cast<float>(std::log10(energy));
        if (sample.has_theta())
            out[1] = sample.theta_rad[r];
        float const* image = sample.image(r);
        for (std::size_t c = 0; c < cells; ++c)
            out[conditions + c] = image[c] >= readout_threshold_gev ? static_cast<float>(image[c] / energy) : 0.0f;
    }
    return m;
}
}  // namespace calo::physval
