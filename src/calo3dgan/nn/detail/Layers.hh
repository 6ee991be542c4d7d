#pragma once
// Keras layer semantics on NCDHW tensors (D = x, H = y, W = z), shared by the
// generator and the discriminator.
#include <torch/torch.h>

#include "../ArchitectureConfig.hh"
#include "BlockTail.hh"
#include "Convolution.hh"
#include "PhaseConvolution.hh"

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

/*!
 * Padding of one convolution block (Keras ZeroPadding3D, then 'same' or
 * 'valid') split for speed: the symmetric part goes into the convolution's own
 * padding (PyTorch's fast path), only the extra trailing zero of an even
 * 'same' kernel is padded explicitly. Equal to padding everything first.
 */
struct PaddingPlan
{
    Int3 symmetric;                         //!< Conv3d padding per axis (x, y, z)
    std::vector<std::int64_t> extra_after;  //!< F::pad widths (z, y, x order), trailing side only
};

inline PaddingPlan plan_padding(Int3 zero_padding, ConvPadding mode, Int3 kernel)
{
    auto const before = [&](int zp, int k) { return conv_zeros(zp, mode, k).first; };
    auto const after = [&](int zp, int k) { return conv_zeros(zp, mode, k).second; };
    PaddingPlan plan;
    plan.symmetric = {before(zero_padding.x, kernel.x), before(zero_padding.y, kernel.y),
                      before(zero_padding.z, kernel.z)};
    plan.extra_after = {0, after(zero_padding.z, kernel.z) - plan.symmetric.z,
                        0, after(zero_padding.y, kernel.y) - plan.symmetric.y,
                        0, after(zero_padding.x, kernel.x) - plan.symmetric.x};
    return plan;
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
 * PyTorch's nearest kernel with an explicit output size: source index
 * floor(i * in / out). For integer factors this is exact as long as
 * i * float(1/f) does not round below an integer, which holds for the
 * factors and sizes of the presets (checked against the broadcast copy in
 * the tests); the kernel's backward is much faster than an expand's.
 * (N, C, X, Y, Z) -> (N, C, fx*X, fy*Y, fz*Z)
 */
inline torch::Tensor upsample_nearest(torch::Tensor const& x, Int3 factor)
{
    if (factor == Int3{1, 1, 1})
        return x;
    namespace F = torch::nn::functional;
    return F::interpolate(
        x, F::InterpolateFuncOptions()
               .size(std::vector<std::int64_t>{x.size(2) * factor.x, x.size(3) * factor.y, x.size(4) * factor.z})
               .mode(torch::kNearest));
}

//! The exact broadcast-copy form of upsample_nearest, the reference for tests.
inline torch::Tensor upsample_repeat(torch::Tensor const& x, Int3 factor)
{
    auto const n = x.size(0), c = x.size(1), dx = x.size(2), dy = x.size(3), dz = x.size(4);
    return x.view({n, c, dx, 1, dy, 1, dz, 1})
        .expand({n, c, dx, factor.x, dy, factor.y, dz, factor.z})
        .reshape({n, c, dx * factor.x, dy * factor.y, dz * factor.z});
}

//! Conv3d with symmetric zero padding `padding` (see plan_padding).
inline torch::nn::Conv3d make_conv(std::int64_t in_channels, int filters, Int3 kernel, bool bias, Int3 padding)
{
    return torch::nn::Conv3d(torch::nn::Conv3dOptions(in_channels, filters, {kernel.x, kernel.y, kernel.z})
                                 .bias(bias)
                                 .padding({padding.x, padding.y, padding.z}));
}

inline torch::nn::BatchNorm3d make_batchnorm(std::int64_t channels, BatchNormConfig const& config)
{
    return torch::nn::BatchNorm3d(
        torch::nn::BatchNorm3dOptions(channels).momentum(config.torch_momentum()).eps(config.epsilon));
}

/*!
 * Registers the convolutions and batch normalisations of `blocks` on `owner`
 * as conv<i>, batchnorm<i> (in that order: parameter order and checkpoint
 * names depend on it). Blocks without BN get an empty holder.
 */
inline void register_blocks(torch::nn::Module& owner, std::vector<ConvBlockConfig> const& blocks,
                            std::int64_t in_channels, BatchNormConfig const& batchnorm,
                            std::vector<torch::nn::Conv3d>& convs, std::vector<torch::nn::BatchNorm3d>& batchnorms)
{
    convs.clear();
    batchnorms.clear();
    std::int64_t channels = in_channels;
    for (std::size_t i = 0; i < blocks.size(); ++i)
    {
        auto const& block = blocks[i];
        auto const id = std::to_string(i);
        auto const padding = plan_padding(block.zero_padding, block.padding, block.kernel).symmetric;
        convs.push_back(
            owner.register_module("conv" + id, make_conv(channels, block.filters, block.kernel, block.bias, padding)));
        channels = block.filters;
        if (block.batchnorm)
            batchnorms.push_back(owner.register_module("batchnorm" + id, make_batchnorm(channels, batchnorm)));
        else
            batchnorms.emplace_back(nullptr);
    }
}

//! [upsample] -> [zero padding] -> conv as the layers are written (the
//! reference for tests of block_convolution).
inline torch::Tensor block_convolution_as_written(torch::Tensor x, ConvBlockConfig const& block, torch::nn::Conv3d conv)
{
    x = upsample_nearest(x, block.upsample);
    // The symmetric padding is inside the convolution; only an even 'same'
    // kernel's trailing zero is added here.
    x = pad(x, plan_padding(block.zero_padding, block.padding, block.kernel).extra_after);
    return conv->forward(x);
}

//! The same, computed faster: an upsampling block as one phase-stacked
//! convolution on its low-resolution input, every convolution with the
//! backward formulations of detail::convolution3d.
inline torch::Tensor block_convolution(torch::Tensor const& x, ConvBlockConfig const& block,
                                       torch::nn::Conv3d const& conv)
{
    if (!(block.upsample == Int3{1, 1, 1}))
        return phase_convolution(x, block, conv->weight, conv->bias);
    auto const plan = plan_padding(block.zero_padding, block.padding, block.kernel);
    return convolution3d(pad(x, plan.extra_after), conv->weight, conv->bias, plan.symmetric);
}

/*!
 * One block: [upsample] -> [extra zero] -> conv (with its symmetric padding)
 * -> activation -> [BN] -> [dropout while training]; feeds_convolution: the
 * next layer is another block (see BlockTail).
 * (N, C, X, Y, Z) -> (N, filters, X', Y', Z')
 */
inline torch::Tensor block_forward(torch::Tensor x, ConvBlockConfig const& block, torch::nn::Conv3d conv,
                                   torch::nn::BatchNorm3d batchnorm, double leaky_slope, bool training,
                                   bool feeds_convolution)
{
    x = block_convolution(x, block, conv);
    return block_tail(x, BlockTail{block.activation, leaky_slope, block.dropout, training, feeds_convolution},
                      batchnorm);
}
}  // namespace calo::nn::detail
