#pragma once
// One axis of an upsample -> zero pad -> valid convolution block, rewritten
// as a convolution on the low-resolution input with phase-stacked kernels
// followed by a depth-to-space shuffle. The training graph (nn) and the
// torch-free inference engine both rewrite the generator this way
// (docs/inference.md, "Exact rewrites"); header-only, so the installed
// inference library needs no calo3dgan library for it.
namespace calo
{
//! Floor division for a positive divisor and any numerator.
constexpr int floor_div(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

struct PhaseGeometry
{
    int upsample = 1;    //!< s
    int kernel = 1;      //!< k
    int in_length = 0;   //!< n: low-resolution input length
    int pad_lo = 0;      //!< zeros before the upsampled input
    int out_length = 0;  //!< L = s n + pad_lo + pad_hi - k + 1: the block's output length
    int taps = 1;        //!< M = floor((s - 1 + k - 1) / s) + 1: phase-kernel length
    int q_min = 0;       //!< low-resolution position of output 0 (<= 0)
    int q_max = 0;       //!< low-resolution position of output L - 1

    //! Output o reads low-resolution position q = floor((o - pad_lo) / s)
    //! and the taps q .. q + M - 1 of the input.
    constexpr int position(int o) const { return floor_div(o - pad_lo, upsample); }
    constexpr int phase(int o) const { return (o - pad_lo) - upsample * position(o); }
    //! Low-resolution positions the stacked convolution computes.
    constexpr int positions() const { return q_max - q_min + 1; }
    //! Zeros before the low-resolution input.
    constexpr int pad_before() const { return -q_min; }
    //! Zeros after it; negative when the last input positions are not read.
    constexpr int pad_after() const { return q_max + taps - in_length; }
    //! First index of the shuffled axis (u = s (q - q_min) + r) that is an output.
    constexpr int crop_first() const { return -(upsample * q_min + pad_lo); }
};

constexpr PhaseGeometry phase_geometry(int upsample, int pad_lo, int pad_hi, int kernel, int in_length)
{
    PhaseGeometry g;
    g.upsample = upsample;
    g.kernel = kernel;
    g.in_length = in_length;
    g.pad_lo = pad_lo;
    g.out_length = upsample * in_length + pad_lo + pad_hi - kernel + 1;
    g.taps = (upsample - 1 + kernel - 1) / upsample + 1;
    g.q_min = floor_div(-pad_lo, upsample);
    g.q_max = floor_div(g.out_length - 1 - pad_lo, upsample);
    return g;
}
}  // namespace calo
