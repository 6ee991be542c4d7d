#include "Dropout.hh"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <mutex>

namespace calo::nn::detail
{
namespace
{
//! MurmurHash3's 32-bit finaliser: every input bit affects every output bit.
inline std::uint32_t mix32(std::uint32_t h)
{
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}
}  // namespace

torch::Tensor dropout_mask(torch::IntArrayRef sizes, double p, std::uint64_t seed, torch::TensorOptions options)
{
    auto mask = torch::empty(sizes, options.dtype(torch::kFloat).device(torch::kCPU));
    auto* out = mask.data_ptr<float>();
    auto const n = mask.numel();
    auto const key_low = static_cast<std::uint32_t>(seed);
    auto const key_high = static_cast<std::uint32_t>(seed >> 32);
    // Keep where the top 24 bits, as a uniform value in [0, 1), are >= p.
    auto const threshold = static_cast<std::uint32_t>(std::ceil(p * 16777216.0));
    float const scale = static_cast<float>(1.0 / (1.0 - p));
    at::parallel_for(0, n, 1 << 14,
                     [&](std::int64_t begin, std::int64_t end)
                     {
                         for (std::int64_t i = begin; i < end; ++i)
                         {
                             // Two rounds over (index, key): a counter-based
                             // stream, one independent value per index.
                             auto const h = mix32(mix32(static_cast<std::uint32_t>(i) ^ key_low) + key_high);
                             out[i] = (h >> 8) >= threshold ? scale : 0.0f;
                         }
                     });
    return mask.to(options.device(), options.dtype());
}

torch::Tensor dropout(torch::Tensor const& x, double p, bool training)
{
    if (!training || p <= 0)
        return x;
    if (!x.is_cpu())
    {
        namespace F = torch::nn::functional;
        return F::dropout(x, F::DropoutFuncOptions().p(p).training(true));
    }
    std::uint64_t seed = 0;
    {
        auto generator = at::detail::getDefaultCPUGenerator();
        std::lock_guard<std::mutex> lock(generator.mutex());
        seed = at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
    }
    return x * dropout_mask(x.sizes(), p, seed, x.options());
}
}  // namespace calo::nn::detail
