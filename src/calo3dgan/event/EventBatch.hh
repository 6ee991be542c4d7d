#pragma once
// A block of calorimeter events in file units, as read from or written to HDF5.
#include <cstddef>
#include <vector>

#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/geo/ImageShape.hh"

namespace calo::event
{
//! `n` events of one layout. Images are stored back to back, each with the
//! layer index fastest (geo::ImageShape::index), exactly as `ECAL[i]`.
struct EventBatch
{
    Layout layout = Layout::fixed_angle;
    geo::ImageShape shape = geo::kFixedAngleShape;
    //! Cell energies in file units (see cell_unit_gev), size n * shape.size().
    std::vector<float> cells;
    //! Primary energy [GeV], size n.
    std::vector<float> energy_gev;
    //! True polar angle [rad], size n, or empty when the data have none
    //! (fixed-angle files).
    std::vector<float> theta_rad;
    //! Measured angle of the image [rad] (geo::measured_angle), size n or empty.
    std::vector<float> measured_angle_rad;
    //! Particle PDG id (for example 11 for e-, 22 for a photon), size n or
    //! empty. Read from `pdgID` or `target[:,0]`; the writer stores it as
    //! `target[:,0]` in layout a and uses 11 (e-) when empty.
    std::vector<float> pdg_id;

    //! Number of events.
    std::size_t size() const { return energy_gev.size(); }
    //! First cell of event i.
    float const* image(std::size_t i) const { return cells.data() + i * shape.size(); }
    float* image(std::size_t i) { return cells.data() + i * shape.size(); }
};
}  // namespace calo::event
