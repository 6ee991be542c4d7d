#include "calo3dgan/train/Precision.hh"

#include <ATen/autocast_mode.h>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/Autocast.hh"

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
    : active_(precision == Precision::bf16), device_(device.type())
{
    if (!active_)
        return;
    was_enabled_ = nn::autocast_enabled(device_);
    was_type_ = nn::autocast_type(device_);
    nn::set_autocast(device_, true, torch::kBFloat16);
}

AutocastScope::~AutocastScope()
{
    if (!active_)
        return;
    nn::set_autocast(device_, was_enabled_, was_type_);
    if (!was_enabled_)
        at::autocast::clear_cache();
}
}  // namespace calo::train
