#include "LatentSampler.hh"

#include <vector>

#include "Initializers.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
namespace
{
torch::Tensor to_tensor(std::vector<float>& values, std::int64_t rows, std::int64_t columns, torch::Device device)
{
    return torch::from_blob(values.data(), {rows, columns}, torch::kFloat32)
        .to(device, /*non_blocking=*/false,
            /*copy=*/true);
}
}  // namespace

LatentSampler::LatentSampler(ArchitectureConfig const& config, std::uint64_t seed)
    : noise_size_(config.noise_size()),
      num_conditions_(config.num_conditions()),
      energy_min_(config.train.energy_min),
      energy_max_(config.train.energy_max),
      angle_min_(config.train.angle_min_rad),
      angle_max_(config.train.angle_max_rad),
      rng_(seed)
{
}

torch::Tensor LatentSampler::noise(std::int64_t batch, torch::Device device)
{
    CALO_VALIDATE(batch >= 0, "batch size must be >= 0");
    std::vector<float> values(static_cast<std::size_t>(batch) * noise_size_);
    for (auto& v : values) v = static_cast<float>(sample_standard_normal(rng_));
    return to_tensor(values, batch, noise_size_, device);
}

torch::Tensor LatentSampler::conditions(std::int64_t batch, torch::Device device)
{
    CALO_VALIDATE(batch >= 0, "batch size must be >= 0");
    std::vector<float> values(static_cast<std::size_t>(batch) * num_conditions_);
    for (std::int64_t i = 0; i < batch; ++i)
    {
        values[i * num_conditions_] = static_cast<float>(energy_min_ + (energy_max_ - energy_min_) * rng_.uniform());
        if (num_conditions_ > 1)
            values[i * num_conditions_ + 1] =
                static_cast<float>(angle_min_ + (angle_max_ - angle_min_) * rng_.uniform());
    }
    return to_tensor(values, batch, num_conditions_, device);
}

LatentBatch LatentSampler::sample(std::int64_t batch, torch::Device device)
{
    LatentBatch result;
    result.conditions = conditions(batch, device);
    result.noise = noise(batch, device);
    return result;
}

LatentBatch LatentSampler::sample_for(torch::Tensor const& conditions)
{
    CALO_VALIDATE(conditions.dim() == 2 && conditions.size(1) == num_conditions_,
                  "conditions must be (N, " + std::to_string(num_conditions_) + ")");
    LatentBatch result;
    result.conditions = conditions;
    result.noise = noise(conditions.size(0), conditions.device()).to(conditions.scalar_type());
    return result;
}
}  // namespace calo::nn
