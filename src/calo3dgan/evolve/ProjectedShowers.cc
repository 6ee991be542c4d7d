#include "calo3dgan/evolve/ProjectedShowers.hh"

#include <algorithm>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/event/DatasetLayout.hh"

namespace calo::evolve
{
ProjectedShowers project_showers(event::EventBatch const& batch)
{
    auto const shape = batch.shape;
    ProjectedShowers out;
    out.rows = shape.nx;
    out.cols = shape.nz;
    out.energy_gev = batch.energy_gev;
    out.images.assign(batch.size() * shape.nx * shape.nz, 0.0f);
    auto const unit = static_cast<float>(event::cell_unit_gev(batch.layout));
    for (std::size_t i = 0; i < batch.size(); ++i)
    {
        float const* cells = batch.image(i);
        float* image = out.images.data() + i * shape.nx * shape.nz;
        for (int x = 0; x < shape.nx; ++x)
            for (int y = 0; y < shape.ny; ++y)
                for (int z = 0; z < shape.nz; ++z)
                    image[x * shape.nz + z] += cells[shape.index(x, y, z)];
        for (int j = 0; j < shape.nx * shape.nz; ++j)
            image[j] *= unit;
    }
    return out;
}

ProjectedShowers project_showers(io::DatasetReader const& reader, std::size_t first, std::size_t count)
{
    CALO_VALIDATE(first + count <= reader.num_events(),
                  "the data have " + std::to_string(reader.num_events()) + " events, the run needs "
                      + std::to_string(first + count) + " (where: " + reader.files().front().path
                      + ") — simulate more events or ask for fewer");
    constexpr std::size_t kChunk = 256;
    ProjectedShowers out;
    out.rows = reader.shape().nx;
    out.cols = reader.shape().nz;
    out.images.reserve(count * out.rows * out.cols);
    out.energy_gev.reserve(count);
    for (std::size_t done = 0; done < count; done += kChunk)
    {
        throw_if_interrupted();
        auto const part = project_showers(reader.read(first + done, std::min(kChunk, count - done)));
        out.images.insert(out.images.end(), part.images.begin(), part.images.end());
        out.energy_gev.insert(out.energy_gev.end(), part.energy_gev.begin(), part.energy_gev.end());
    }
    return out;
}
}  // namespace calo::evolve
