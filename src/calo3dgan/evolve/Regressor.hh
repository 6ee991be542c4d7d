#pragma once
// An energy regressor on projected showers written as a function of one flat
// parameter vector, so that a GA's genomes and RMSprop's single parameter
// tensor run the very same forward pass. The paper's fixed network
// (EnergyRegressor) and the searched ones (ConvRegressor) both are one.
#include <vector>

#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/ParameterSpace.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"

namespace calo::evolve
{
class Regressor
{
  public:
    virtual ~Regressor() = default;

    //! The parameter blocks, with the ranges random parents are drawn from.
    virtual ParameterSpace const& space() const = 0;
    virtual int rows() const = 0;
    virtual int cols() const = 0;
    //! Estimated energies [GeV], shape (n), for images (n, rows, cols) [GeV]
    //! and parameters (space().size()) float32; differentiable in `parameters`.
    virtual torch::Tensor forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const = 0;
    virtual nlohmann::json describe() const = 0;

    //! Estimates [GeV] for all showers of `data`, in chunks, without autograd.
    std::vector<float> estimate(std::vector<float> const& parameters, ProjectedShowers const& data) const;
    //! Mean relative error of the estimates for all showers of `data`.
    double loss(std::vector<float> const& parameters, ProjectedShowers const& data) const;
};

//! Mean relative error mean(|estimate - truth| / truth): the AISIS 2019 paper's loss and fitness.
torch::Tensor mean_relative_error(torch::Tensor const& estimate_gev, torch::Tensor const& truth_gev);

//! A float vector seen as a 1-D tensor, without a copy (the vector must outlive it).
torch::Tensor as_tensor(std::vector<float> const& values);
//! `count` images of `data` from `first` as an (count, rows, cols) tensor, without a copy.
torch::Tensor images_tensor(ProjectedShowers const& data, std::size_t first, std::size_t count);
}  // namespace calo::evolve
