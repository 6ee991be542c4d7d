#pragma once
// The generators' last layer: a small valid convolution to one channel
// (2x2x2, 6 -> 1 in both 3DGAN presets), written by hand because oneDNN's
// kernels vectorise over output channels and run it at a few percent of peak
// (docs/inference.md, "Where the time goes").
#include <cstddef>

#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::inference::detail
{
struct SingleChannelConvolution
{
    Int3 in_length{0, 0, 0};   //!< input (x, y, z)
    Int3 kernel{1, 1, 1};
    int in_channels = 1;
    const float* weight = nullptr;  //!< (1, C, kx, ky, kz)
    float bias = 0;
    Activation activation = Activation::relu;
    float leaky_slope = 0;
    float output_scale = 1;  //!< after the activation: out = output_scale * a^output_power
    float output_power = 1;

    Int3 out_length() const
    {
        return {in_length[0] - kernel[0] + 1, in_length[1] - kernel[1] + 1, in_length[2] - kernel[2] + 1};
    }
    //! Whether `block` (its last stage) can run here: one output channel, no upsampling or padding.
    static bool applies_to(ConvBlock const& block);

    /*!
     * `events` inputs, channel-planar (N, C, x, y, z) float, to outputs
     * (N, x', y', z') float. Parallel over events and x'. Reads up to
     * kernel z - 1 floats past the input: allocate them.
     */
    void run(std::size_t events, float const* input, float* output) const;
};
}  // namespace calo::inference::detail
