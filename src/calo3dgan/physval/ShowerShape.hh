#pragma once
// Shower-shape quantities of one image (docs/validation.md, "Observables").
#include <vector>

#include "calo3dgan/geo/ImageShape.hh"

namespace calo::physval
{
//! Energy summed onto each axis: P_x(i) = Σ_{j,k} E_ijk, and so on.
struct AxisProjections
{
    std::vector<double> x, y, z;
    double total = 0;
};

//! Projections of one image (any energy unit).
AxisProjections project(float const* cells, geo::ImageShape shape);

//! 3DGAN moments along one axis, with cell index i = 0..n-1 (no +0.5):
//! first = Σ i P(i) / E (barycentre), second = Σ (i - first)² P(i) / E (a
//! variance, as GANutils.get_moments with m = 2). Both 0 for an empty profile.
struct AxisMoments
{
    double first = 0;
    double second = 0;
};
AxisMoments axis_moments(std::vector<double> const& profile);
}  // namespace calo::physval
