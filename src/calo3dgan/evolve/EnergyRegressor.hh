#pragma once
// The regressor of Carminati et al. 2019 (§5.1): one convolutional and one dense layer, a loose
// copy of the first stage of the 3DGAN discriminator (Conv3d(32, 5x5x5) and
// LeakyReLU(0.3), docs/models.md, "Model A discriminator") in 2D, estimating the primary
// energy from a projected shower. Written as a function of one flat parameter
// vector, so that the GA's genomes and RMSprop's single parameter tensor run
// the very same forward pass.
#include <torch/torch.h>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/ParameterSpace.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"
#include "calo3dgan/evolve/Regressor.hh"

namespace calo::evolve
{
struct RegressorOptions
{
    int filters = 8;  //!< convolution filters
    int kernel = 5;  //!< square kernel [cells]
    int stride = 2;  //!< convolution stride [cells], no padding
    double leaky_slope = 0.3;  //!< LeakyReLU slope (Keras default, as 3DGAN)
    //! Constant added to every neuron's weighted sum: 0 in Table 1 of Carminati et al. 2019.
    double bias = 0;
    //! Make the biases parameters (initialised like the weights) instead.
    bool trainable_bias = false;
    double input_scale = 100;  //!< cells [GeV] x this go in (3DGAN's xscale for model A)
    double energy_scale_gev = 100;  //!< output x this = estimate [GeV] (3DGAN's energy unit)
};

class EnergyRegressor final : public Regressor
{
  public:
    //! For images of rows x cols cells; throws InputError when the kernel
    //! does not fit or an option is out of range.
    EnergyRegressor(int rows, int cols, RegressorOptions options);

    //! The parameter blocks (conv weight, [conv bias], dense weight, [dense
    //! bias]); random parents draw U[-1/sqrt(fan_in), 1/sqrt(fan_in)], the
    //! PyTorch default initialisation.
    ParameterSpace const& space() const override { return space_; }
    RegressorOptions const& options() const { return options_; }
    int rows() const override { return rows_; }
    int cols() const override { return cols_; }

    torch::Tensor forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const override;
    nlohmann::json describe() const override;

  private:
    int rows_;
    int cols_;
    RegressorOptions options_;
    int out_rows_;
    int out_cols_;
    ParameterSpace space_;
};

}  // namespace calo::evolve
