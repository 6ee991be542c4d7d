#pragma once
// Training precision: fp32 throughout, or bf16 mixed precision (autocast for
// convolutions and matrix products; fp32 master weights, optimizer state,
// gradients and losses). docs/training-performance.md.
#include <torch/torch.h>

#include <string>

namespace calo::train
{
enum class Precision
{
    fp32,
    bf16,
};

//! "fp32" or "bf16"; InputError otherwise.
Precision parse_precision(std::string const& name);
char const* to_string(Precision precision);

/*!
 * Autocast to bf16 on `device` for the scope's lifetime when `precision` is
 * bf16 (nothing for fp32). Restores the previous state and drops the cast
 * cache on exit, as PyTorch's autocast context does.
 */
class AutocastScope
{
  public:
    AutocastScope(Precision precision, torch::Device device);
    ~AutocastScope();
    AutocastScope(AutocastScope const&) = delete;
    AutocastScope& operator=(AutocastScope const&) = delete;

  private:
    bool active_ = false;
    c10::DeviceType device_ = c10::DeviceType::CPU;
    bool was_enabled_ = false;
    torch::ScalarType was_type_ = torch::kBFloat16;
};
}  // namespace calo::train
