#pragma once
// Exact rewrite of nearest upsampling + zero padding + valid convolution as one
// convolution on the low-resolution input with phase-stacked kernels and a
// depth-to-space shuffle (derivation in docs/inference.md, "Exact rewrites").
#include <vector>

#include "calo3dgan/base/PhaseGeometry.hh"
#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::inference::detail
{
//! Geometry of the rewrite along one axis, as the engine runs it.
struct PhaseAxis
{
    PhaseGeometry geometry;
    int pad_after = 0;  //!< zeros after the input: geometry's, or 0 where it crops (the engine pads only)

    int taps() const { return geometry.taps; }
    //! Q: low-resolution positions computed by the stacked convolution.
    int positions() const { return geometry.positions(); }
    int pad_before() const { return geometry.pad_before(); }
    //! Index into the Q computed positions, and phase, of output index o.
    int position(int o) const { return geometry.position(o) - geometry.q_min; }
    int phase(int o) const { return geometry.phase(o); }
};

PhaseAxis make_phase_axis(int upsample, int pad_before, int pad_after, int kernel, int in_length);

//! The rewritten block: geometry on the three axes and the stacked kernel.
struct PhaseConvolution
{
    PhaseAxis axis[3];
    int in_channels = 0;
    int out_channels = 0;  //!< C_out of the original block
    int phases = 1;        //!< s_x * s_y * s_z
    //! (phases * C_out, C_in, M_x, M_y, M_z), channel = phase * C_out + c,
    //! phase = (r_x * s_y + r_y) * s_z + r_z.
    std::vector<float> weight;

    int stacked_channels() const { return phases * out_channels; }
    bool needs_shuffle() const { return phases > 1; }
    Int3 taps() const { return {axis[0].taps(), axis[1].taps(), axis[2].taps()}; }
    Int3 positions() const { return {axis[0].positions(), axis[1].positions(), axis[2].positions()}; }
    Int3 out_lengths() const
    {
        return {axis[0].geometry.out_length, axis[1].geometry.out_length, axis[2].geometry.out_length};
    }
};

//! Rewrite `block` applied to an input of lengths `in_length`. Phase kernels
//! are sums of the original taps, accumulated in double.
PhaseConvolution rewrite_block(ConvBlock const& block, Int3 in_length);

/*!
 * Depth-to-space shuffle with offset and crop, channels-last: stacked
 * (N, Q_x, Q_y, Q_z, phases * C) -> (N, L_x, L_y, L_z, C). `element_size`
 * bytes per value (4 for fp32, 2 for bf16). Parallel over events and x.
 */
void shuffle_phases(PhaseConvolution const& conv, std::size_t events, void const* stacked, void* out,
                    std::size_t element_size);
}  // namespace calo::inference::detail
