#pragma once
// CPU autocast to bf16 for a scope, switched off again on leaving it, also
// when an assertion leaves the test early (header-only: for tests that link
// calo3dgan::nn).
#include <torch/torch.h>

#include "calo3dgan/nn/Autocast.hh"

namespace calo::test
{
struct CpuBf16Autocast
{
    CpuBf16Autocast() { nn::set_autocast(c10::DeviceType::CPU, true, torch::kBFloat16); }
    ~CpuBf16Autocast() { nn::set_autocast(c10::DeviceType::CPU, false, torch::kBFloat16); }
    CpuBf16Autocast(CpuBf16Autocast const&) = delete;
    CpuBf16Autocast& operator=(CpuBf16Autocast const&) = delete;
};
}  // namespace calo::test
