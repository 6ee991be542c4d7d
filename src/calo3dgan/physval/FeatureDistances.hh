#pragma once
// Distances between the high-level feature distributions of two samples:
// the Fréchet and kernel physics distances (FPD, KPD) of Kansal et al.,
// arXiv:2211.10295, which the fast-simulation field reports next to the
// classifier AUC (docs/validation.md, "Fréchet and kernel physics distances").
#include <cstdint>
#include <vector>

#include "calo3dgan/physval/InputMatrix.hh"

namespace calo::physval
{
struct DistanceEstimate
{
    double value = 0;
    double error = 0;
};

/*!
 * Inputs standardised with the reference's mean and spread, features that
 * are constant in the reference dropped; returns the number kept.
 */
int standardise_like_reference(InputMatrix& reference, InputMatrix& candidate);

/*!
 * Fréchet distance of Gaussians fitted to the two samples,
 * |μ_r - μ_c|² + Tr(Σ_r + Σ_c - 2 (Σ_r Σ_c)^{1/2}), the matrix square root
 * through symmetric eigen-decompositions (Eigen); the error is the spread
 * over `bootstraps` resamplings (with replacement, seeded) of both samples.
 */
DistanceEstimate frechet_distance(InputMatrix const& reference, InputMatrix const& candidate, int bootstraps,
                                  std::uint64_t seed);

/*!
 * FPD extrapolated to infinite samples, as Kansal et al. (and FID∞, Chong &
 * Forsyth 2020): the finite-sample FPD is biased upwards by about a/N, so it
 * is computed on random subsets (without replacement) of `points` sizes from
 * N/4 to N, `repeats` times each, and a straight line in 1/N is fitted; the
 * value is its intercept and the error the intercept's standard error.
 */
DistanceEstimate frechet_distance_infinite(InputMatrix const& reference, InputMatrix const& candidate, int points,
                                           int repeats, std::uint64_t seed);

/*!
 * Unbiased squared maximum mean discrepancy with the cubic polynomial kernel
 * k(x, y) = (x·y / d + 1)³, averaged over `batches` random subsets of
 * `batch_size` events per side; the error is the standard error of that mean.
 * Zero (within its error) for samples of one distribution.
 */
DistanceEstimate kernel_distance(InputMatrix const& reference, InputMatrix const& candidate, int batches,
                                 std::size_t batch_size, std::uint64_t seed, int threads = 0);
}  // namespace calo::physval
