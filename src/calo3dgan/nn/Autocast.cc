#include "calo3dgan/nn/Autocast.hh"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

#define CALO_DEVICE_TYPED_AUTOCAST (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))

namespace calo::nn
{
bool autocast_enabled(c10::DeviceType device)
{
#if CALO_DEVICE_TYPED_AUTOCAST
    return at::autocast::is_autocast_enabled(device);
#else
    if (device == c10::DeviceType::CUDA)
        return at::autocast::is_enabled();
    return device == c10::DeviceType::CPU && at::autocast::is_cpu_enabled();
#endif
}

c10::ScalarType autocast_type(c10::DeviceType device)
{
#if CALO_DEVICE_TYPED_AUTOCAST
    return at::autocast::get_autocast_dtype(device);
#else
    return device == c10::DeviceType::CUDA ? at::autocast::get_autocast_gpu_dtype()
                                           : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType type)
{
#if CALO_DEVICE_TYPED_AUTOCAST
    at::autocast::set_autocast_dtype(device, type);
    at::autocast::set_autocast_enabled(device, enabled);
#else
    if (device == c10::DeviceType::CUDA)
    {
        at::autocast::set_autocast_gpu_dtype(type);
        at::autocast::set_enabled(enabled);
    }
    else
    {
        at::autocast::set_autocast_cpu_dtype(type);
        at::autocast::set_cpu_enabled(enabled);
    }
#endif
}
}  // namespace calo::nn
