#include "Initializers.hh"

#include <cmath>
#include <vector>

#include "LayerTable.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
Fans compute_fans(torch::IntArrayRef weight_shape)
{
    CALO_EXPECT(weight_shape.size() >= 2);
    // Keras: fan_in = in * receptive field, fan_out = out * receptive field;
    // torch keeps (out, in, k...) where Keras keeps (k..., in, out).
    double receptive = 1;
    for (std::size_t i = 2; i < weight_shape.size(); ++i) receptive *= static_cast<double>(weight_shape[i]);
    return {static_cast<double>(weight_shape[1]) * receptive, static_cast<double>(weight_shape[0]) * receptive};
}

double sample_standard_normal(Rng& rng)
{
    return standard_normal(rng);
}

void initialize_weight(torch::Tensor const& weight, Initializer initializer, Rng& rng)
{
    Fans const fans = compute_fans(weight.sizes());
    auto const count = static_cast<std::size_t>(weight.numel());
    std::vector<float> values(count);
    switch (initializer)
    {
        case Initializer::glorot_uniform:
        case Initializer::he_uniform:
        {
            double const limit = initializer == Initializer::glorot_uniform
                                     ? std::sqrt(6.0 / (fans.fan_in + fans.fan_out))
                                     : std::sqrt(6.0 / fans.fan_in);
            for (auto& v : values) v = static_cast<float>(limit * (2 * rng.uniform() - 1));
            break;
        }
        case Initializer::glorot_normal:
        case Initializer::he_normal:
        {
            double const target = initializer == Initializer::glorot_normal
                                      ? std::sqrt(2.0 / (fans.fan_in + fans.fan_out))
                                      : std::sqrt(2.0 / fans.fan_in);
            double const sigma = target / kTruncatedNormalStd;
            for (auto& v : values)
            {
                double z;
                do
                {
                    z = sample_standard_normal(rng);
                } while (std::abs(z) > 2);
                v = static_cast<float>(sigma * z);
            }
            break;
        }
    }
    torch::NoGradGuard no_grad;
    auto host = torch::from_blob(values.data(), weight.sizes(), torch::kFloat32);
    weight.copy_(host);
}

void reset_biases_and_batchnorm(torch::nn::Module& module)
{
    torch::NoGradGuard no_grad;
    // The networks hold their layers as children (include_self would need the
    // module to live in a shared_ptr already, which it does not in a constructor)
    for (auto& child : module.modules(/*include_self=*/false))
    {
        if (auto* conv = child->as<torch::nn::Conv3dImpl>())
        {
            if (conv->bias.defined())
                conv->bias.zero_();
        }
        else if (auto* linear = child->as<torch::nn::LinearImpl>())
        {
            if (linear->bias.defined())
                linear->bias.zero_();
        }
        else if (auto* bn = child->as<torch::nn::BatchNorm3dImpl>())
        {
            bn->weight.fill_(1);
            bn->bias.zero_();
            bn->running_mean.zero_();
            bn->running_var.fill_(1);
            bn->num_batches_tracked.zero_();
        }
    }
}

ParameterCount count_module_parameters(torch::nn::Module const& module)
{
    ParameterCount count;
    for (auto const& p : module.parameters(/*recurse=*/true))
    {
        if (p.requires_grad())
            count.trainable += p.numel();
        else
            count.non_trainable += p.numel();
    }
    auto ends_with = [](std::string const& text, std::string const& suffix)
    { return text.size() >= suffix.size() && text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0; };
    for (auto const& item : module.named_buffers(/*recurse=*/true))
    {
        // BatchNorm's num_batches_tracked has no Keras counterpart
        if (ends_with(item.key(), "running_mean") || ends_with(item.key(), "running_var"))
            count.non_trainable += item.value().numel();
    }
    return count;
}
}  // namespace calo::nn
