#include "Discriminator.hh"

#include "Initializers.hh"
#include "PhysicsHeads.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "detail/Layers.hh"

namespace calo::nn
{
DiscriminatorImpl::DiscriminatorImpl(ArchitectureConfig config, std::uint64_t init_seed)
    : config_(std::move(config)), init_seed_(init_seed)
{
    validate(config_);
    reset();
}

void DiscriminatorImpl::reset()
{
    auto const& disc = config_.discriminator;
    detail::register_blocks(*this, disc.blocks, 1, config_.batchnorm, convs_, batchnorms_);
    // The flattened size follows from the configuration's shape inference
    auto const layers = describe_discriminator(config_);
    std::int64_t features = 0;
    for (auto const& layer : layers)
    {
        if (layer.type == "Flatten")
            features = layer.output_shape.at(0);
    }
    CALO_ASSERT(features > 0);
    generation_ = register_module("generation", torch::nn::Linear(features, 1));
    auxiliary_ = register_module("auxiliary", torch::nn::Linear(features, 1));
    initialize(init_seed_);
}

void DiscriminatorImpl::initialize(std::uint64_t seed)
{
    init_seed_ = seed;
    reset_biases_and_batchnorm(*this);
    for (std::size_t i = 0; i < convs_.size(); ++i)
    {
        Rng rng(derive_seed(seed, i));
        initialize_weight(convs_[i]->weight, config_.discriminator.blocks[i].initializer, rng);
    }
    Rng generation_rng(derive_seed(seed, convs_.size()));
    initialize_weight(generation_->weight, config_.discriminator.dense_initializer, generation_rng);
    Rng auxiliary_rng(derive_seed(seed, convs_.size() + 1));
    initialize_weight(auxiliary_->weight, config_.discriminator.dense_initializer, auxiliary_rng);
}

torch::Tensor DiscriminatorImpl::features(torch::Tensor const& images)
{
    auto const& shape = config_.image_shape;
    CALO_VALIDATE(images.dim() == 5 && images.size(1) == 1 && images.size(2) == shape.nx &&
                      images.size(3) == shape.ny && images.size(4) == shape.nz,
                  "discriminator input must be (N, 1, " + std::to_string(shape.nx) + ", " + std::to_string(shape.ny) +
                      ", " + std::to_string(shape.nz) + ") images");
    namespace F = torch::nn::functional;
    auto const& disc = config_.discriminator;
    auto x = images;
    for (std::size_t i = 0; i < convs_.size(); ++i)
        x = detail::block_forward(x, disc.blocks[i], convs_[i], batchnorms_[i], config_.leaky_relu_slope, is_training(),
                                  i + 1 < convs_.size());
    x = F::avg_pool3d(x, F::AvgPool3dFuncOptions({disc.pooling.x, disc.pooling.y, disc.pooling.z}));
    // Keras Flatten on channels_last data: (x, y, z, C), C fastest
    return x.permute({0, 2, 3, 4, 1}).flatten(1);
}

DiscriminatorOutput DiscriminatorImpl::forward(torch::Tensor const& images)
{
    DiscriminatorOutput out;
    auto const h = features(images);
    out.logit = generation_->forward(h);
    out.probability = torch::sigmoid(out.logit);
    out.energy = auxiliary_->forward(h);
    // The physics heads sum cells in fp32 even when the images are bf16.
    auto const energies = undo_power(images.to(torch::kFloat), config_.power);
    out.ecal = ecal_sum(energies);
    if (config_.has_angle_head())
        out.angle = ecal_angle(energies);
    return out;
}

ParameterCount DiscriminatorImpl::parameter_count() const
{
    return count_module_parameters(*this);
}
}  // namespace calo::nn
