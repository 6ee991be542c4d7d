#pragma once
// Autocast's thread-local state for one device type, spelled once for both
// libtorch generations: 1.13 has separate CPU and CUDA functions, 2.4 and
// later take the device type (and deprecate the old names).
#include <c10/core/DeviceType.h>
#include <c10/core/ScalarType.h>

namespace calo::nn
{
//! True where autocast is on for `device` (with libtorch 1.13: CPU or CUDA,
//! false for other devices).
bool autocast_enabled(c10::DeviceType device);
//! The type autocast casts to on `device`.
c10::ScalarType autocast_type(c10::DeviceType device);
//! Switch autocast on `device` on or off, casting to `type`.
void set_autocast(c10::DeviceType device, bool enabled, c10::ScalarType type);
}  // namespace calo::nn
