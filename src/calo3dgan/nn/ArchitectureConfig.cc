#include "ArchitectureConfig.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>
#include <string_view>
#include <utility>

#include "LayerTable.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::nn
{
//---------------------------------------------------------------------------//
// Equality
//---------------------------------------------------------------------------//
bool operator==(GeneratorBlockConfig const& a, GeneratorBlockConfig const& b)
{
    return a.upsample == b.upsample && a.zero_padding == b.zero_padding && a.filters == b.filters &&
           a.kernel == b.kernel && a.padding == b.padding && a.bias == b.bias && a.initializer == b.initializer &&
           a.activation == b.activation && a.batchnorm == b.batchnorm;
}

bool operator==(GeneratorConfig const& a, GeneratorConfig const& b)
{
    return a.reshape == b.reshape && a.reshape_channels == b.reshape_channels &&
           a.dense_initializer == b.dense_initializer && a.blocks == b.blocks;
}

bool operator==(DiscriminatorBlockConfig const& a, DiscriminatorBlockConfig const& b)
{
    return a.zero_padding == b.zero_padding && a.filters == b.filters && a.kernel == b.kernel &&
           a.padding == b.padding && a.bias == b.bias && a.initializer == b.initializer &&
           a.activation == b.activation && a.batchnorm == b.batchnorm && a.dropout == b.dropout;
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
           a.angle_min_rad == b.angle_min_rad && a.angle_max_rad == b.angle_max_rad;
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
namespace
{
template <class E>
struct EnumName
{
    E value;
    char const* name;
};

constexpr EnumName<ModelFamily> kFamilyNames[] = {{ModelFamily::a, "a"}, {ModelFamily::b, "b"}};
constexpr EnumName<Activation> kActivationNames[] = {
    {Activation::linear, "linear"}, {Activation::relu, "relu"}, {Activation::leaky_relu, "leaky_relu"}};
constexpr EnumName<Initializer> kInitializerNames[] = {{Initializer::glorot_uniform, "glorot_uniform"},
                                                       {Initializer::glorot_normal, "glorot_normal"},
                                                       {Initializer::he_uniform, "he_uniform"},
                                                       {Initializer::he_normal, "he_normal"}};
constexpr EnumName<ConvPadding> kPaddingNames[] = {{ConvPadding::valid, "valid"}, {ConvPadding::same, "same"}};

template <class E, std::size_t N>
char const* enum_to_string(E value, EnumName<E> const (&names)[N])
{
    for (auto const& entry : names)
    {
        if (entry.value == value)
            return entry.name;
    }
    return "?";
}

template <class E, std::size_t N>
std::string enum_choices(EnumName<E> const (&names)[N])
{
    std::string result;
    for (auto const& entry : names) result += (result.empty() ? "\"" : ", \"") + std::string(entry.name) + "\"";
    return result;
}
}  // namespace

char const* to_string(ModelFamily value)
{
    return enum_to_string(value, kFamilyNames);
}
char const* to_string(Activation value)
{
    return enum_to_string(value, kActivationNames);
}
char const* to_string(Initializer value)
{
    return enum_to_string(value, kInitializerNames);
}
char const* to_string(ConvPadding value)
{
    return enum_to_string(value, kPaddingNames);
}

//---------------------------------------------------------------------------//
// Presets
//---------------------------------------------------------------------------//
namespace
{
GeneratorBlockConfig gen_block(Int3 upsample, Int3 zero_padding, int filters, Int3 kernel, ConvPadding padding,
                               Activation activation, bool batchnorm)
{
    GeneratorBlockConfig block;
    block.upsample = upsample;
    block.zero_padding = zero_padding;
    block.filters = filters;
    block.kernel = kernel;
    block.padding = padding;
    block.activation = activation;
    block.batchnorm = batchnorm;
    block.initializer = Initializer::he_uniform;
    block.bias = true;
    return block;
}

DiscriminatorBlockConfig disc_block(Int3 zero_padding, int filters, Int3 kernel, ConvPadding padding, bool batchnorm)
{
    DiscriminatorBlockConfig block;
    block.zero_padding = zero_padding;
    block.filters = filters;
    block.kernel = kernel;
    block.padding = padding;
    block.batchnorm = batchnorm;
    block.activation = Activation::leaky_relu;
    block.dropout = 0.2;
    block.initializer = Initializer::glorot_uniform;
    block.bias = true;
    return block;
}

}  // namespace

ArchitectureConfig preset_a()
{
    // svalleco/3Dgan Energy-gan:keras/EcalEnergyGan.py (generator(latent_size=200),
    // discriminator()); hyper-parameters from Energy-gan:keras/EcalEnergyTrain.py.
    ArchitectureConfig config;
    config.name = "3dgan-a";
    config.family = ModelFamily::a;
    config.latent_size = 200;
    config.image_shape = geo::kFixedAngleShape;
    config.power = 1.0;
    config.leaky_relu_slope = 0.3;
    config.batchnorm = {0.99, 1e-3};  // Keras BatchNormalization() defaults

    auto& gen = config.generator;
    gen.reshape = {7, 7, 8};
    gen.reshape_channels = 8;
    gen.dense_initializer = Initializer::glorot_uniform;
    auto const lrelu = Activation::leaky_relu;
    gen.blocks = {
        gen_block({1, 1, 1}, {0, 0, 0}, 64, {6, 6, 8}, ConvPadding::same, lrelu, true),
        gen_block({2, 2, 2}, {2, 2, 0}, 6, {6, 5, 8}, ConvPadding::valid, lrelu, true),
        gen_block({2, 2, 3}, {1, 0, 3}, 6, {3, 3, 8}, ConvPadding::valid, lrelu, false),
        gen_block({1, 1, 1}, {0, 0, 0}, 1, {2, 2, 2}, ConvPadding::valid, Activation::relu, false),
    };
    gen.blocks.back().bias = false;
    gen.blocks.back().initializer = Initializer::glorot_normal;

    auto& disc = config.discriminator;
    disc.blocks = {
        disc_block({0, 0, 0}, 32, {5, 5, 5}, ConvPadding::same, false),
        disc_block({2, 2, 2}, 8, {5, 5, 5}, ConvPadding::valid, true),
        disc_block({2, 2, 2}, 8, {5, 5, 5}, ConvPadding::valid, true),
        disc_block({1, 1, 1}, 8, {5, 5, 5}, ConvPadding::valid, true),
    };
    disc.pooling = {2, 2, 2};
    disc.dense_initializer = Initializer::glorot_uniform;

    auto& train = config.train;
    train.loss_weights = {2.0, 0.1, 0.1};
    train.learning_rate = 1e-3;
    train.rho = 0.9;
    train.epsilon = 1e-7;
    train.batch_size = 128;
    train.epochs = 50;
    train.xscale = 100.0;
    train.yscale = 100.0;
    train.energy_min = 0.1;
    train.energy_max = 5.0;
    train.angle_min_rad = 0.0;
    train.angle_max_rad = 0.0;
    return config;
}

ArchitectureConfig preset_b()
{
    // svalleco/3Dgan Anglegan:keras/AngleArch3dGAN.py (generator(latent_size=256),
    // discriminator(power=0.85)); hyper-parameters from
    // Anglegan:keras/AngleTrain3dGAN.py.
    ArchitectureConfig config;
    config.name = "3dgan-b";
    config.family = ModelFamily::b;
    config.latent_size = 256;
    config.image_shape = geo::kVariableAngleShape;
    config.power = 0.85;
    config.leaky_relu_slope = 0.3;
    config.batchnorm = {0.99, 1e-6};

    auto& gen = config.generator;
    gen.reshape = {9, 9, 8};
    gen.reshape_channels = 8;
    gen.dense_initializer = Initializer::glorot_uniform;
    auto const relu = Activation::relu;
    auto const valid = ConvPadding::valid;
    gen.blocks = {
        gen_block({6, 6, 6}, {0, 0, 0}, 8, {6, 6, 8}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {2, 2, 1}, 6, {4, 4, 6}, valid, relu, true),
        gen_block({1, 1, 1}, {1, 1, 0}, 6, {3, 3, 5}, valid, relu, true),
        gen_block({1, 1, 1}, {1, 1, 0}, 6, {3, 3, 3}, valid, relu, false),
        gen_block({1, 1, 1}, {0, 0, 0}, 1, {2, 2, 2}, valid, relu, false),
    };
    gen.blocks.back().initializer = Initializer::glorot_normal;

    auto& disc = config.discriminator;
    disc.blocks = {
        disc_block({0, 0, 0}, 16, {5, 6, 6}, ConvPadding::same, false),
        disc_block({0, 0, 1}, 8, {5, 6, 6}, valid, true),
        disc_block({0, 0, 1}, 8, {5, 6, 6}, valid, true),
        disc_block({0, 0, 0}, 8, {5, 6, 6}, valid, true),
    };
    disc.pooling = {2, 2, 2};
    disc.dense_initializer = Initializer::glorot_uniform;

    auto& train = config.train;
    train.loss_weights = {3.0, 0.1, 25.0, 0.1};
    train.learning_rate = 1e-3;
    train.rho = 0.9;
    train.epsilon = 1e-7;
    train.batch_size = 64;
    train.epochs = 120;
    train.xscale = 1.0;
    train.yscale = 100.0;
    // 100-200 GeV and 60-120 degrees (Anglegan:keras/misc/InferenceTime.py)
    train.energy_min = 1.0;
    train.energy_max = 2.0;
    train.angle_min_rad = kPi / 3;
    train.angle_max_rad = 2 * kPi / 3;
    return config;
}

ArchitectureConfig preset(std::string const& name)
{
    if (name == "a" || name == "3dgan-a")
        return preset_a();
    if (name == "b" || name == "3dgan-b")
        return preset_b();
    throw InputError("unknown model preset '" + name + "' — use \"a\" (3dgan-a) or \"b\" (3dgan-b)");
}

//---------------------------------------------------------------------------//
// Validation
//---------------------------------------------------------------------------//
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
    if (config.family == ModelFamily::b)
    {
        CALO_VALIDATE(
            train.angle_min_rad > 0 && train.angle_min_rad <= train.angle_max_rad && train.angle_max_rad < kPi,
            "train.angle_min_rad/angle_max_rad must satisfy 0 < min <= max < pi — fix the configuration");
    }
}

//---------------------------------------------------------------------------//
// TOML conversion
//---------------------------------------------------------------------------//
namespace
{
toml::array int3_array(Int3 v)
{
    return toml::array{v.x, v.y, v.z};
}

toml::table to_table(ArchitectureConfig const& config)
{
    toml::table root;
    root.insert_or_assign("name", config.name);
    root.insert_or_assign("family", to_string(config.family));
    root.insert_or_assign("latent_size", config.latent_size);
    root.insert_or_assign("image_shape",
                          toml::array{config.image_shape.nx, config.image_shape.ny, config.image_shape.nz});
    root.insert_or_assign("power", config.power);
    root.insert_or_assign("leaky_relu_slope", config.leaky_relu_slope);

    root.insert_or_assign("batchnorm",
                          toml::table{{"momentum", config.batchnorm.momentum}, {"epsilon", config.batchnorm.epsilon}});

    auto const& gen = config.generator;
    toml::array gen_blocks;
    for (auto const& block : gen.blocks)
    {
        gen_blocks.push_back(toml::table{
            {"upsample", int3_array(block.upsample)},
            {"zero_padding", int3_array(block.zero_padding)},
            {"filters", block.filters},
            {"kernel", int3_array(block.kernel)},
            {"padding", to_string(block.padding)},
            {"bias", block.bias},
            {"initializer", to_string(block.initializer)},
            {"activation", to_string(block.activation)},
            {"batchnorm", block.batchnorm},
        });
    }
    root.insert_or_assign(
        "generator", toml::table{
                         {"reshape", toml::array{gen.reshape.x, gen.reshape.y, gen.reshape.z, gen.reshape_channels}},
                         {"dense_initializer", to_string(gen.dense_initializer)},
                         {"blocks", std::move(gen_blocks)},
                     });

    auto const& disc = config.discriminator;
    toml::array disc_blocks;
    for (auto const& block : disc.blocks)
    {
        disc_blocks.push_back(toml::table{
            {"zero_padding", int3_array(block.zero_padding)},
            {"filters", block.filters},
            {"kernel", int3_array(block.kernel)},
            {"padding", to_string(block.padding)},
            {"bias", block.bias},
            {"initializer", to_string(block.initializer)},
            {"activation", to_string(block.activation)},
            {"batchnorm", block.batchnorm},
            {"dropout", block.dropout},
        });
    }
    root.insert_or_assign("discriminator", toml::table{
                                               {"pooling", int3_array(disc.pooling)},
                                               {"dense_initializer", to_string(disc.dense_initializer)},
                                               {"blocks", std::move(disc_blocks)},
                                           });

    auto const& train = config.train;
    toml::array weights;
    for (double w : train.loss_weights) weights.push_back(w);
    root.insert_or_assign("train", toml::table{
                                       {"loss_weights", std::move(weights)},
                                       {"learning_rate", train.learning_rate},
                                       {"rho", train.rho},
                                       {"epsilon", train.epsilon},
                                       {"batch_size", train.batch_size},
                                       {"epochs", train.epochs},
                                       {"xscale", train.xscale},
                                       {"yscale", train.yscale},
                                       {"energy_range", toml::array{train.energy_min, train.energy_max}},
                                       {"angle_range_rad", toml::array{train.angle_min_rad, train.angle_max_rad}},
                                   });
    return root;
}

//! Reads the known keys of one TOML table and rejects the others.
class TableReader
{
  public:
    TableReader(toml::table const& table, std::string prefix, std::string origin)
        : table_(table), prefix_(std::move(prefix)), origin_(std::move(origin))
    {
    }

    bool contains(std::string_view key) const { return table_.contains(key); }

    void read(std::string_view key, int& value)
    {
        if (auto const* node = find(key))
        {
            auto const v = node->value<std::int64_t>();
            if (!node->is_integer() || !v)
                throw type_error(key, "an integer", *node);
            value = static_cast<int>(*v);
        }
    }

    void read(std::string_view key, double& value)
    {
        if (auto const* node = find(key))
            value = to_double(key, *node);
    }

    void read(std::string_view key, bool& value)
    {
        if (auto const* node = find(key))
        {
            if (!node->is_boolean())
                throw type_error(key, "true or false", *node);
            value = *node->value<bool>();
        }
    }

    void read(std::string_view key, std::string& value)
    {
        if (auto const* node = find(key))
        {
            if (!node->is_string())
                throw type_error(key, "a string", *node);
            value = *node->value<std::string>();
        }
    }

    template <class E, std::size_t N>
    void read_enum(std::string_view key, E& value, EnumName<E> const (&names)[N])
    {
        std::string text;
        if (!find(key))
            return;
        read(key, text);
        for (auto const& entry : names)
        {
            if (text == entry.name)
            {
                value = entry.value;
                return;
            }
        }
        throw InputError(origin_ + ": " + where(key) + " = \"" + text + "\" is not one of " + enum_choices(names) +
                         " — use one of these");
    }

    //! A fixed-size array of integers.
    std::vector<int> read_ints(std::string_view key, std::size_t size)
    {
        auto const* node = find(key);
        if (!node)
            return {};
        auto const* array = node->as_array();
        std::string const expected = "an array of " + std::to_string(size) + " integers";
        if (!array || array->size() != size)
            throw type_error(key, expected, *node);
        std::vector<int> result;
        for (auto const& element : *array)
        {
            if (!element.is_integer())
                throw type_error(key, expected, *node);
            result.push_back(static_cast<int>(*element.value<std::int64_t>()));
        }
        return result;
    }

    void read(std::string_view key, Int3& value)
    {
        auto const v = read_ints(key, 3);
        if (!v.empty())
            value = {v[0], v[1], v[2]};
    }

    //! An array of numbers; `size` 0 means any length.
    std::vector<double> read_doubles(std::string_view key, std::size_t size)
    {
        auto const* node = find(key);
        if (!node)
            return {};
        auto const* array = node->as_array();
        std::string const expected =
            size > 0 ? "an array of " + std::to_string(size) + " numbers" : std::string("an array of numbers");
        if (!array || (size > 0 && array->size() != size) || array->empty())
            throw type_error(key, expected, *node);
        std::vector<double> result;
        for (auto const& element : *array)
        {
            if (!element.is_number())
                throw type_error(key, expected, *node);
            result.push_back(to_double(key, element));
        }
        return result;
    }

    toml::table const* subtable(std::string_view key)
    {
        auto const* node = find(key);
        if (node && !node->is_table())
            throw type_error(key, "a table", *node);
        return node ? node->as_table() : nullptr;
    }

    toml::array const* table_array(std::string_view key)
    {
        auto const* node = find(key);
        if (node && !node->is_array_of_tables())
            throw type_error(key, "an array of tables ([[" + where(key) + "]])", *node);
        return node ? node->as_array() : nullptr;
    }

    std::string where(std::string_view key) const
    {
        return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
    }

    //! Throw if the table has keys that were never asked for.
    void finish() const
    {
        for (auto const& [key, node] : table_)
        {
            if (std::find(known_.begin(), known_.end(), key.str()) == known_.end())
            {
                std::string valid;
                for (auto const& k : known_) valid += (valid.empty() ? "" : ", ") + k;
                throw InputError(origin_ + ": unknown key '" + where(key.str()) + "' (valid keys " +
                                 (prefix_.empty() ? std::string("at the top level") : "in [" + prefix_ + "]") + ": " +
                                 valid + ") — fix the spelling or remove it");
            }
        }
    }

  private:
    toml::node const* find(std::string_view key)
    {
        if (std::find(known_.begin(), known_.end(), key) == known_.end())
            known_.emplace_back(key);
        return table_.get(key);
    }

    double to_double(std::string_view key, toml::node const& node) const
    {
        if (node.is_floating_point())
            return *node.value<double>();
        if (node.is_integer())
            return static_cast<double>(*node.value<std::int64_t>());
        throw type_error(key, "a number", node);
    }

    InputError type_error(std::string_view key, std::string const& expected, toml::node const& node) const
    {
        std::ostringstream got;
        got << node.type();
        return InputError(origin_ + ": " + where(key) + " must be " + expected + " (got a value of type " + got.str() +
                          ") — fix the value");
    }

    toml::table const& table_;
    std::string prefix_;
    std::string origin_;
    std::vector<std::string> known_;
};

void read_generator(toml::table const& table, GeneratorConfig& gen, std::string const& origin)
{
    TableReader reader(table, "generator", origin);
    auto const reshape = reader.read_ints("reshape", 4);
    if (!reshape.empty())
    {
        gen.reshape = {reshape[0], reshape[1], reshape[2]};
        gen.reshape_channels = reshape[3];
    }
    reader.read_enum("dense_initializer", gen.dense_initializer, kInitializerNames);
    if (auto const* blocks = reader.table_array("blocks"))
    {
        gen.blocks.clear();
        for (std::size_t i = 0; i < blocks->size(); ++i)
        {
            GeneratorBlockConfig block;
            TableReader r(*blocks->at(i).as_table(), "generator.blocks." + std::to_string(i), origin);
            r.read("upsample", block.upsample);
            r.read("zero_padding", block.zero_padding);
            r.read("filters", block.filters);
            r.read("kernel", block.kernel);
            r.read_enum("padding", block.padding, kPaddingNames);
            r.read("bias", block.bias);
            r.read_enum("initializer", block.initializer, kInitializerNames);
            r.read_enum("activation", block.activation, kActivationNames);
            r.read("batchnorm", block.batchnorm);
            r.finish();
            gen.blocks.push_back(block);
        }
    }
    reader.finish();
}

void read_discriminator(toml::table const& table, DiscriminatorConfig& disc, std::string const& origin)
{
    TableReader reader(table, "discriminator", origin);
    reader.read("pooling", disc.pooling);
    reader.read_enum("dense_initializer", disc.dense_initializer, kInitializerNames);
    if (auto const* blocks = reader.table_array("blocks"))
    {
        disc.blocks.clear();
        for (std::size_t i = 0; i < blocks->size(); ++i)
        {
            DiscriminatorBlockConfig block;
            TableReader r(*blocks->at(i).as_table(), "discriminator.blocks." + std::to_string(i), origin);
            r.read("zero_padding", block.zero_padding);
            r.read("filters", block.filters);
            r.read("kernel", block.kernel);
            r.read_enum("padding", block.padding, kPaddingNames);
            r.read("bias", block.bias);
            r.read_enum("initializer", block.initializer, kInitializerNames);
            r.read_enum("activation", block.activation, kActivationNames);
            r.read("batchnorm", block.batchnorm);
            r.read("dropout", block.dropout);
            r.finish();
            disc.blocks.push_back(block);
        }
    }
    reader.finish();
}

void read_train(toml::table const& table, TrainConfig& train, std::string const& origin)
{
    TableReader reader(table, "train", origin);
    auto const weights = reader.read_doubles("loss_weights", 0);
    if (!weights.empty())
        train.loss_weights = weights;
    reader.read("learning_rate", train.learning_rate);
    reader.read("rho", train.rho);
    reader.read("epsilon", train.epsilon);
    reader.read("batch_size", train.batch_size);
    reader.read("epochs", train.epochs);
    reader.read("xscale", train.xscale);
    reader.read("yscale", train.yscale);
    auto const energy = reader.read_doubles("energy_range", 2);
    if (!energy.empty())
    {
        train.energy_min = energy[0];
        train.energy_max = energy[1];
    }
    auto const angle = reader.read_doubles("angle_range_rad", 2);
    if (!angle.empty())
    {
        train.angle_min_rad = angle[0];
        train.angle_max_rad = angle[1];
    }
    reader.finish();
}

ArchitectureConfig from_table(toml::table const& root, std::string const& origin)
{
    TableReader reader(root, "", origin);
    CALO_VALIDATE(reader.contains("family"),
                  origin + ": the key 'family' is missing — add family = \"a\" or family = \"b\"");
    ModelFamily family = ModelFamily::a;
    reader.read_enum("family", family, kFamilyNames);
    ArchitectureConfig config = family == ModelFamily::a ? preset_a() : preset_b();

    reader.read("name", config.name);
    reader.read("latent_size", config.latent_size);
    auto const image = reader.read_ints("image_shape", 3);
    if (!image.empty())
        config.image_shape = {image[0], image[1], image[2]};
    reader.read("power", config.power);
    reader.read("leaky_relu_slope", config.leaky_relu_slope);
    if (auto const* table = reader.subtable("batchnorm"))
    {
        TableReader r(*table, "batchnorm", origin);
        r.read("momentum", config.batchnorm.momentum);
        r.read("epsilon", config.batchnorm.epsilon);
        r.finish();
    }
    if (auto const* table = reader.subtable("generator"))
        read_generator(*table, config.generator, origin);
    if (auto const* table = reader.subtable("discriminator"))
        read_discriminator(*table, config.discriminator, origin);
    if (auto const* table = reader.subtable("train"))
        read_train(*table, config.train, origin);
    reader.finish();

    try
    {
        validate(config);
    }
    catch (InputError const& e)
    {
        throw InputError(origin + ": " + e.what());
    }
    return config;
}

std::string describe_parse_error(toml::parse_error const& e)
{
    std::ostringstream os;
    os << e.description() << " (line " << e.source().begin.line << ", column " << e.source().begin.column << ")";
    return os.str();
}
}  // namespace

ArchitectureConfig parse_config(std::string const& text, std::string const& origin)
{
    toml::table table;
    try
    {
        table = toml::parse(text, std::string_view(origin));
    }
    catch (toml::parse_error const& e)
    {
        throw InputError(origin + ": invalid TOML: " + describe_parse_error(e) + " — fix the syntax");
    }
    return from_table(table, origin);
}

ArchitectureConfig load_config(std::string const& path)
{
    toml::table table;
    try
    {
        table = toml::parse_file(path);
    }
    catch (toml::parse_error const& e)
    {
        throw InputError(path + ": cannot read the model configuration: " + describe_parse_error(e) +
                         " — check the path and the TOML syntax");
    }
    return from_table(table, path);
}

namespace
{
//! Shortest text that reads back as the same double, always TOML float syntax.
std::string format_double(double value)
{
    char buffer[64];
    auto const result = std::to_chars(buffer, buffer + sizeof(buffer), value);
    std::string text(buffer, result.ptr);
    if (text.find_first_of(".eEn") == std::string::npos)  // "100" -> "100.0"; nan/inf excluded
        text += ".0";
    return text;
}

std::string format_string(std::string const& value)
{
    std::string text = "\"";
    for (char c : value)
    {
        if (c == '"' || c == '\\')
            text += '\\';
        text += c;
    }
    return text + "\"";
}

std::string format_value(toml::node const& node)
{
    if (auto const* v = node.as_string())
        return format_string(v->get());
    if (auto const* v = node.as_integer())
        return std::to_string(v->get());
    if (auto const* v = node.as_floating_point())
        return format_double(v->get());
    if (auto const* v = node.as_boolean())
        return v->get() ? "true" : "false";
    auto const* array = node.as_array();
    CALO_ASSERT(array);
    std::string text = "[";
    for (std::size_t i = 0; i < array->size(); ++i) text += (i ? ", " : "") + format_value(*array->get(i));
    return text + "]";
}

//! Plain values first (name and family leading), then tables, then arrays
//! of tables, each as a [section] / [[section]] like the preset files.
void emit_table(std::ostream& os, toml::table const& table, std::string const& path)
{
    std::vector<std::string> keys;
    for (auto const& [key, node] : table) keys.emplace_back(key.str());
    std::stable_partition(keys.begin(), keys.end(), [](std::string const& k) { return k == "name" || k == "family"; });
    std::stable_partition(keys.begin(), keys.end(), [](std::string const& k) { return k == "name"; });
    for (auto const& key : keys)
    {
        auto const& node = *table.get(key);
        if (!node.is_table() && !node.is_array_of_tables())
            os << key << " = " << format_value(node) << '\n';
    }
    for (auto const& key : keys)
    {
        auto const& node = *table.get(key);
        std::string const sub = path.empty() ? key : path + "." + key;
        if (auto const* t = node.as_table())
        {
            os << "\n[" << sub << "]\n";
            emit_table(os, *t, sub);
        }
    }
    for (auto const& key : keys)
    {
        auto const& node = *table.get(key);
        std::string const sub = path.empty() ? key : path + "." + key;
        if (node.is_array_of_tables())
        {
            for (auto const& element : *node.as_array())
            {
                os << "\n[[" << sub << "]]\n";
                emit_table(os, *element.as_table(), sub);
            }
        }
    }
}
}  // namespace

std::string to_toml_string(ArchitectureConfig const& config)
{
    std::ostringstream os;
    os << "# calo3dgan model configuration '" << config.name << "' (resolved)\n";
    emit_table(os, to_table(config), "");
    return os.str();
}

//---------------------------------------------------------------------------//
// Overrides
//---------------------------------------------------------------------------//
namespace
{
std::string trim(std::string_view text)
{
    auto const begin = text.find_first_not_of(" \t");
    if (begin == std::string_view::npos)
        return {};
    auto const end = text.find_last_not_of(" \t");
    return std::string(text.substr(begin, end - begin + 1));
}

std::string list_keys(toml::table const& table)
{
    std::string result;
    for (auto const& [key, node] : table) result += (result.empty() ? "" : ", ") + std::string(key.str());
    return result;
}

//! Parse `text` as a TOML value compatible with `current`; owns the result.
toml::table parse_value(std::string const& text, toml::node const& current, std::string const& origin)
{
    toml::table parsed;
    try
    {
        parsed = toml::parse("value = " + text);
    }
    catch (toml::parse_error const&)
    {
        // A bare word (family=b, padding=same) is taken as a string
        CALO_VALIDATE(current.is_string(), origin + ": cannot parse the value '" + text +
                                               "' — give a TOML value, e.g. 64, 1e-6, true, [3, 0.1, 25, 0.1]");
        parsed.insert_or_assign("value", text);
    }
    auto const& value = *parsed.get("value");
    if (current.is_floating_point() && value.is_integer())
        parsed.insert_or_assign("value", static_cast<double>(*value.value<std::int64_t>()));
    else if (current.is_table())
        throw InputError(origin + ": the key is a table — set its keys one by one (e.g. key.sub=value)");
    else if (value.type() != current.type())
    {
        std::ostringstream expected, got;
        expected << current.type();
        got << value.type();
        throw InputError(origin + ": the value must be of type " + expected.str() + " (got " + got.str() +
                         ") — fix the value");
    }
    return parsed;
}
}  // namespace

void apply_override(ArchitectureConfig& config, std::string const& assignment)
{
    std::string const origin = "--set " + assignment;
    auto const equals = assignment.find('=');
    CALO_VALIDATE(equals != std::string::npos && !trim(assignment.substr(0, equals)).empty(),
                  origin + ": not of the form key=value — e.g. --set train.batch_size=64");
    std::string const key = trim(std::string_view(assignment).substr(0, equals));
    std::string const text = trim(std::string_view(assignment).substr(equals + 1));

    std::vector<std::string> parts;
    std::size_t start = 0;
    while (true)
    {
        auto const dot = key.find('.', start);
        parts.push_back(key.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
        if (dot == std::string::npos)
            break;
        start = dot + 1;
    }

    toml::table root = to_table(config);
    toml::node* node = &root;
    std::string path;
    for (std::size_t i = 0; i < parts.size(); ++i)
    {
        auto const& part = parts[i];
        std::string const parent = path.empty() ? std::string("the top level") : "'" + path + "'";
        path += (path.empty() ? "" : ".") + part;
        bool const is_last = i + 1 == parts.size();
        if (auto* table = node->as_table())
        {
            toml::node* child = table->get(part);
            CALO_VALIDATE(child, origin + ": unknown configuration key '" + path + "' (valid keys at " + parent + ": " +
                                     list_keys(*table) + ") — fix the key");
            if (is_last)
            {
                auto parsed = parse_value(text, *child, origin);
                parsed.get("value")->visit([&](auto& value) { table->insert_or_assign(part, value); });
            }
            node = child;
        }
        else if (auto* array = node->as_array())
        {
            std::size_t index = 0;
            bool const numeric = !part.empty() && part.find_first_not_of("0123456789") == std::string::npos;
            if (numeric)
                index = std::stoul(part);
            CALO_VALIDATE(numeric && index < array->size(),
                          origin + ": '" + path + "' is not an element of " + parent + " (valid indices 0 to " +
                              std::to_string(array->size()) + " - 1) — fix the index");
            toml::node* child = array->get(index);
            if (is_last)
            {
                auto parsed = parse_value(text, *child, origin);
                parsed.get("value")->visit(
                    [&](auto& value) { array->replace(array->cbegin() + static_cast<std::ptrdiff_t>(index), value); });
                child = array->get(index);
            }
            node = child;
        }
        else
        {
            throw InputError(origin + ": " + parent + " is a value, not a table — remove '." + part + "'");
        }
    }
    config = from_table(root, origin);
}
}  // namespace calo::nn
