#pragma once
// A preprocessed batch as tensors on the training device.
#include <torch/torch.h>

#include "calo3dgan/io/Preprocessing.hh"

namespace calo::train
{
struct TrainBatch
{
    torch::Tensor images;  //!< (N, 1, x, y, z) network units
    torch::Tensor y;  //!< (N, 1) E_p / yscale
    torch::Tensor theta;  //!< (N, 1) angle [rad]; undefined without angles
    torch::Tensor ecal;  //!< (N, 1) sum of cells before the power

    std::int64_t size() const { return y.defined() ? y.size(0) : 0; }
    //! Generator conditions: (N, 1) = y for model A, (N, 2) = [y, theta] for B.
    torch::Tensor conditions(bool with_angle) const;
};

TrainBatch to_tensors(io::PreprocessedBatch const& batch, torch::Device device);
}  // namespace calo::train
