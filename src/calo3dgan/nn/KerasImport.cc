#include "KerasImport.hh"

#include <algorithm>
#include <cctype>
#include <map>
#include <sstream>
#include <utility>

#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
namespace
{
std::string describe_shape(std::vector<std::int64_t> const& shape)
{
    std::ostringstream os;
    os << "(";
    for (std::size_t i = 0; i < shape.size(); ++i) os << (i ? "," : "") << shape[i];
    os << (shape.size() == 1 ? ",)" : ")");
    return os.str();
}

std::vector<std::int64_t> keras_shape(io::KerasWeight const& weight)
{
    return {weight.shape.begin(), weight.shape.end()};
}

//! A copy of the weight's values as a float32 CPU tensor of its Keras shape.
torch::Tensor to_tensor(io::KerasWeight const& weight)
{
    auto const shape = keras_shape(weight);
    return torch::from_blob(const_cast<float*>(weight.values.data()), shape, torch::kFloat32).clone();
}

/*!
 * Collects (destination, value) pairs after checking every shape, so that a
 * module is modified only when the whole file fits.
 */
class Importer
{
  public:
    Importer(std::string file, std::string network, ArchitectureConfig const& config)
        : file_(std::move(file)), network_(std::move(network)), model_(config.name)
    {
    }

    [[noreturn]] void fail(std::string const& what) const
    {
        throw InputError(network_ + " weights do not fit model " + model_ + ": " + what + " (where: " + file_ +
                         ") — check --model and that this is the " + network_ + " file of that model");
    }

    io::KerasWeight const& require(KerasLayer const& layer, char const* name) const
    {
        auto const* weight = layer.find(name);
        if (!weight)
            fail("layer " + layer.name + " has no weight '" + name + "'");
        return *weight;
    }

    void check_shape(KerasLayer const& layer, io::KerasWeight const& weight,
                     std::vector<std::int64_t> const& expected) const
    {
        auto const actual = keras_shape(weight);
        if (actual != expected)
        {
            fail("layer " + layer.name + " " + weight.name + " has shape " + describe_shape(actual) +
                 ", the model needs " + describe_shape(expected));
        }
    }

    void check_known_weights(KerasLayer const& layer, std::vector<std::string> const& known) const
    {
        for (auto const* weight : layer.weights)
        {
            if (std::find(known.begin(), known.end(), weight->name) == known.end())
                fail("layer " + layer.name + " has an unexpected weight '" + weight->name + "'");
        }
    }

    void bias(KerasLayer const& layer, torch::Tensor const& destination)
    {
        auto const* weight = layer.find("bias");
        bool const model_has_bias = destination.defined();
        if (!weight && model_has_bias)
            fail("layer " + layer.name + " has no bias, the model's layer has one");
        if (weight && !model_has_bias)
            fail("layer " + layer.name + " has a bias, the model's layer has none");
        if (!weight)
            return;
        check_shape(layer, *weight, {destination.size(0)});
        add(destination, to_tensor(*weight));
    }

    void dense(KerasLayer const& layer, torch::nn::Linear const& linear)
    {
        check_known_weights(layer, {"kernel", "bias"});
        auto const& kernel = require(layer, "kernel");
        auto const& w = linear->weight;  // (out, in)
        check_shape(layer, kernel, {w.size(1), w.size(0)});
        add(w, to_tensor(kernel).t());
        bias(layer, linear->bias);
    }

    void conv(KerasLayer const& layer, torch::nn::Conv3d const& conv)
    {
        check_known_weights(layer, {"kernel", "bias"});
        auto const& kernel = require(layer, "kernel");
        auto const& w = conv->weight;  // (out, in, kx, ky, kz)
        check_shape(layer, kernel, {w.size(2), w.size(3), w.size(4), w.size(1), w.size(0)});
        // Keras (kx, ky, kz, in, out) -> torch (out, in, kx, ky, kz)
        add(w, to_tensor(kernel).permute({4, 3, 0, 1, 2}));
        bias(layer, conv->bias);
    }

