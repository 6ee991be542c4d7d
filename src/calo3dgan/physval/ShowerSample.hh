#pragma once
// A set of showers held in memory for validation, in GeV whatever the source.
#include <cstddef>
#include <string>
#include <vector>

#include "calo3dgan/geo/ImageShape.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::physval
{
//! Showers of one side of a comparison (reference or candidate).
struct ShowerSample
{
    std::string label;   //!< shown in plots: "Monte Carlo", "GAN epoch 30"
    std::string source;  //!< where it came from: folder, files or checkpoint
    geo::ImageShape shape;
    std::vector<float> cells_gev;   //!< n * shape.size(), layer index fastest
    std::vector<float> energy_gev;  //!< primary energy, size n
    std::vector<float> theta_rad;   //!< true polar angle, size n, or empty (fixed angle)

    std::size_t size() const { return energy_gev.size(); }
    bool has_theta() const { return !theta_rad.empty(); }
    float const* image(std::size_t i) const { return cells_gev.data() + i * shape.size(); }
};

//! Convert a batch in file units (GeV, or GeV x 50 for layout b) to GeV.
ShowerSample sample_from_batch(event::EventBatch const& batch, std::string label, std::string source);

//! Read up to `max_events` events (0: all) of files or folders into memory.
//! Throws InputError for unreadable or invalid data (io::DatasetReader).
ShowerSample load_sample(std::vector<std::string> const& inputs, std::size_t max_events, std::string label);

//! The events of `sample` whose index is listed in `keep`, in that order.
ShowerSample select_events(ShowerSample const& sample, std::vector<std::size_t> const& keep);
}  // namespace calo::physval
