#pragma once
// Keras layer semantics on NCDHW tensors (D = x, H = y, W = z), shared by the
// generator and the discriminator.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"

namespace calo::nn::detail
{
//! F::pad widths for Keras ZeroPadding3D((px, py, pz)): torch lists the last
//! dimension first, so (pz, pz, py, py, px, px).
inline std::vector<std::int64_t> zero_padding_widths(Int3 padding)
{
    return {padding.z, padding.z, padding.y, padding.y, padding.x, padding.x};
}

//! F::pad widths for TensorFlow 'same' padding at stride 1: k - 1 zeros in
//! total, floor((k - 1) / 2) before and the rest after (kernel 6: 2 and 3).
//! Explicit rather than torch::kSame so libtorch 1.13 and 2.x agree exactly.
inline std::vector<std::int64_t> same_padding_widths(Int3 kernel)
{
    auto widths = [](int k) { return std::pair<std::int64_t, std::int64_t>((k - 1) / 2, k - 1 - (k - 1) / 2); };
    auto const [xb, xa] = widths(kernel.x);
    auto const [yb, ya] = widths(kernel.y);
    auto const [zb, za] = widths(kernel.z);
    return {zb, za, yb, ya, xb, xa};
}

inline bool all_zero(std::vector<std::int64_t> const& widths)
{
    for (auto w : widths)
    {
        if (w != 0)
            return false;
    }
    return true;
}

//! Zero padding; no-op for all-zero widths.
inline torch::Tensor pad(torch::Tensor const& x, std::vector<std::int64_t> const& widths)
{
    if (all_zero(widths))
        return x;
    namespace F = torch::nn::functional;
    return F::pad(x, F::PadFuncOptions(widths).mode(torch::kConstant).value(0));
}

/*!
 * Keras UpSampling3D: repeat every cell `factor` times along each axis.
 *
 * Done with a broadcast view and one copy, which is exact for any integer
 * factors (interpolate(nearest) with scale factors like 3 relies on float
 * rounding of 1/3 for its source indices).
 * (N, C, X, Y, Z) -> (N, C, fx*X, fy*Y, fz*Z)
 */
inline torch::Tensor upsample_nearest(torch::Tensor const& x, Int3 factor)
{
    if (factor == Int3{1, 1, 1})
        return x;
    auto const n = x.size(0), c = x.size(1), dx = x.size(2), dy = x.size(3), dz = x.size(4);
    return x.view({n, c, dx, 1, dy, 1, dz, 1})
        .expand({n, c, dx, factor.x, dy, factor.y, dz, factor.z})
        .reshape({n, c, dx * factor.x, dy * factor.y, dz * factor.z});
}

inline torch::Tensor activate(torch::Tensor const& x, Activation activation, double leaky_slope)
{
    namespace F = torch::nn::functional;
    switch (activation)
    {
        case Activation::relu:
            return torch::relu(x);
        case Activation::leaky_relu:
            return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(leaky_slope));
        case Activation::linear:
            break;
    }
    return x;
}

inline torch::nn::Conv3d make_conv(std::int64_t in_channels, int filters, Int3 kernel, bool bias)
{
    return torch::nn::Conv3d(torch::nn::Conv3dOptions(in_channels, filters, {kernel.x, kernel.y, kernel.z}).bias(bias));
}

inline torch::nn::BatchNorm3d make_batchnorm(std::int64_t channels, BatchNormConfig const& config)
{
    return torch::nn::BatchNorm3d(
        torch::nn::BatchNorm3dOptions(channels).momentum(config.torch_momentum()).eps(config.epsilon));
}
}  // namespace calo::nn::detail
