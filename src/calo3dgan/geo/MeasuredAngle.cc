#include "calo3dgan/geo/MeasuredAngle.hh"

#include <algorithm>
#include <cmath>
#include <vector>

namespace calo::geo
{
double measured_angle(float const* cells, ImageShape shape)
{
    int const nx = shape.nx;
    int const ny = shape.ny;
    int const nz = shape.nz;
    // Per layer: energy and energy-weighted x and y cell centres.
    std::vector<double> layer_sum(nz, 0.0);
    std::vector<double> layer_x(nz, 0.0);
    std::vector<double> layer_y(nz, 0.0);
    for (int ix = 0; ix < nx; ++ix)
    {
        for (int iy = 0; iy < ny; ++iy)
        {
            float const* column = cells + shape.index(ix, iy, 0);
            for (int iz = 0; iz < nz; ++iz)
            {
                double const e = column[iz];
                if (e == 0.0)
                    continue;
                layer_sum[iz] += e;
                layer_x[iz] += e * (ix + 0.5);
                layer_y[iz] += e * (iy + 0.5);
            }
        }
    }

    double total = 0.0;
    double x_ref = 0.0;
    double y_ref = 0.0;
    double z_ref = 0.0;
    for (int iz = 0; iz < nz; ++iz)
    {
        total += layer_sum[iz];
        x_ref += layer_x[iz];
        y_ref += layer_y[iz];
        z_ref += layer_sum[iz] * (iz + 0.5);
    }
    if (!(total > 0.0))
        return kEmptyImageAngle;
    x_ref /= total;
    y_ref /= total;
    z_ref /= total;

    // Keras uses K.epsilon() = 1e-7 as the floor of d_z².
    constexpr double min_d2 = 1e-7;
    constexpr double half_pi = 1.5707963267948966;
    double weighted = 0.0;
    double weights = 0.0;
    for (int iz = 0; iz < nz; ++iz)
    {
        if (!(layer_sum[iz] > 0.0))
            continue;
        double const z = iz + 0.5;
        double const x_mid = layer_x[iz] / layer_sum[iz];
        double const y_mid = layer_y[iz] / layer_sum[iz];
        double const d = std::sqrt(std::max((x_mid - x_ref) * (x_mid - x_ref) + (z - z_ref) * (z - z_ref), min_d2));
        double m = (y_mid - y_ref) / d;
        if (z < z_ref)
            m = -m;
        weighted += (half_pi - std::atan(m)) * z;
        weights += z;
    }
    return weights > 0.0 ? weighted / weights : kEmptyImageAngle;
}
}  // namespace calo::geo
