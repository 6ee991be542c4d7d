#pragma once
// The data of the regression task of Carminati et al. 2019 (§5.1): each shower projected along
// one transverse axis, keeping the other transverse axis and the depth, with
// its primary energy.
#include <cstddef>
#include <vector>

#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::evolve
{
struct ProjectedShowers
{
    int rows = 0;  //!< cells along x
    int cols = 0;  //!< layers (z)
    //! Images back to back, (n, rows, cols) row-major; cell energy [GeV]
    //! summed over y.
    std::vector<float> images;
    std::vector<float> energy_gev;  //!< primary energy [GeV], size n

    std::size_t size() const { return energy_gev.size(); }
    float const* image(std::size_t i) const { return images.data() + i * rows * cols; }
};

//! Project a batch: P[x][z] = sum over y of cell[x][y][z], in GeV.
ProjectedShowers project_showers(event::EventBatch const& batch);

//! Events [first, first + count) of `reader`, read and projected in chunks so
//! that the 3D images are never all in memory. Throws InputError (naming the
//! data) when there are fewer events.
ProjectedShowers project_showers(io::DatasetReader const& reader, std::size_t first, std::size_t count);
}  // namespace calo::evolve
