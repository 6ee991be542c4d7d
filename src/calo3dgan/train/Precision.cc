#include "calo3dgan/train/Precision.hh"

#include <ATen/autocast_mode.h>

#include "calo3dgan/base/Error.hh"

namespace calo::train
{
Precision parse_precision(std::string const& name)
{
    if (name == "fp32")
        return Precision::fp32;
    if (name == "bf16")
        return Precision::bf16;
    CALO_VALIDATE(false, "unknown precision '" + name + "' — use fp32 or bf16");
    return Precision::fp32;
}

char const* to_string(Precision precision)
{
    return precision == Precision::bf16 ? "bf16" : "fp32";
}

AutocastScope::AutocastScope(Precision precision, torch::Device device)
    : active_(precision == Precision::bf16), cuda_(device.is_cuda())
{
    if (!active_)
        return;
    if (cuda_)
    {
        was_enabled_ = at::autocast::is_enabled();
        was_type_ = at::autocast::get_autocast_gpu_dtype();
        at::autocast::set_autocast_gpu_dtype(torch::kBFloat16);
        at::autocast::set_enabled(true);
    }
    else
    {
        was_enabled_ = at::autocast::is_cpu_enabled();
        was_type_ = at::autocast::get_autocast_cpu_dtype();
        at::autocast::set_autocast_cpu_dtype(torch::kBFloat16);
        at::autocast::set_cpu_enabled(true);
    }
}

AutocastScope::~AutocastScope()
{
    if (!active_)
        return;
    if (cuda_)
    {
        at::autocast::set_enabled(was_enabled_);
        at::autocast::set_autocast_gpu_dtype(was_type_);
    }
    else
    {
        at::autocast::set_cpu_enabled(was_enabled_);
        at::autocast::set_autocast_cpu_dtype(was_type_);
    }
    if (!was_enabled_)
        at::autocast::clear_cache();
}
}  // namespace calo::train
