#include "Distortions.hh"

#include <algorithm>
#include <cmath>
#include <vector>

namespace calo::test
{
void scale_energy(physval::ShowerSample& s, float factor)
{
    for (float& c : s.cells_gev)
        c *= factor;
}

void shift_deeper(physval::ShowerSample& s, int layers)
{
    int const nz = s.shape.nz;
    for (std::size_t column = 0; column < s.cells_gev.size(); column += nz)
    {
        float* c = s.cells_gev.data() + column;
        for (int z = nz - 1; z >= 0; --z)
            c[z] = z - layers >= 0 ? c[z - layers] : 0.0f;
    }
}

namespace
{
//! Weights w[i][j]: fraction of old cell i that lands in new cell j when
//! cell edges [i, i+1] map to c + factor (edge - c).
std::vector<std::vector<double>> stretch_matrix(int n, double factor)
{
    double const centre = n / 2.0;
    std::vector<std::vector<double>> w(n, std::vector<double>(n, 0.0));
    for (int i = 0; i < n; ++i)
    {
        double const lo = centre + factor * (i - centre);
        double const hi = centre + factor * (i + 1 - centre);
        for (int j = std::max(0, static_cast<int>(std::floor(lo))); j < std::min(n, static_cast<int>(std::ceil(hi))); ++j)
            w[i][j] = std::max(0.0, std::min(hi, j + 1.0) - std::max(lo, static_cast<double>(j))) / (hi - lo);
    }
    return w;
}
}  // namespace

void widen(physval::ShowerSample& s, double factor)
{
    geo::ImageShape const shape = s.shape;
    auto const wx = stretch_matrix(shape.nx, factor);
    auto const wy = stretch_matrix(shape.ny, factor);
    std::vector<float> out(shape.size());
    for (std::size_t e = 0; e < s.size(); ++e)
    {
        float* image = s.cells_gev.data() + e * shape.size();
        std::fill(out.begin(), out.end(), 0.0f);
        for (int ix = 0; ix < shape.nx; ++ix)
            for (int iy = 0; iy < shape.ny; ++iy)
                for (int jx = 0; jx < shape.nx; ++jx)
                {
                    if (wx[ix][jx] == 0)
                        continue;
                    for (int jy = 0; jy < shape.ny; ++jy)
                    {
                        double const w = wx[ix][jx] * wy[iy][jy];
                        if (w == 0)
                            continue;
                        for (int z = 0; z < shape.nz; ++z)
                            out[shape.index(jx, jy, z)] += static_cast<float>(w * image[shape.index(ix, iy, z)]);
                    }
                }
        std::copy(out.begin(), out.end(), image);
    }
}
}  // namespace calo::test
