#pragma once
// 3DGAN generator: latent vector and conditions -> calorimeter image.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "ArchitectureConfig.hh"
#include "LayerTable.hh"

namespace calo::nn
{
/*!
 * Generator network built from an ArchitectureConfig (layer order of
 * svalleco/3Dgan EcalEnergyGan.py / AngleArch3dGAN.py `generator`).
 *
 *   dense: (N, latent) -> (N, x*y*z*C), reshaped channels-last (x, y, z, C)
 *          as Keras does and permuted to (N, C, x, y, z);
 *   blocks: [nearest upsample] -> [zero pad] -> Conv3d ('same' = TF asymmetric
 *          padding) -> activation -> [BatchNorm]; the last block ends in ReLU,
 *          so images are >= 0.
 *
 * Registered submodules: "dense", "conv<i>" and "batchnorm<i>" (i = block
 * index, only blocks with batchnorm), so weights can be imported layer by
 * layer. Tensors may live on any device; call ->to(device) as usual.
 */
class GeneratorImpl : public torch::nn::Cloneable<GeneratorImpl>
{
  public:
    //! Build from a configuration (validated here) and initialise the
    //! parameters Keras-style from `init_seed` (see initialize()).
    GeneratorImpl(ArchitectureConfig config, std::uint64_t init_seed);

    /*!
     * Generate images.
     * \param noise (N, noise_size) standard normal noise z
     * \param conditions (N, 1) = y (E_p / yscale) for family a;
     *                   (N, 2) = [y, theta_rad] for family b
     * \return images (N, 1, x, y, z), cell energies in network units (B: E^power)
     */
    torch::Tensor forward(torch::Tensor const& noise, torch::Tensor const& conditions);

    //! The dense layer's input (N, latent_size): y * z (a) or [y, theta, z] (b).
    torch::Tensor latent_input(torch::Tensor const& noise, torch::Tensor const& conditions) const;

    //! Generate from a ready latent input (N, latent_size), as the Keras model.
    torch::Tensor forward_latent(torch::Tensor const& latent);

    /*!
     * Keras default initialisation: kernels per configured initialiser
     * (dense glorot_uniform, convolutions he_uniform, last glorot_normal in the
     * presets), biases zero, BN gamma 1, beta 0, moving mean 0, variance 1.
     * Layer i draws from derive_seed(seed, i), on the host.
     */
    void initialize(std::uint64_t seed);

    //! Rebuild the layers (torch::nn::Cloneable); parameters from the seed.
    void reset() override;

    ArchitectureConfig const& config() const { return config_; }
    //! Trainable (weights, biases, BN gamma/beta) and BN moving statistics.
    ParameterCount parameter_count() const;

    // Layer access (for weight import and tests)
    torch::nn::Linear const& dense() const { return dense_; }
    std::size_t num_blocks() const { return convs_.size(); }
    torch::nn::Conv3d const& conv(std::size_t block) const { return convs_.at(block); }
    //! Empty holder (is_empty()) for blocks without batch normalisation.
    torch::nn::BatchNorm3d const& batchnorm(std::size_t block) const { return batchnorms_.at(block); }

  private:
    ArchitectureConfig config_;
    std::uint64_t init_seed_;
    torch::nn::Linear dense_{nullptr};
    std::vector<torch::nn::Conv3d> convs_;
    std::vector<torch::nn::BatchNorm3d> batchnorms_;
};
TORCH_MODULE(Generator);
}  // namespace calo::nn
