#include "SingleChannelConvolution.hh"

#include <algorithm>
#include <cmath>
#include <vector>

// ifunc resolvers (behind target_clones) run before a sanitizer's runtime is
// set up and crash it: sanitizer builds take the baseline loop only.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#    define CALO_VECTOR_CLONES
#else
#    define CALO_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#endif

namespace calo::inference::detail
{
namespace
{
/*!
 * One output plane x: out[y][z] = sum over c, dx, dy, dz of
 * w[c][dx][dy][dz] * in[c][x + dx][y + dy][z + dz], computed on rows of the
 * input's width (in_z), so that y and z run as one contiguous loop of
 * out_y * in_z values; the last in_z - out_z values of each row are junk and
 * dropped by the caller. Reads up to kz - 1 values past the input plane. The
 * compiler builds the loop for AVX-512, AVX2 and a baseline, and the loader
 * picks one for this CPU at run time.
 */
CALO_VECTOR_CLONES void accumulate_plane(
    float const* __restrict input, float const* __restrict weight, float* __restrict wide_plane, int channels,
    int in_z, int kx, int ky, int kz, int out_y, std::size_t channel_stride, std::size_t x_stride)
{
    int const length = out_y * in_z;
    for (int c = 0; c < channels; ++c)
        for (int dx = 0; dx < kx; ++dx)
            for (int dy = 0; dy < ky; ++dy)
                for (int dz = 0; dz < kz; ++dz)
                {
                    float const w = weight[((c * kx + dx) * ky + dy) * kz + dz];
                    float const* source = input + c * channel_stride + dx * x_stride + dy * in_z + dz;
                    for (int i = 0; i < length; ++i) wide_plane[i] += w * source[i];
                }
}
}  // namespace

bool SingleChannelConvolution::applies_to(ConvBlock const& block)
{
    return block.out_channels == 1 && block.upsample == Int3{1, 1, 1} && block.pad_before == Int3{0, 0, 0} &&
           block.pad_after == Int3{0, 0, 0};
}

void SingleChannelConvolution::run(std::size_t events, float const* input, float* output) const
{
    auto const out = out_length();
    std::size_t const x_stride = static_cast<std::size_t>(in_length[1]) * in_length[2];
    std::size_t const channel_stride = x_stride * in_length[0];
    std::size_t const event_stride = channel_stride * in_channels;
    std::size_t const plane = static_cast<std::size_t>(out[1]) * out[2];
    long long const rows = static_cast<long long>(events) * out[0];
    std::size_t const wide = static_cast<std::size_t>(out[1]) * in_length[2];
#pragma omp parallel
    {
        std::vector<float> wide_plane(wide);
#pragma omp for schedule(static)
    for (long long r = 0; r < rows; ++r)
    {
        std::size_t const event = static_cast<std::size_t>(r / out[0]);
        int const x = static_cast<int>(r % out[0]);
        float* target = output + (event * out[0] + x) * plane;
        std::fill(wide_plane.begin(), wide_plane.end(), bias);
        accumulate_plane(input + event * event_stride + x * x_stride, weight, wide_plane.data(), in_channels,
                         in_length[2], kernel[0], kernel[1], kernel[2], out[1], channel_stride, x_stride);
        for (std::size_t i = 0; i < plane; ++i)
        {
            float v = wide_plane[(i / out[2]) * in_length[2] + i % out[2]];
            if (activation == Activation::leaky_relu && v < 0)
                v *= leaky_slope;
            // Cells are max(a, 0)^(1/power) in GeV whatever the activation a.
            v = std::max(v, 0.0f);
            target[i] = output_power == 1.0f ? output_scale * v : output_scale * std::pow(v, output_power);
        }
    }
    }
}
}  // namespace calo::inference::detail
