#include "Generator.hh"

#include "Initializers.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "detail/Layers.hh"

namespace calo::nn
{
GeneratorImpl::GeneratorImpl(ArchitectureConfig config, std::uint64_t init_seed)
    : config_(std::move(config)), init_seed_(init_seed)
{
    validate(config_);
    reset();
}

void GeneratorImpl::reset()
{
    auto const& gen = config_.generator;
    dense_ = register_module("dense", torch::nn::Linear(config_.latent_size, gen.dense_units()));
    detail::register_blocks(*this, gen.blocks, gen.reshape_channels, config_.batchnorm, convs_, batchnorms_);
    initialize(init_seed_);
}

void GeneratorImpl::initialize(std::uint64_t seed)
{
    init_seed_ = seed;
    reset_biases_and_batchnorm(*this);
    Rng dense_rng(derive_seed(seed, 0));
    initialize_weight(dense_->weight, config_.generator.dense_initializer, dense_rng);
    for (std::size_t i = 0; i < convs_.size(); ++i)
    {
        Rng rng(derive_seed(seed, i + 1));
        initialize_weight(convs_[i]->weight, config_.generator.blocks[i].initializer, rng);
    }
}

torch::Tensor GeneratorImpl::latent_input(torch::Tensor const& noise, torch::Tensor const& conditions) const
{
    CALO_VALIDATE(noise.dim() == 2 && noise.size(1) == config_.noise_size(),
                  "generator noise must be (N, " + std::to_string(config_.noise_size()) + "), got " +
                      std::to_string(noise.dim()) + " dimensions with " +
                      std::to_string(noise.dim() == 2 ? noise.size(1) : 0) + " columns");
    CALO_VALIDATE(
        conditions.dim() == 2 && conditions.size(0) == noise.size(0) && conditions.size(1) == config_.num_conditions(),
        std::string("generator conditions must be (N, ") + std::to_string(config_.num_conditions()) +
            ") with the noise's N" + (config_.family == ModelFamily::a ? " (y = E/yscale)" : " ([y, theta_rad])"));
    if (config_.family == ModelFamily::a)
    {
        // Energy-gan:keras/EcalEnergyTrain.py: generator_ip = sampled_energies * noise
        return noise * conditions;
    }
    // Anglegan:keras/AngleTrain3dGAN.py: concatenate([energy, angle, noise]) (concat=2)
    return torch::cat({conditions, noise}, 1);
}

torch::Tensor GeneratorImpl::forward(torch::Tensor const& noise, torch::Tensor const& conditions)
{
    return forward_latent(latent_input(noise, conditions));
}

torch::Tensor GeneratorImpl::forward_latent(torch::Tensor const& latent)
{
    CALO_VALIDATE(latent.dim() == 2 && latent.size(1) == config_.latent_size,
                  "generator input must be (N, " + std::to_string(config_.latent_size) + ")");
    auto const& gen = config_.generator;
    auto x = dense_->forward(latent);
    // Keras Reshape on channels_last: index order (x, y, z, c), c fastest
    x = x.view({x.size(0), gen.reshape.x, gen.reshape.y, gen.reshape.z, gen.reshape_channels}).permute({0, 4, 1, 2, 3});
    for (std::size_t i = 0; i < convs_.size(); ++i)
        x = detail::block_forward(x, gen.blocks[i], convs_[i], batchnorms_[i], config_.leaky_relu_slope, is_training(),
                                  i + 1 < convs_.size());
    return x;
}

ParameterCount GeneratorImpl::parameter_count() const
{
    return count_module_parameters(*this);
}

}  // namespace calo::nn
