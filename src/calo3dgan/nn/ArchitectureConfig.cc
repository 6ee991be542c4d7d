#include "ArchitectureConfig.hh"

#include <cmath>
#include <string>
#include <type_traits>

#include "LayerTable.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Format.hh"
#include "detail/ConfigEnums.hh"
#include "detail/ConvBlockFields.hh"

namespace calo::nn
{
//---------------------------------------------------------------------------//
// Blocks
//---------------------------------------------------------------------------//
ConvBlockConfig ConvBlockConfig::discriminator_default()
{
    ConvBlockConfig block;
    block.filters = 8;
    block.kernel = {5, 5, 5};
    block.initializer = Initializer::glorot_uniform;
    block.activation = Activation::leaky_relu;
    block.dropout = 0.2;
    return block;
}

bool operator==(ConvBlockConfig const& a, ConvBlockConfig const& b)
{
    for (auto const& field : detail::kConvBlockFields)
    {
        bool const same = std::visit([&](auto member) { return a.*member == b.*member; }, field.member);
        if (!same)
            return false;
    }
    return true;
}

//---------------------------------------------------------------------------//
// Equality
//---------------------------------------------------------------------------//
bool operator==(GeneratorConfig const& a, GeneratorConfig const& b)
{
    return a.reshape == b.reshape && a.reshape_channels == b.reshape_channels &&
           a.dense_initializer == b.dense_initializer && a.blocks == b.blocks;
}

bool operator==(DiscriminatorConfig const& a, DiscriminatorConfig const& b)
{
    return a.blocks == b.blocks && a.pooling == b.pooling && a.dense_initializer == b.dense_initializer;
}

bool operator==(TrainConfig const& a, TrainConfig const& b)
{
    return a.loss_weights == b.loss_weights && a.learning_rate == b.learning_rate && a.rho == b.rho &&
           a.epsilon == b.epsilon && a.batch_size == b.batch_size && a.epochs == b.epochs && a.xscale == b.xscale &&
           a.yscale == b.yscale && a.energy_min == b.energy_min && a.energy_max == b.energy_max &&
           a.angle_min_rad == b.angle_min_rad && a.angle_max_rad == b.angle_max_rad &&
           a.sampling_fraction == b.sampling_fraction;
}

bool operator==(ArchitectureConfig const& a, ArchitectureConfig const& b)
{
    return a.name == b.name && a.family == b.family && a.latent_size == b.latent_size &&
           a.image_shape == b.image_shape && a.power == b.power && a.leaky_relu_slope == b.leaky_relu_slope &&
           a.batchnorm == b.batchnorm && a.generator == b.generator && a.discriminator == b.discriminator &&
           a.train == b.train;
}

//---------------------------------------------------------------------------//
// Enum names
//---------------------------------------------------------------------------//
char const* to_string(ModelFamily value)
{
    return detail::enum_to_string(value);
}
char const* to_string(Activation value)
{
    return detail::enum_to_string(value);
}
char const* to_string(Initializer value)
{
    return detail::enum_to_string(value);
}
char const* to_string(ConvPadding value)
{
    return detail::enum_to_string(value);
}

//---------------------------------------------------------------------------//
// Validation
//---------------------------------------------------------------------------//
namespace
{
std::string number_text(double value)
{
    std::string text = std::to_string(value);
    if (value == std::floor(value) && std::abs(value) < 1e15)
        text = std::to_string(static_cast<long long>(value));
    return text;
}

//! Every numeric field of every block against its range in the field table.
void validate_blocks(std::vector<ConvBlockConfig> const& blocks, std::string const& network, unsigned role)
{
    for (std::size_t i = 0; i < blocks.size(); ++i)
    {
        for (auto const& field : detail::kConvBlockFields)
        {
            std::string const where = network + ".blocks." + std::to_string(i) + "." + field.key;
            auto const check = [&](double value, std::string const& shown)
            {
                CALO_VALIDATE(value >= field.minimum && value < field.below,
                              where + " = " + shown + " must be " + field.rule + " — fix the configuration");
            };
            std::visit(
                [&](auto member)
                {
                    auto const& value = blocks[i].*member;
                    using T = std::decay_t<decltype(value)>;
                    if constexpr (std::is_same_v<T, Int3>)
                    {
                        std::string const shown = "[" + std::to_string(value.x) + ", " + std::to_string(value.y) +
                                                  ", " + std::to_string(value.z) + "]";
                        for (int v : {value.x, value.y, value.z}) check(v, shown);
                    }
                    else if constexpr (std::is_same_v<T, int> || std::is_same_v<T, double>)
                    {
                        check(static_cast<double>(value), number_text(static_cast<double>(value)));
                    }
                },
                field.member);
            // A field the network does not have keeps its neutral default
            if (!(field.roles & role))
            {
                auto const neutral = ConvBlockConfig::generator_default();
                bool const unchanged =
                    std::visit([&](auto member) { return blocks[i].*member == neutral.*member; }, field.member);
                CALO_VALIDATE(unchanged, where + " is not used by " + network + " blocks — remove it");
            }
        }
    }
}
}  // namespace

void validate(ArchitectureConfig const& config)
{
    auto check_positive = [](double value, char const* key)
    {
        CALO_VALIDATE(std::isfinite(value) && value > 0,
                      std::string(key) + " = " + std::to_string(value) + " must be positive — fix the configuration");
    };
    CALO_VALIDATE(!config.name.empty(), "name is empty — give the configuration a name");
    CALO_VALIDATE(config.latent_size >= 1, "latent_size must be positive — fix the configuration");
    check_positive(config.power, "power");
    CALO_VALIDATE(std::isfinite(config.leaky_relu_slope) && config.leaky_relu_slope >= 0,
                  "leaky_relu_slope must be >= 0 — fix the configuration");
    CALO_VALIDATE(config.batchnorm.momentum >= 0 && config.batchnorm.momentum < 1,
                  "batchnorm.momentum = " + std::to_string(config.batchnorm.momentum) +
                      " must be in [0, 1) (Keras convention: 0.99 keeps 99% of the moving average) — fix it");
    check_positive(config.batchnorm.epsilon, "batchnorm.epsilon");

    validate_blocks(config.generator.blocks, "generator", detail::kGeneratorBlock);
    validate_blocks(config.discriminator.blocks, "discriminator", detail::kDiscriminatorBlock);
    auto const gen_layers = describe_generator(config);
    auto const& last = gen_layers.back();
    std::vector<std::int64_t> const expected = {config.image_shape.nx, config.image_shape.ny, config.image_shape.nz, 1};
    auto shape_text = [](std::vector<std::int64_t> const& s)
    {
        std::string text;
        for (auto v : s) text += (text.empty() ? "" : "x") + std::to_string(v);
        return text;
    };
    CALO_VALIDATE(last.output_shape == expected, "the generator produces " + shape_text(last.output_shape) +
                                                     " images but image_shape is " + shape_text(expected) +
                                                     " (x, y, z, channels) — fix the generator blocks or image_shape");
    describe_discriminator(config);

    auto const& train = config.train;
    std::size_t const num_outputs = config.family == ModelFamily::a ? 3 : 4;
    CALO_VALIDATE(train.loss_weights.size() == num_outputs,
                  "train.loss_weights has " + std::to_string(train.loss_weights.size()) + " entries but family " +
                      to_string(config.family) + " has " + std::to_string(num_outputs) +
                      " discriminator losses — give one weight per loss");
    for (double w : train.loss_weights)
        CALO_VALIDATE(std::isfinite(w) && w >= 0, "train.loss_weights must be >= 0 — fix the configuration");
    check_positive(train.learning_rate, "train.learning_rate");
    CALO_VALIDATE(train.rho >= 0 && train.rho < 1, "train.rho must be in [0, 1) — fix the configuration");
    check_positive(train.epsilon, "train.epsilon");
    CALO_VALIDATE(train.batch_size >= 1, "train.batch_size must be >= 1 — fix the configuration");
    CALO_VALIDATE(train.epochs >= 0, "train.epochs must be >= 0 — fix the configuration");
    check_positive(train.xscale, "train.xscale");
    check_positive(train.yscale, "train.yscale");
    CALO_VALIDATE(train.energy_min > 0 && train.energy_min <= train.energy_max,
                  "train.energy_min/energy_max must satisfy 0 < min <= max — fix the configuration");
    CALO_VALIDATE(!train.sampling_fraction.empty() && train.sampling_fraction.size() <= 9,
                  "train.sampling_fraction needs 1 to 9 polynomial coefficients — fix the configuration");
    for (int i = 0; i <= 50; ++i)
    {
        // The fakes' ECAL targets must be positive over the sampled energies.
        double const y = train.energy_min + (train.energy_max - train.energy_min) * i / 50.0;
        double const ratio = event::evaluate(train.sampling_fraction, y);
        CALO_VALIDATE(std::isfinite(ratio) && ratio > 0,
                      "train.sampling_fraction is " + format_significant(ratio, 4) + " % at y = " +
                          format_significant(y, 4) +
                          ", not positive over train.energy_range — fix the coefficients");
    }
    if (config.family == ModelFamily::b)
    {
        CALO_VALIDATE(
            train.angle_min_rad > 0 && train.angle_min_rad <= train.angle_max_rad && train.angle_max_rad < kPi,
            "train.angle_min_rad/angle_max_rad must satisfy 0 < min <= max < pi — fix the configuration");
    }
}

}  // namespace calo::nn
