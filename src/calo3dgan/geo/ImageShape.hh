#pragma once
// Shape and memory layout of a calorimeter image.
#include <cstddef>
#include <string>

namespace calo::geo
{
//! Cells along x, y (transverse) and z (layers). Images are stored with the
//! layer index fastest: index = (ix * ny + iy) * nz + iz, the same order as an
//! HDF5 `ECAL` dataset of shape (N, x, y, layer).
struct ImageShape
{
    int nx = 0;
    int ny = 0;
    int nz = 0;

    constexpr std::size_t size() const
    {
        return static_cast<std::size_t>(nx) * static_cast<std::size_t>(ny) * static_cast<std::size_t>(nz);
    }
    constexpr std::size_t index(int ix, int iy, int iz) const
    {
        return (static_cast<std::size_t>(ix) * ny + iy) * nz + iz;
    }
    std::string to_string() const
    {
        return std::to_string(nx) + "x" + std::to_string(ny) + "x" + std::to_string(nz);
    }
    friend constexpr bool operator==(ImageShape a, ImageShape b)
    {
        return a.nx == b.nx && a.ny == b.ny && a.nz == b.nz;
    }
    friend constexpr bool operator!=(ImageShape a, ImageShape b) { return !(a == b); }
};

//! The 3DGAN fixed-angle window (model A).
inline constexpr ImageShape kFixedAngleShape{25, 25, 25};
//! The 3DGAN variable-angle window (model B).
inline constexpr ImageShape kVariableAngleShape{51, 51, 25};
}  // namespace calo::geo
