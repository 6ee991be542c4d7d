#pragma once
// The seed's regressor (§5.1): one convolutional and one dense layer, a loose
// copy of the first stage of the 3DGAN discriminator (Conv3d(32, 5x5x5) and
// LeakyReLU(0.3), spec 3dgan-reference §3.1) in 2D, estimating the primary
// energy from a projected shower. Written as a function of one flat parameter
// vector, so that the GA's genomes and RMSprop's single parameter tensor run
// the very same forward pass.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/ParameterSpace.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"

namespace calo::evolve
{
struct RegressorOptions
{
    int filters = 8;  //!< convolution filters
    int kernel = 5;  //!< square kernel [cells]
    int stride = 2;  //!< convolution stride [cells], no padding
    double leaky_slope = 0.3;  //!< LeakyReLU slope (Keras default, as 3DGAN)
    //! Constant added to every neuron's weighted sum: 0 in the seed's Table 1.
    double bias = 0;
    //! Make the biases parameters (initialised like the weights) instead.
    bool trainable_bias = false;
    double input_scale = 100;  //!< cells [GeV] x this go in (3DGAN's xscale for model A)
    double energy_scale_gev = 100;  //!< output x this = estimate [GeV] (3DGAN's energy unit)
};

class EnergyRegressor
{
  public:
    //! For images of rows x cols cells; throws InputError when the kernel
    //! does not fit or an option is out of range.
    EnergyRegressor(int rows, int cols, RegressorOptions options);

    //! The parameter blocks (conv weight, [conv bias], dense weight, [dense
    //! bias]); random parents draw U[-1/sqrt(fan_in), 1/sqrt(fan_in)], the
    //! PyTorch default initialisation.
    ParameterSpace const& space() const { return space_; }
    RegressorOptions const& options() const { return options_; }
    int rows() const { return rows_; }
    int cols() const { return cols_; }

    //! Estimated energies [GeV], shape (n), for images (n, rows, cols) [GeV]
    //! and parameters (space().size()) float32; differentiable in `parameters`.
    torch::Tensor forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const;

    //! Estimates [GeV] for all showers of `data`, in chunks, without autograd.
    std::vector<float> estimate(std::vector<float> const& parameters, ProjectedShowers const& data) const;
    //! Mean relative error of the estimates for all showers of `data`.
    double loss(std::vector<float> const& parameters, ProjectedShowers const& data) const;

    nlohmann::json describe() const;

  private:
    int rows_;
    int cols_;
    RegressorOptions options_;
    int out_rows_;
    int out_cols_;
    ParameterSpace space_;
};

//! Mean relative error mean(|estimate - truth| / truth): the seed's loss and fitness.
torch::Tensor mean_relative_error(torch::Tensor const& estimate_gev, torch::Tensor const& truth_gev);

//! A float vector seen as a 1-D tensor, without a copy (the vector must outlive it).
torch::Tensor as_tensor(std::vector<float> const& values);
//! `count` images of `data` from `first` as an (count, rows, cols) tensor, without a copy.
torch::Tensor images_tensor(ProjectedShowers const& data, std::size_t first, std::size_t count);
}  // namespace calo::evolve