    void batchnorm(KerasLayer const& layer, torch::nn::BatchNorm3d const& bn)
    {
        check_known_weights(layer, {"gamma", "beta", "moving_mean", "moving_variance"});
        std::int64_t const channels = bn->running_mean.size(0);
        std::pair<char const*, torch::Tensor> const targets[] = {{"gamma", bn->weight},
                                                                 {"beta", bn->bias},
                                                                 {"moving_mean", bn->running_mean},
                                                                 {"moving_variance", bn->running_var}};
        for (auto const& [name, destination] : targets)
        {
            auto const& weight = require(layer, name);
            check_shape(layer, weight, {channels});
            add(destination, to_tensor(weight));
        }
    }

    //! Copy everything (only after all checks passed).
    void apply()
    {
        torch::NoGradGuard no_grad;
        for (auto& [destination, value] : pending_)
            destination.copy_(value.to(destination.device(), destination.scalar_type()));
    }

  private:
    void add(torch::Tensor const& destination, torch::Tensor value)
    {
        pending_.emplace_back(destination, std::move(value));
    }

    std::string file_;
    std::string network_;
    std::string model_;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> pending_;
};

struct LayersByKind
{
    std::vector<KerasLayer const*> dense, conv, batchnorm;

    explicit LayersByKind(std::vector<KerasLayer> const& layers)
    {
        for (auto const& layer : layers)
        {
            switch (layer.kind)
            {
                case KerasLayerKind::dense:
                    dense.push_back(&layer);
                    break;
                case KerasLayerKind::conv3d:
                    conv.push_back(&layer);
                    break;
                case KerasLayerKind::batch_normalization:
                    batchnorm.push_back(&layer);
                    break;
            }
        }
    }

    std::string counts() const
    {
        return std::to_string(dense.size()) + " dense, " + std::to_string(conv.size()) + " conv3d and " +
               std::to_string(batchnorm.size()) + " batch_normalization layers";
    }
};

template <class Net>
std::size_t count_batchnorms(Net const& net)
{
    std::size_t n = 0;
    for (std::size_t i = 0; i < net.num_blocks(); ++i) n += net.batchnorm(i).is_empty() ? 0 : 1;
    return n;
}

//! Match conv and BN layers to the blocks of `net`, in order.
template <class Net>
void import_blocks(Importer& importer, LayersByKind const& layers, Net const& net)
{
    std::size_t next_bn = 0;
    for (std::size_t i = 0; i < net.num_blocks(); ++i)
    {
        importer.conv(*layers.conv[i], net.conv(i));
        if (!net.batchnorm(i).is_empty())
            importer.batchnorm(*layers.batchnorm[next_bn++], net.batchnorm(i));
    }
}
}  // namespace

//---------------------------------------------------------------------------//
io::KerasWeight const* KerasLayer::find(std::string const& weight_name) const
{
    for (auto const* weight : weights)
    {
        if (weight->name == weight_name)
            return weight;
    }
    return nullptr;
}

bool natural_less(std::string const& a, std::string const& b)
{
    std::size_t i = 0, j = 0;
    auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
    while (i < a.size() && j < b.size())
    {
        if (is_digit(a[i]) && is_digit(b[j]))
        {
            std::size_t ei = i, ej = j;
            while (ei < a.size() && is_digit(a[ei])) ++ei;
            while (ej < b.size() && is_digit(b[ej])) ++ej;
            // Compare the numbers without leading zeros: longer is larger
            std::size_t si = i, sj = j;
            while (si + 1 < ei && a[si] == '0') ++si;
            while (sj + 1 < ej && b[sj] == '0') ++sj;
            auto const na = a.substr(si, ei - si), nb = b.substr(sj, ej - sj);
            if (na.size() != nb.size())
                return na.size() < nb.size();
            if (na != nb)
                return na < nb;
            i = ei;
            j = ej;
            continue;
        }
        if (a[i] != b[j])
            return a[i] < b[j];
        ++i;
        ++j;
    }
    return a.size() - i < b.size() - j;
}

char const* to_string(KerasLayerKind kind)
{
    switch (kind)
    {
        case KerasLayerKind::dense:
            return "dense";
        case KerasLayerKind::conv3d:
            return "conv3d";
        case KerasLayerKind::batch_normalization:
            return "batch_normalization";
    }
    return "?";
}

