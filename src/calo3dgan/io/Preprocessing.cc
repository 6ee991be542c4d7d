#include "calo3dgan/io/Preprocessing.hh"

#include <algorithm>
#include <cmath>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"

namespace calo::io
{
PreprocessOptions PreprocessOptions::model_a()
{
    PreprocessOptions options;
    options.xscale = 100.0;
    options.threshold = 1e-6;
    options.xpower = 1.0;
    options.yscale = 100.0;
    options.min_ecal = -std::numeric_limits<double>::infinity();
    options.use_measured_angle = false;
    options.family = event::Layout::fixed_angle;
    return options;
}

PreprocessOptions PreprocessOptions::model_b()
{
    PreprocessOptions options;
    options.xscale = 1.0;
    options.threshold = 0.0;
    options.xpower = 0.85;
    options.yscale = 100.0;
    options.min_ecal = 10.0;
    options.use_measured_angle = true;
    options.family = event::Layout::variable_angle;
    return options;
}

PreprocessedBatch preprocess(event::EventBatch const& batch, PreprocessOptions const& options)
{
    CALO_VALIDATE(options.xscale > 0 && options.yscale > 0 && options.xpower > 0,
                  "preprocessing needs xscale, yscale and xpower > 0 (where: xscale " + std::to_string(options.xscale) +
                      ", yscale " + std::to_string(options.yscale) + ", xpower " + std::to_string(options.xpower) +
                      ") — fix the model configuration");
    std::size_t const n = batch.size();
    std::size_t const cells_per_event = batch.shape.size();
    CALO_VALIDATE(batch.cells.size() == n * cells_per_event, "event batch has " + std::to_string(batch.cells.size()) +
                                                                 " cells for " + std::to_string(n) + " events of " +
                                                                 batch.shape.to_string() + " — bug in the caller");

    // File units -> the family's units (GeV for A, GeV x 50 for B).
    double const to_family = cell_unit_gev(batch.layout) / cell_unit_gev(options.family);
    bool const threshold_first = options.family == event::Layout::fixed_angle;
    // The reference compares float32 cells with the threshold in float32.
    auto const threshold = static_cast<float>(options.threshold);
    auto const xscale = static_cast<float>(options.xscale);
    auto const yscale = static_cast<float>(options.yscale);
    auto const xpower = static_cast<float>(options.xpower);
    bool const want_measured = options.use_measured_angle;
    bool const has_angle = want_measured || !batch.theta_rad.empty();

    PreprocessedBatch result;
    result.shape = batch.shape;
    result.cells.reserve(n * cells_per_event);
    std::vector<float> image(cells_per_event);
    for (std::size_t i = 0; i < n; ++i)
    {
        float const* source = batch.image(i);
        double ecal = 0.0;
        for (std::size_t k = 0; k < cells_per_event; ++k)
        {
            float x = to_family == 1.0 ? source[k] : static_cast<float>(source[k] * to_family);
            if (threshold_first)
            {
                // A-ref GetprocData: x[x < limit] = 0, then x * xscale.
                if (x < threshold)
                    x = 0.0f;
                x *= xscale;
            }
            else
            {
                // B-ref GetDataAngle: X = ECAL * xscale, then X[X < thresh] = 0.
                x *= xscale;
                if (x < threshold)
                    x = 0.0f;
            }
            image[k] = x;
            ecal += x;
        }
        if (!(ecal > options.min_ecal))
            continue;

        if (has_angle)
        {
            float angle;
            if (!want_measured)
                angle = batch.theta_rad[i];
            else if (!batch.measured_angle_rad.empty())
                angle = batch.measured_angle_rad[i];
            else
                angle = static_cast<float>(geo::measured_angle(image.data(), batch.shape));  // before the power
            result.theta_rad.push_back(angle);
        }
        if (xpower != 1.0f)
        {
            for (float& x : image) x = std::pow(x, xpower);
        }
        result.cells.insert(result.cells.end(), image.begin(), image.end());
        result.y.push_back(batch.energy_gev[i] / yscale);
        result.ecal.push_back(static_cast<float>(ecal));
        result.source_index.push_back(i);
    }
    return result;
}

void postprocess_in_place(std::vector<float>& cells, PreprocessOptions const& options)
{
    CALO_VALIDATE(options.xscale > 0 && options.xpower > 0,
                  "postprocessing needs xscale and xpower > 0 (where: xscale " + std::to_string(options.xscale) +
                      ", xpower " + std::to_string(options.xpower) + ") — fix the model configuration");
    auto const inverse_power = static_cast<float>(1.0 / options.xpower);
    auto const xscale = static_cast<float>(options.xscale);
    bool const has_power = options.xpower != 1.0;
    for (float& x : cells)
    {
        float v = std::max(x, 0.0f);  // ReLU output; guards pow against rounding below zero
        if (has_power)
            v = std::pow(v, inverse_power);
        x = v / xscale;
    }
}
}  // namespace calo::io
