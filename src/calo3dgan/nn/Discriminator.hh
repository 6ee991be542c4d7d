#pragma once
// 3DGAN discriminator: calorimeter image -> real/fake probability, energy
// regression and the parameter-free physics heads.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "ArchitectureConfig.hh"
#include "LayerTable.hh"

namespace calo::nn
{
//! Outputs of the discriminator, each (N, 1).
struct DiscriminatorOutput
{
    torch::Tensor probability;  //!< 'generation': sigmoid(logit), P(real)
    torch::Tensor logit;        //!< pre-sigmoid value of 'generation'
    torch::Tensor energy;       //!< 'auxiliary': linear regression of y = E_p / yscale
    torch::Tensor ecal;         //!< sum of input^(1/power): cell energies in network units
    torch::Tensor angle;        //!< measured angle [rad] (family b); undefined for a
};

/*!
 * Discriminator network built from an ArchitectureConfig (layer order of
 * svalleco/3Dgan EcalEnergyGan.py / AngleArch3dGAN.py `discriminator`).
 *
 *   trunk: per block [zero pad] -> Conv3d ('same' = TF asymmetric padding)
 *          -> LeakyReLU -> [BatchNorm] -> Dropout (element-wise);
 *          AvgPool3d (floor) -> Flatten in channels-last order (x, y, z, C), so
 *          Keras Dense kernels apply unchanged;
 *   heads: "generation" Dense(1) + sigmoid, "auxiliary" Dense(1) linear,
 *          ECAL sum and (b) ecal_angle of input^(1/power), see PhysicsHeads.hh.
 *
 * Registered submodules: "conv<i>", "batchnorm<i>", "generation", "auxiliary".
 */
class DiscriminatorImpl : public torch::nn::Cloneable<DiscriminatorImpl>
{
  public:
    //! Build from a configuration (validated here); Keras-style
    //! initialisation from `init_seed`.
    DiscriminatorImpl(ArchitectureConfig config, std::uint64_t init_seed);

    //! \param images (N, 1, x, y, z) in network units (B: E^power)
    DiscriminatorOutput forward(torch::Tensor const& images);

    //! Flattened trunk output (N, features), channels-last order.
    torch::Tensor features(torch::Tensor const& images);

    //! Kernels per configured initialiser (glorot_uniform in the presets),
    //! biases zero, BN reset; layer i draws from derive_seed(seed, i).
    void initialize(std::uint64_t seed);

    //! Rebuild the layers (torch::nn::Cloneable); parameters from the seed.
    void reset() override;

    ArchitectureConfig const& config() const { return config_; }
    ParameterCount parameter_count() const;

    // Layer access (for weight import and tests)
    std::size_t num_blocks() const { return convs_.size(); }
    torch::nn::Conv3d const& conv(std::size_t block) const { return convs_.at(block); }
    //! Empty holder (is_empty()) for blocks without batch normalisation.
    torch::nn::BatchNorm3d const& batchnorm(std::size_t block) const { return batchnorms_.at(block); }
    torch::nn::Linear const& generation() const { return generation_; }
    torch::nn::Linear const& auxiliary() const { return auxiliary_; }

  private:
    ArchitectureConfig config_;
    std::uint64_t init_seed_;
    std::vector<torch::nn::Conv3d> convs_;
    std::vector<torch::nn::BatchNorm3d> batchnorms_;
    torch::nn::Linear generation_{nullptr};
    torch::nn::Linear auxiliary_{nullptr};
};
TORCH_MODULE(Discriminator);
}  // namespace calo::nn
