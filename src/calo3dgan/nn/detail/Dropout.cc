#include "Dropout.hh"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <mutex>

namespace calo::nn::detail
{
std::uint64_t draw_dropout_seed()
{
    auto generator = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(generator.mutex());
    return at::check_generator<at::CPUGeneratorImpl>(generator)->random64();
}

torch::Tensor dropout_mask(torch::IntArrayRef sizes, double p, std::uint64_t seed, torch::TensorOptions options)
{
    auto mask = torch::empty(sizes, options.dtype(torch::kFloat).device(torch::kCPU));
    auto* out = mask.data_ptr<float>();
    DropoutMask const value(p, seed);
    at::parallel_for(0, mask.numel(), 1 << 14,
                     [&](std::int64_t begin, std::int64_t end)
                     {
                         for (std::int64_t i = begin; i < end; ++i) out[i] = value(i);
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
    return x * dropout_mask(x.sizes(), p, draw_dropout_seed(), x.options());
}
}  // namespace calo::nn::detail
