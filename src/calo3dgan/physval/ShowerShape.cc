#include "calo3dgan/physval/ShowerShape.hh"

namespace calo::physval
{
AxisProjections project(float const* cells, geo::ImageShape shape)
{
    AxisProjections p;
    p.x.assign(shape.nx, 0.0);
    p.y.assign(shape.ny, 0.0);
    p.z.assign(shape.nz, 0.0);
    for (int ix = 0; ix < shape.nx; ++ix)
    {
        for (int iy = 0; iy < shape.ny; ++iy)
        {
            float const* column = cells + shape.index(ix, iy, 0);
            double column_sum = 0;
            for (int iz = 0; iz < shape.nz; ++iz)
            {
                column_sum += column[iz];
                p.z[iz] += column[iz];
            }
            p.x[ix] += column_sum;
            p.y[iy] += column_sum;
            p.total += column_sum;
        }
    }
    return p;
}

AxisMoments axis_moments(std::vector<double> const& profile)
{
    double total = 0;
    double first = 0;
    for (std::size_t i = 0; i < profile.size(); ++i)
    {
        total += profile[i];
        first += static_cast<double>(i) * profile[i];
    }
    if (total <= 0)
        return {};
    first /= total;
    double second = 0;
    for (std::size_t i = 0; i < profile.size(); ++i)
    {
        double const d = static_cast<double>(i) - first;
        second += d * d * profile[i];
    }
    return {first, second / total};
}
}  // namespace calo::physval
