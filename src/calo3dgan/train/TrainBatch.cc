#include "calo3dgan/train/TrainBatch.hh"

namespace calo::train
{
namespace
{
torch::Tensor column(std::vector<float> const& values, torch::Device device)
{
    auto const n = static_cast<std::int64_t>(values.size());
    return torch::from_blob(const_cast<float*>(values.data()), {n, 1}, torch::kFloat32).clone().to(device);
}
}  // namespace

torch::Tensor TrainBatch::conditions(bool with_angle) const
{
    return with_angle ? torch::cat({y, theta}, 1) : y;
}

TrainBatch to_tensors(io::PreprocessedBatch const& batch, torch::Device device)
{
    TrainBatch out;
    auto const n = static_cast<std::int64_t>(batch.size());
    auto const& s = batch.shape;
    out.images = torch::from_blob(const_cast<float*>(batch.cells.data()), {n, 1, s.nx, s.ny, s.nz}, torch::kFloat32)
                     .clone()
                     .to(device);
    out.y = column(batch.y, device);
    out.ecal = column(batch.ecal, device);
    if (!batch.theta_rad.empty())
        out.theta = column(batch.theta_rad, device);
    return out;
}
}  // namespace calo::train
