#include "PhaseRewrite.hh"

#include <cstdint>

namespace calo::inference::detail
{
PhaseAxis make_phase_axis(int upsample, int pad_before, int pad_after, int kernel, int in_length)
{
    PhaseAxis a;
    a.geometry = phase_geometry(upsample, pad_before, pad_after, kernel, in_length);
    // Positions past the last one read stay unused.
    a.pad_after = a.geometry.pad_after() > 0 ? a.geometry.pad_after() : 0;
    return a;
}

PhaseConvolution rewrite_block(ConvBlock const& block, Int3 in_length)
{
    PhaseConvolution conv;
    for (int d = 0; d < 3; ++d)
    {
        conv.axis[d] =
            make_phase_axis(block.upsample[d], block.pad_before[d], block.pad_after[d], block.kernel[d], in_length[d]);
        conv.phases *= block.upsample[d];
    }
    conv.in_channels = block.in_channels;
    conv.out_channels = block.out_channels;
    auto const [kx, ky, kz] = block.kernel;
    auto const [sx, sy, sz] = block.upsample;
    auto const [mx, my, mz] = conv.taps();
    auto const cin = static_cast<std::size_t>(block.in_channels);
    std::size_t const taps_out = static_cast<std::size_t>(mx) * my * mz;
    std::vector<double> stacked(static_cast<std::size_t>(conv.stacked_channels()) * cin * taps_out, 0.0);
    for (int c = 0; c < block.out_channels; ++c)
    {
        for (std::size_t i = 0; i < cin; ++i)
        {
            float const* w = block.weight.data() + (c * cin + i) * static_cast<std::size_t>(kx) * ky * kz;
            for (int rx = 0; rx < sx; ++rx)
                for (int ry = 0; ry < sy; ++ry)
                    for (int rz = 0; rz < sz; ++rz)
                    {
                        int const phase = (rx * sy + ry) * sz + rz;
                        double* out = stacked.data() + ((phase * block.out_channels + c) * cin + i) * taps_out;
                        // W_r[m] = sum of w[t] over t with floor((r + t) / s) = m, per axis.
                        for (int tx = 0; tx < kx; ++tx)
                            for (int ty = 0; ty < ky; ++ty)
                                for (int tz = 0; tz < kz; ++tz)
                                {
                                    int const m = (((rx + tx) / sx) * my + (ry + ty) / sy) * mz + (rz + tz) / sz;
                                    out[m] += w[(tx * ky + ty) * kz + tz];
                                }
                    }
        }
    }
    conv.weight.assign(stacked.begin(), stacked.end());
    return conv;
}

namespace
{
//! The shuffle for one element type: copies of `channels` values, inlined
//! (a memcpy call per output position costs more than the copy).
template <class T>
void shuffle_typed(PhaseConvolution const& conv, std::size_t events, T const* src, T* dst)
{
    auto const& ax = conv.axis;
    auto const [qx, qy, qz] = conv.positions();
    auto const [lx, ly, lz] = conv.out_lengths();
    std::size_t const channels = static_cast<std::size_t>(conv.out_channels);
    std::size_t const stacked_channels = static_cast<std::size_t>(conv.stacked_channels());
    // Per-axis tables: low-resolution position and phase of every output index.
    std::vector<int> py(ly), ry(ly), pz(lz), rz(lz);
    for (int o = 0; o < ly; ++o)
    {
        py[o] = ax[1].position(o);
        ry[o] = ax[1].phase(o);
    }
    for (int o = 0; o < lz; ++o)
    {
        pz[o] = ax[2].position(o);
        rz[o] = ax[2].phase(o);
    }
    int const sy = ax[1].geometry.upsample, sz = ax[2].geometry.upsample;
    long long const rows = static_cast<long long>(events) * lx;
#pragma omp parallel for schedule(static)
    for (long long r = 0; r < rows; ++r)
    {
        std::size_t const event = static_cast<std::size_t>(r / lx);
        int const ox = static_cast<int>(r % lx);
        int const px = ax[0].position(ox), rx = ax[0].phase(ox);
        T* out = dst + ((event * lx + ox) * ly) * lz * channels;
        for (int oy = 0; oy < ly; ++oy)
        {
            std::size_t const row = ((event * qx + px) * qy + py[oy]) * qz;
            int const phase_xy = (rx * sy + ry[oy]) * sz;
            for (int oz = 0; oz < lz; ++oz, out += channels)
            {
                T const* in = src + (row + pz[oz]) * stacked_channels + (phase_xy + rz[oz]) * channels;
                for (std::size_t c = 0; c < channels; ++c) out[c] = in[c];
            }
        }
    }
}
}  // namespace

void shuffle_phases(PhaseConvolution const& conv, std::size_t events, void const* stacked, void* out,
                    std::size_t element_size)
{
    if (element_size == sizeof(float))
        shuffle_typed(conv, events, static_cast<float const*>(stacked), static_cast<float*>(out));
    else
        shuffle_typed(conv, events, static_cast<std::uint16_t const*>(stacked), static_cast<std::uint16_t*>(out));
}
}  // namespace calo::inference::detail
