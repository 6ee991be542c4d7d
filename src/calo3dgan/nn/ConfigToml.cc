#include "ConfigToml.hh"

#include <toml++/toml.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cstdint>
#include <sstream>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "Presets.hh"
#include "calo3dgan/base/Error.hh"
#include "detail/ConfigEnums.hh"
#include "detail/ConvBlockFields.hh"

namespace calo::nn
{
namespace
{
toml::array int3_array(Int3 v)
{
    return toml::array{v.x, v.y, v.z};
}

//! One block's keys: the fields of its network, in table order.
toml::table block_table(ConvBlockConfig const& block, unsigned role)
{
    toml::table table;
    for (auto const& field : detail::kConvBlockFields)
    {
        if (!(field.roles & role))
            continue;
        std::visit(
            [&](auto member)
            {
                auto const& value = block.*member;
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, Int3>)
                    table.insert_or_assign(field.key, int3_array(value));
                else if constexpr (std::is_enum_v<T>)
                    table.insert_or_assign(field.key, detail::enum_to_string(value));
                else
                    table.insert_or_assign(field.key, value);
            },
            field.member);
    }
    return table;
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
    for (auto const& block : gen.blocks) gen_blocks.push_back(block_table(block, detail::kGeneratorBlock));
    root.insert_or_assign(
        "generator", toml::table{
                         {"reshape", toml::array{gen.reshape.x, gen.reshape.y, gen.reshape.z, gen.reshape_channels}},
                         {"dense_initializer", to_string(gen.dense_initializer)},
                         {"blocks", std::move(gen_blocks)},
                     });

    auto const& disc = config.discriminator;
    toml::array disc_blocks;
    for (auto const& block : disc.blocks) disc_blocks.push_back(block_table(block, detail::kDiscriminatorBlock));
    root.insert_or_assign("discriminator", toml::table{
                                               {"pooling", int3_array(disc.pooling)},
                                               {"dense_initializer", to_string(disc.dense_initializer)},
                                               {"blocks", std::move(disc_blocks)},
                                           });

    auto const& train = config.train;
    toml::array weights;
    for (double w : train.loss_weights) weights.push_back(w);
    toml::array sampling_fraction;
    for (double c : train.sampling_fraction) sampling_fraction.push_back(c);
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
    // Only model A's fakes take their ECAL target from the sampling fraction.
    if (config.family == ModelFamily::a)
        root["train"].as_table()->insert_or_assign("sampling_fraction", std::move(sampling_fraction));
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

    template <class E, std::enable_if_t<std::is_enum_v<E>, int> = 0>
    void read(std::string_view key, E& value)
    {
        std::string text;
        if (!find(key))
            return;
        read(key, text);
        for (auto const& entry : detail::enum_names(value))
        {
            if (text == entry.name)
            {
                value = entry.value;
                return;
            }
        }
        throw InputError(origin_ + ": " + where(key) + " = \"" + text + "\" is not one of " +
                         detail::enum_choices<E>() + " — use one of these");
    }

