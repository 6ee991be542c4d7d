#include "calo3dgan/evolve/Regressor.hh"

#include "calo3dgan/evolve/RegressionReport.hh"

namespace calo::evolve
{
std::vector<float> Regressor::estimate(std::vector<float> const& parameters, ProjectedShowers const& data) const
{
    torch::NoGradGuard no_grad;
    constexpr std::size_t kChunk = 1024;
    auto const p = as_tensor(parameters);
    std::vector<float> out;
    out.reserve(data.size());
    for (std::size_t first = 0; first < data.size(); first += kChunk)
    {
        auto const n = std::min(kChunk, data.size() - first);
        auto const e = forward(p, images_tensor(data, first, n)).contiguous();
        out.insert(out.end(), e.data_ptr<float>(), e.data_ptr<float>() + n);
    }
    return out;
}

double Regressor::loss(std::vector<float> const& parameters, ProjectedShowers const& data) const
{
    return mean_relative_error(estimate(parameters, data), data.energy_gev);
}

torch::Tensor mean_relative_error(torch::Tensor const& estimate_gev, torch::Tensor const& truth_gev)
{
    return ((estimate_gev - truth_gev).abs() / truth_gev).mean();
}

torch::Tensor as_tensor(std::vector<float> const& values)
{
    return torch::from_blob(const_cast<float*>(values.data()), {static_cast<std::int64_t>(values.size())},
                            torch::kFloat32);
}

torch::Tensor images_tensor(ProjectedShowers const& data, std::size_t first, std::size_t count)
{
    return torch::from_blob(const_cast<float*>(data.image(first)),
                            {static_cast<std::int64_t>(count), data.rows, data.cols}, torch::kFloat32);
}
}  // namespace calo::evolve
