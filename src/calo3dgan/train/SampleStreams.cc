#include "calo3dgan/train/SampleStreams.hh"

#include <vector>

#include "calo3dgan/base/Random.hh"
#include "calo3dgan/nn/LatentSampler.hh"

namespace calo::train
{
std::uint64_t seed_of(std::uint64_t master, std::uint64_t index, SeedDomain domain)
{
    return derive_seed(master, index, static_cast<std::uint64_t>(domain));
}

SampleStreams::SampleStreams(std::uint64_t seed, std::int64_t step, std::int64_t first_sample, torch::Device device)
    : seed_(seed_of(seed, static_cast<std::uint64_t>(step), SeedDomain::step)), first_(first_sample), device_(device)
{
}

double SampleStreams::uniform_value(std::uint64_t draw, std::int64_t j) const
{
    return Rng(derive_seed(seed_, stream(j), kUniformStreamBase + draw)).uniform();
}

torch::Tensor SampleStreams::uniform(std::uint64_t draw, std::int64_t n, double lo, double hi) const
{
    std::vector<float> values(n);
    for (std::int64_t j = 0; j < n; ++j) values[j] = static_cast<float>(lo + (hi - lo) * uniform_value(draw, j));
    return column(values);
}

torch::Tensor SampleStreams::labels(StepDraw draw, std::int64_t n, float label, double p) const
{
    std::vector<float> values(n);
    for (std::int64_t j = 0; j < n; ++j)
        values[j] = uniform_value(static_cast<std::uint64_t>(draw), j) < p ? 1.0f - label : label;
    return column(values);
}

torch::Tensor SampleStreams::noise(nn::ArchitectureConfig const& config, std::uint64_t draw, std::int64_t n) const
{
    std::vector<torch::Tensor> rows;
    rows.reserve(n);
    auto const domain = static_cast<std::uint64_t>(SeedDomain::noise) + draw;
    for (std::int64_t j = 0; j < n; ++j)
        rows.push_back(nn::LatentSampler(config, derive_seed(seed_, stream(j), domain)).noise(1));
    return torch::cat(rows, 0).to(device_);
}

torch::Tensor SampleStreams::column(std::vector<float>& values) const
{
    auto const n = static_cast<std::int64_t>(values.size());
    return torch::from_blob(values.data(), {n, 1}, torch::kFloat32).clone().to(device_);
}
}  // namespace calo::train