    //! The fields of one block that its network has.
    void read_block(ConvBlockConfig& block, unsigned role)
    {
        for (auto const& field : detail::kConvBlockFields)
        {
            if (field.roles & role)
                std::visit([&](auto member) { read(field.key, block.*member); }, field.member);
        }
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

//! An array of blocks ([[network.blocks]]) replaces the preset's as a whole;
//! keys missing from a block take the network's block defaults.
void read_blocks(TableReader& reader, std::string const& network, ConvBlockConfig const& defaults, unsigned role,
                 std::vector<ConvBlockConfig>& blocks, std::string const& origin)
{
    auto const* array = reader.table_array("blocks");
    if (!array)
        return;
    blocks.clear();
    for (std::size_t i = 0; i < array->size(); ++i)
    {
        auto block = defaults;
        TableReader r(*array->at(i).as_table(), network + ".blocks." + std::to_string(i), origin);
        r.read_block(block, role);
        r.finish();
        blocks.push_back(block);
    }
}

void read_generator(toml::table const& table, GeneratorConfig& gen, std::string const& origin)
{
    TableReader reader(table, "generator", origin);
    auto const reshape = reader.read_ints("reshape", 4);
    if (!reshape.empty())
    {
        gen.reshape = {reshape[0], reshape[1], reshape[2]};
        gen.reshape_channels = reshape[3];
    }
    reader.read("dense_initializer", gen.dense_initializer);
    read_blocks(reader, "generator", ConvBlockConfig::generator_default(), detail::kGeneratorBlock, gen.blocks,
                origin);
    reader.finish();
}

void read_discriminator(toml::table const& table, DiscriminatorConfig& disc, std::string const& origin)
{
    TableReader reader(table, "discriminator", origin);
    reader.read("pooling", disc.pooling);
    reader.read("dense_initializer", disc.dense_initializer);
    read_blocks(reader, "discriminator", ConvBlockConfig::discriminator_default(), detail::kDiscriminatorBlock,
                disc.blocks, origin);
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
    auto const sampling_fraction = reader.read_doubles("sampling_fraction", 0);
    if (!sampling_fraction.empty())
        train.sampling_fraction = sampling_fraction;
    reader.finish();
}

ArchitectureConfig from_table(toml::table const& root, std::string const& origin)
{
    TableReader reader(root, "", origin);
    CALO_VALIDATE(reader.contains("family"),
                  origin + ": the key 'family' is missing — add family = \"a\" or family = \"b\"");
    ModelFamily family = ModelFamily::a;
    reader.read("family", family);
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

/*!
 * toml++ 3.3 reaches __builtin_unreachable (undefined behaviour) on some
 * non-ASCII characters where it expects whitespace (found by
 * fuzz/ConfigFuzzer.cc). TOML allows non-ASCII characters only inside
 * strings and comments: refuse them elsewhere before toml++ sees the text.
 */
void check_non_ascii_placement(std::string_view text, std::string const& origin)
{
    enum class State
    {
        code,
        comment,
        basic,
        literal,
        multiline_basic,
        multiline_literal
    };
    State state = State::code;
    std::size_t line = 1;
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        char const c = text[i];
        auto const starts = [&](std::string_view s) { return text.substr(i, s.size()) == s; };
        if (c == '\n')
        {
            ++line;
            if (state == State::comment || state == State::basic || state == State::literal)
                state = State::code;  // single-line forms end here (toml++ reports an open string)
            continue;
        }
        switch (state)
        {
            case State::code:
                CALO_VALIDATE(static_cast<unsigned char>(c) < 0x80,
                              origin + ": line " + std::to_string(line) +
                                  ": a non-ASCII character outside a quoted string or comment — TOML allows them "
                                  "only there");
                if (c == '#')
                    state = State::comment;
                else if (starts("\"\"\""))
                    state = State::multiline_basic, i += 2;
                else if (starts("'''"))
                    state = State::multiline_literal, i += 2;
                else if (c == '"')
                    state = State::basic;
                else if (c == '\'')
                    state = State::literal;
                break;
            case State::comment:
                break;
            case State::basic:
                if (c == '\\')
                    ++i;
                else if (c == '"')
                    state = State::code;
                break;
            case State::literal:
                if (c == '\'')
                    state = State::code;
                break;
            case State::multiline_basic:
                if (c == '\\')
                    ++i;
                else if (starts("\"\"\""))
                    state = State::code, i += 2;
                break;
            case State::multiline_literal:
                if (starts("'''"))
                    state = State::code, i += 2;
                break;
        }
    }
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
    check_non_ascii_placement(text, origin);
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
    std::ifstream in(path, std::ios::binary);
    std::ostringstream content;
    CALO_VALIDATE(in && !std::filesystem::is_directory(path),
                  path + ": cannot read the model configuration — check the path");
    if (in.peek() != std::ifstream::traits_type::eof())
        content << in.rdbuf();
    return parse_config(content.str(), path);
}

std::string to_toml_string(ArchitectureConfig const& config)
{
    // toml++'s formatter, built with std::to_chars for floats (see
    // cmake/CaloDependencies.cmake): the shortest text that reads back as the
    // same double, so the written configuration parses to an equal one.
    std::ostringstream os;
    os << "# calo3dgan model configuration '" << config.name << "' (resolved)\n"
       << toml::toml_formatter(to_table(config)) << '\n';
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
    check_non_ascii_placement(text, origin);
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

    // Walk the dotted key through the resolved configuration with toml++'s
    // path API: a part names a key of a table or, when numeric, an element
    // of an array.
    toml::table root = to_table(config);
    std::string path;  // in toml++'s syntax: generator.blocks[1].filters
    std::string shown;
    std::size_t start = 0;
    while (true)
    {
        auto const dot = key.find('.', start);
        std::string const part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        bool const is_last = dot == std::string::npos;
        std::string const parent = shown.empty() ? std::string("the top level") : "'" + shown + "'";
        shown += (shown.empty() ? "" : ".") + part;
        toml::node& container = path.empty() ? root : *root.at_path(path).node();
        std::size_t index = 0;
        if (auto* table = container.as_table())
        {
            CALO_VALIDATE(table->contains(part), origin + ": unknown configuration key '" + shown +
                                                     "' (valid keys at " + parent + ": " + list_keys(*table) +
                                                     ") — fix the key");
            path += (path.empty() ? "" : ".") + part;
        }
        else if (auto* array = container.as_array())
        {
            bool const numeric = !part.empty() && part.size() < 9 &&
                                 part.find_first_not_of("0123456789") == std::string::npos;
            index = numeric ? std::stoul(part) : 0;
            CALO_VALIDATE(numeric && index < array->size(),
                          origin + ": '" + shown + "' is not an element of " + parent + " (valid indices 0 to " +
                              std::to_string(array->size()) + " - 1) — fix the index");
            path += "[" + part + "]";
        }
        else
        {
            throw InputError(origin + ": " + parent + " is a value, not a table — remove '." + part + "'");
        }
        if (is_last)
        {
            auto parsed = parse_value(text, *root.at_path(path).node(), origin);
            auto& value = *parsed.get("value");
            if (auto* table = container.as_table())
                value.visit([&](auto& v) { table->insert_or_assign(part, v); });
            else
            {
                auto& array = *container.as_array();
                value.visit([&](auto& v)
                            { array.replace(array.cbegin() + static_cast<std::ptrdiff_t>(index), v); });
            }
            break;
        }
        start = dot + 1;
    }
    config = from_table(root, origin);
}
}  // namespace calo::nn
