#include "PhaseConvolution.hh"

#include "Convolution.hh"

namespace calo::nn::detail
{
torch::Tensor phase_matrix(PhaseGeometry const& axis, torch::TensorOptions options)
{
    auto matrix = torch::zeros({axis.upsample * axis.taps, axis.kernel}, options.dtype(torch::kFloat));
    auto a = matrix.accessor<float, 2>();
    for (int r = 0; r < axis.upsample; ++r)
    {
        for (int t = 0; t < axis.kernel; ++t) a[r * axis.taps + (r + t) / axis.upsample][t] = 1.0f;
    }
    return matrix;
}

torch::Tensor phase_convolution(torch::Tensor const& x, ConvBlockConfig const& block, torch::Tensor const& weight,
                                torch::Tensor const& bias)
{
    int const s[3] = {block.upsample.x, block.upsample.y, block.upsample.z};
    int const zp[3] = {block.zero_padding.x, block.zero_padding.y, block.zero_padding.z};
    int const k[3] = {block.kernel.x, block.kernel.y, block.kernel.z};
    PhaseGeometry axis[3];
    for (int a = 0; a < 3; ++a)
    {
        auto const [before, after] = conv_zeros(zp[a], block.padding, k[a]);
        axis[a] = phase_geometry(s[a], before, after, k[a], static_cast<int>(x.size(2 + a)));
    }

    // Phase kernels, inside the graph: W[o, i, (rx, mx), (ry, my), (rz, mz)].
    auto const cpu = torch::TensorOptions().device(torch::kCPU);
    auto const px = phase_matrix(axis[0], cpu).to(weight.device(), weight.scalar_type());
    auto const py = phase_matrix(axis[1], cpu).to(weight.device(), weight.scalar_type());
    auto const pz = phase_matrix(axis[2], cpu).to(weight.device(), weight.scalar_type());
    auto const out_channels = weight.size(0), in_channels = weight.size(1);
    auto const phases = static_cast<std::int64_t>(s[0]) * s[1] * s[2];
    auto stacked = torch::einsum("ax,by,cz,oixyz->oiabc", {px, py, pz, weight})
                       .view({out_channels, in_channels, s[0], axis[0].taps, s[1], axis[1].taps, s[2], axis[2].taps})
                       .permute({2, 4, 6, 0, 1, 3, 5, 7})
                       .reshape({phases * out_channels, in_channels, axis[0].taps, axis[1].taps, axis[2].taps});
    auto const stacked_bias = bias.defined() ? bias.repeat({phases}) : bias;

    namespace F = torch::nn::functional;
    // Negative widths crop (F::pad allows them).
    auto const padded = F::pad(x, F::PadFuncOptions({axis[2].pad_before(), axis[2].pad_after(), axis[1].pad_before(),
                                                     axis[1].pad_after(), axis[0].pad_before(), axis[0].pad_after()}));
    auto y = convolution3d(padded, stacked, stacked_bias, Int3{0, 0, 0});
    auto const n = y.size(0), qx = y.size(2), qy = y.size(3), qz = y.size(4);
    // Depth-to-space: channel phase * C_out + c at low-resolution q goes to
    // shuffled index s * q + r on each axis, then the offset crop.
    y = y.view({n, s[0], s[1], s[2], out_channels, qx, qy, qz})
            .permute({0, 4, 5, 1, 6, 2, 7, 3})
            .reshape({n, out_channels, qx * s[0], qy * s[1], qz * s[2]});
    return y.narrow(2, axis[0].crop_first(), axis[0].out_length)
        .narrow(3, axis[1].crop_first(), axis[1].out_length)
        .narrow(4, axis[2].crop_first(), axis[2].out_length);
}
}  // namespace calo::nn::detail
