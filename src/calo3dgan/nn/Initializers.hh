#pragma once
// Keras 2.2.4 kernel initialisers (keras/initializers.py, VarianceScaling).
//
// Values are drawn on the host from calo::Rng and copied into the tensor, so
// an initialisation depends only on the seed: identical on CPU and GPU and
// across libtorch versions.
#include <torch/torch.h>

#include "ArchitectureConfig.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::nn
{
//! Keras fans of a torch weight: Linear (out, in) and Conv (out, in, k...).
struct Fans
{
    double fan_in = 0;   //!< in * kernel volume
    double fan_out = 0;  //!< out * kernel volume
};

Fans compute_fans(torch::IntArrayRef weight_shape);

/*!
 * Fill `weight` (any device, float type) in place, without recording grad.
 *
 * - glorot_uniform: U(-l, l), l = sqrt(6 / (fan_in + fan_out))
 * - he_uniform:     U(-l, l), l = sqrt(6 / fan_in)
 * - glorot_normal:  normal truncated at +-2 sigma' with sigma' = s / 0.8796...,
 *                   s = sqrt(2 / (fan_in + fan_out)), so that the standard
 *                   deviation of the truncated distribution is s (Keras >= 2.2.3)
 * - he_normal:      as glorot_normal with s = sqrt(2 / fan_in)
 */
void initialize_weight(torch::Tensor const& weight, Initializer initializer, Rng& rng);

//! Standard deviation of a normal truncated at +-2 sigma, divided by sigma
//! (scipy.stats.truncnorm.std(a=-2, b=2)), as used by Keras.
inline constexpr double kTruncatedNormalStd = 0.87962566103423978;

//! Standard normal variate (Marsaglia polar method on the xoshiro stream).
double sample_standard_normal(Rng& rng);

/*!
 * Keras-default reset of a module tree: Conv3d and Linear biases zero,
 * BatchNorm gamma 1, beta 0, moving mean 0, moving variance 1. Kernels are
 * set separately by the owning network (their initialiser is per layer).
 */
void reset_biases_and_batchnorm(torch::nn::Module& module);
}  // namespace calo::nn
