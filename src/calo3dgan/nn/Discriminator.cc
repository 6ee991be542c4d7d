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
    convs_.clear();
    batchnorms_.clear();
    std::int64_t channels = 1;
    for (std::size_t i = 0; i < disc.blocks.size(); ++i)
    {
        auto const& block = disc.blocks[i];
        auto const id = std::to_string(i);
        convs_.push_back(
            register_module("conv" + id, detail::make_conv(channels, block.filters, block.kernel, block.bias,
                                                           detail::plan_padding(block.zero_padding, block.padding,
                                                                                block.kernel)
                                                               .symmetric)));
        channels = block.filters;
        if (block.batchnorm)
            batchnorms_.push_back(
                register_module("batchnorm" + id, detail::make_batchnorm(channels, config_.batchnorm)));
        else
            batchnorms_.emplace_back(nullptr);
    }
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
    {
        auto const& block = disc.blocks[i];
        // The symmetric padding is inside the convolution; only an even
        // 'same' kernel's trailing zero is added here.
        x = detail::pad(x, detail::plan_padding(block.zero_padding, block.padding, block.kernel).extra_after);
        x = convs_[i]->forward(x);
        x = detail::activate(x, block.activation, config_.leaky_relu_slope);
        if (!batchnorms_[i].is_empty())
            x = batchnorms_[i]->forward(x);
        if (block.dropout > 0)
            x = F::dropout(x, F::DropoutFuncOptions().p(block.dropout).training(is_training()));
    }
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
    auto const energies = undo_power(images, config_.power);
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