std::vector<KerasLayer> keras_layers(io::KerasWeightsFile const& file)
{
    // Group the weights by the group that holds them (one group per layer)
    std::vector<KerasLayer> layers;
    std::map<std::string, std::size_t> index;
    for (auto const& weight : file.weights)
    {
        auto [it, inserted] = index.emplace(weight.group, layers.size());
        if (inserted)
        {
            KerasLayer layer;
            layer.group = weight.group;
            layer.top_level = weight.top_level;
            layer.name = weight.layer;
            layers.push_back(layer);
        }
        layers[it->second].weights.push_back(&weight);
    }

    for (auto& layer : layers)
    {
        auto const* kernel = layer.find("kernel");
        if (kernel && kernel->shape.size() == 5)
            layer.kind = KerasLayerKind::conv3d;
        else if (kernel && kernel->shape.size() == 2)
            layer.kind = KerasLayerKind::dense;
        else if (!kernel && (layer.find("gamma") || layer.find("moving_mean")))
            layer.kind = KerasLayerKind::batch_normalization;
        else
        {
            std::string names;
            for (auto const* w : layer.weights) names += (names.empty() ? "" : ", ") + w->name;
            throw InputError("unsupported layer '" + layer.group + "' with weights " + names + " (where: " + file.path +
                             ") — 3DGAN files have only Dense, Conv3D and BatchNormalization weights");
        }
    }

    auto top_rank = [&](std::string const& top)
    {
        auto const it = std::find(file.layer_names.begin(), file.layer_names.end(), top);
        return static_cast<std::size_t>(it - file.layer_names.begin());  // size() if absent
    };
    std::stable_sort(layers.begin(), layers.end(),
                     [&](KerasLayer const& a, KerasLayer const& b)
                     {
                         auto const ra = top_rank(a.top_level), rb = top_rank(b.top_level);
                         if (ra != rb)
                             return ra < rb;
                         if (a.top_level != b.top_level)
                             return natural_less(a.top_level, b.top_level);
                         if (a.group != b.group)
                             return natural_less(a.group, b.group);
                         return false;
                     });
    return layers;
}

void import_keras_generator(io::KerasWeightsFile const& file, GeneratorImpl& generator)
{
    auto const layers = keras_layers(file);
    LayersByKind const by_kind(layers);
    Importer importer(file.path, "generator", generator.config());
    std::size_t const bns = count_batchnorms(generator);
    if (by_kind.dense.size() != 1 || by_kind.conv.size() != generator.num_blocks() || by_kind.batchnorm.size() != bns)
    {
        importer.fail("the file has " + by_kind.counts() + ", the generator needs 1, " +
                      std::to_string(generator.num_blocks()) + " and " + std::to_string(bns));
    }
    importer.dense(*by_kind.dense.front(), generator.dense());
    import_blocks(importer, by_kind, generator);
    importer.apply();
}

void import_keras_discriminator(io::KerasWeightsFile const& file, DiscriminatorImpl& discriminator)
{
    auto const layers = keras_layers(file);
    LayersByKind const by_kind(layers);
    Importer importer(file.path, "discriminator", discriminator.config());
    std::size_t const bns = count_batchnorms(discriminator);
    if (by_kind.dense.size() != 2 || by_kind.conv.size() != discriminator.num_blocks() ||
        by_kind.batchnorm.size() != bns)
    {
        importer.fail("the file has " + by_kind.counts() + ", the discriminator needs 2 (generation, auxiliary), " +
                      std::to_string(discriminator.num_blocks()) + " and " + std::to_string(bns));
    }
    // Heads by name when present (Keras Dense(name='generation'/'auxiliary')), else in order.
    KerasLayer const* generation = by_kind.dense[0];
    KerasLayer const* auxiliary = by_kind.dense[1];
    auto const named = [&](char const* name) -> KerasLayer const*
    {
        for (auto const* layer : by_kind.dense)
        {
            if (layer->name == name)
                return layer;
        }
        return nullptr;
    };
    if (named("generation") && named("auxiliary"))
    {
        generation = named("generation");
        auxiliary = named("auxiliary");
    }
    import_blocks(importer, by_kind, discriminator);
    importer.dense(*generation, discriminator.generation());
    importer.dense(*auxiliary, discriminator.auxiliary());
    importer.apply();
}
}  // namespace calo::nn
