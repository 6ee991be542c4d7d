#include "calo3dgan/physval/ShowerSample.hh"

#include <algorithm>
#include <cstring>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetReader.hh"

namespace calo::physval
{
ShowerSample sample_from_batch(event::EventBatch const& batch, std::string label, std::string source)
{
    ShowerSample sample;
    sample.label = std::move(label);
    sample.source = std::move(source);
    sample.shape = batch.shape;
    sample.energy_gev = batch.energy_gev;
    sample.theta_rad = batch.theta_rad;
    double const unit = event::cell_unit_gev(batch.layout);
    sample.cells_gev.resize(batch.cells.size());
    std::transform(batch.cells.begin(), batch.cells.end(), sample.cells_gev.begin(),
                   [unit](float c) { return static_cast<float>(c * unit); });
    return sample;
}

ShowerSample load_sample(std::vector<std::string> const& inputs, std::size_t max_events, std::string label)
{
    io::DatasetReader reader(inputs);
    std::size_t const n = max_events == 0 ? reader.num_events() : std::min(max_events, reader.num_events());
    std::string source;
    for (auto const& input : inputs)
        source += (source.empty() ? "" : " ") + input;
    return sample_from_batch(reader.read(0, n), std::move(label), std::move(source));
}

ShowerSample select_events(ShowerSample const& sample, std::vector<std::size_t> const& keep)
{
    ShowerSample out;
    out.label = sample.label;
    out.source = sample.source;
    out.shape = sample.shape;
    std::size_t const cells = sample.shape.size();
    out.cells_gev.resize(keep.size() * cells);
    for (std::size_t k = 0; k < keep.size(); ++k)
    {
        CALO_EXPECT(keep[k] < sample.size());
        std::memcpy(out.cells_gev.data() + k * cells, sample.image(keep[k]), cells * sizeof(float));
        out.energy_gev.push_back(sample.energy_gev[keep[k]]);
        if (sample.has_theta())
            out.theta_rad.push_back(sample.theta_rad[keep[k]]);
    }
    return out;
}
}  // namespace calo::physval
