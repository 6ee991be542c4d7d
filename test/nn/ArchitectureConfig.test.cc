// Architecture configuration: presets, TOML round trip, overrides, layer
// tables (shapes and parameter counts from the 3DGAN reference).
#include "calo3dgan/nn/ArchitectureConfig.hh"

#include <gtest/gtest.h>
#include <toml++/toml.h>

#include <type_traits>
#include <variant>

#include "ErrorMessage.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/LayerTable.hh"
#include "calo3dgan/nn/Presets.hh"
#include "calo3dgan/nn/detail/ConvBlockFields.hh"

namespace calo::nn
{
namespace
{
std::string preset_path(std::string const& name)
{
    return test::source_dir() + "/configs/" + name + ".toml";
}

LayerInfo const& find_layer(std::vector<LayerInfo> const& layers, std::string const& name)
{
    for (auto const& layer : layers)
    {
        if (layer.name == name)
            return layer;
    }
    throw std::runtime_error("no layer " + name);
}

using Shape = std::vector<std::int64_t>;
}  // namespace

//---------------------------------------------------------------------------//
TEST(ArchitectureConfig, presets_validate)
{
    EXPECT_NO_THROW(validate(preset_a()));
    EXPECT_NO_THROW(validate(preset_b()));
    EXPECT_EQ(preset("a"), preset_a());
    EXPECT_EQ(preset("3dgan-b"), preset_b());
    EXPECT_NE(preset_a(), preset_b());
    EXPECT_NE(test::error_message([] { preset("c"); }).find("unknown model preset 'c'"), std::string::npos);
}

TEST(ArchitectureConfig, preset_values)
{
    auto const a = preset_a();
    EXPECT_EQ(a.family, ModelFamily::a);
    EXPECT_EQ(a.latent_size, 200);
    EXPECT_EQ(a.noise_size(), 200);
    EXPECT_EQ(a.num_conditions(), 1);
    EXPECT_EQ(a.generator.dense_units(), 3136);
    EXPECT_DOUBLE_EQ(a.leaky_relu_slope, 0.3);
    EXPECT_DOUBLE_EQ(a.batchnorm.momentum, 0.99);
    EXPECT_NEAR(a.batchnorm.torch_momentum(), 0.01, 1e-15);
    EXPECT_DOUBLE_EQ(a.batchnorm.epsilon, 1e-3);
    EXPECT_EQ(a.train.loss_weights, (std::vector<double>{2, 0.1, 0.1}));
    EXPECT_EQ(a.train.batch_size, 128);
    EXPECT_DOUBLE_EQ(a.train.xscale, 100);
    EXPECT_DOUBLE_EQ(a.train.energy_min, 0.1);
    EXPECT_DOUBLE_EQ(a.train.energy_max, 5.0);
    EXPECT_DOUBLE_EQ(a.train.rho, 0.9);
    EXPECT_DOUBLE_EQ(a.train.epsilon, 1e-7);

    auto const b = preset_b();
    EXPECT_EQ(b.family, ModelFamily::b);
    EXPECT_EQ(b.latent_size, 256);
    EXPECT_EQ(b.noise_size(), 254);
    EXPECT_EQ(b.num_conditions(), 2);
    EXPECT_EQ(b.generator.dense_units(), 5184);
    EXPECT_DOUBLE_EQ(b.power, 0.85);
    EXPECT_DOUBLE_EQ(b.batchnorm.epsilon, 1e-6);
    EXPECT_EQ(b.train.loss_weights, (std::vector<double>{3, 0.1, 25, 0.1}));
    EXPECT_EQ(b.train.batch_size, 64);
    EXPECT_DOUBLE_EQ(b.train.xscale, 1);
    EXPECT_TRUE(b.has_angle_head());
    EXPECT_FALSE(a.has_angle_head());
}

//---------------------------------------------------------------------------//
// Layer tables: expected values from the layer lists of the Keras code
// (EcalEnergyGan.py, AngleArch3dGAN.py), counted by hand.
TEST(LayerTable, generator_a)
{
    auto const layers = describe_generator(preset_a());
    auto const count = count_parameters(layers);
    EXPECT_EQ(count.trainable, 872808);
    EXPECT_EQ(count.non_trainable, 140);
    EXPECT_EQ(find_layer(layers, "dense").parameters.trainable, 630336);
    EXPECT_EQ(find_layer(layers, "conv0").parameters.trainable, 147520);
    EXPECT_EQ(find_layer(layers, "conv1").parameters.trainable, 92166);
    EXPECT_EQ(find_layer(layers, "conv2").parameters.trainable, 2598);
    EXPECT_EQ(find_layer(layers, "conv3").parameters.trainable, 48);
    EXPECT_EQ(find_layer(layers, "reshape").output_shape, (Shape{7, 7, 8, 8}));
    EXPECT_EQ(find_layer(layers, "conv0").output_shape, (Shape{7, 7, 8, 64}));
    EXPECT_EQ(find_layer(layers, "upsample1").output_shape, (Shape{14, 14, 16, 64}));
    EXPECT_EQ(find_layer(layers, "zero_padding1").output_shape, (Shape{18, 18, 16, 64}));
    EXPECT_EQ(find_layer(layers, "conv1").output_shape, (Shape{13, 14, 9, 6}));
    EXPECT_EQ(find_layer(layers, "upsample2").output_shape, (Shape{26, 28, 27, 6}));
    EXPECT_EQ(find_layer(layers, "zero_padding2").output_shape, (Shape{28, 28, 33, 6}));
    EXPECT_EQ(find_layer(layers, "conv2").output_shape, (Shape{26, 26, 26, 6}));
    EXPECT_EQ(layers.back().output_shape, (Shape{25, 25, 25, 1}));
    EXPECT_EQ(layers.back().type, "ReLU");
}

TEST(LayerTable, generator_b)
{
    auto const layers = describe_generator(preset_b());
    auto const count = count_parameters(layers);
    EXPECT_EQ(count.trainable, 1364983);
    EXPECT_EQ(count.non_trainable, 64);
    EXPECT_EQ(find_layer(layers, "dense").parameters.trainable, 1332288);
    EXPECT_EQ(find_layer(layers, "upsample0").output_shape, (Shape{54, 54, 48, 8}));
    EXPECT_EQ(find_layer(layers, "conv0").output_shape, (Shape{49, 49, 41, 8}));
    EXPECT_EQ(find_layer(layers, "conv1").output_shape, (Shape{50, 50, 38, 6}));
    EXPECT_EQ(find_layer(layers, "conv2").output_shape, (Shape{51, 51, 35, 6}));
    EXPECT_EQ(find_layer(layers, "conv3").output_shape, (Shape{52, 52, 32, 6}));
    EXPECT_EQ(find_layer(layers, "conv4").output_shape, (Shape{52, 52, 28, 6}));
    EXPECT_EQ(find_layer(layers, "conv5").output_shape, (Shape{52, 52, 26, 6}));
    EXPECT_EQ(layers.back().output_shape, (Shape{51, 51, 25, 1}));
}

TEST(LayerTable, discriminator_a)
{
    auto const layers = describe_discriminator(preset_a());
    auto const count = count_parameters(layers);
    EXPECT_EQ(count.trainable, 73402);
    EXPECT_EQ(count.non_trainable, 48);
    EXPECT_EQ(find_layer(layers, "conv0").parameters.trainable, 4032);
    EXPECT_EQ(find_layer(layers, "conv1").parameters.trainable, 32008);
    EXPECT_EQ(find_layer(layers, "conv3").output_shape, (Shape{23, 23, 23, 8}));
    EXPECT_EQ(find_layer(layers, "flatten").output_shape, (Shape{10648}));
    EXPECT_EQ(find_layer(layers, "generation").parameters.trainable, 10649);
    EXPECT_THROW(find_layer(layers, "angle"), std::runtime_error);
}

TEST(LayerTable, discriminator_b)
{
    auto const layers = describe_discriminator(preset_b());
    auto const count = count_parameters(layers);
    EXPECT_EQ(count.trainable, 87354);
    EXPECT_EQ(count.non_trainable, 48);
    EXPECT_EQ(find_layer(layers, "conv0").output_shape, (Shape{51, 51, 25, 16}));
    EXPECT_EQ(find_layer(layers, "conv1").output_shape, (Shape{47, 46, 22, 8}));
    EXPECT_EQ(find_layer(layers, "conv2").output_shape, (Shape{43, 41, 19, 8}));
    EXPECT_EQ(find_layer(layers, "conv3").output_shape, (Shape{39, 36, 14, 8}));
    EXPECT_EQ(find_layer(layers, "flatten").output_shape, (Shape{19152}));
    EXPECT_EQ(find_layer(layers, "angle").output_shape, (Shape{1}));
}

TEST(LayerTable, format)
{
    EXPECT_EQ(format_count(872808), "872,808");
    EXPECT_EQ(format_count(48), "48");
    EXPECT_EQ(format_count(1000), "1,000");
    auto const text = format_layer_table("Generator", describe_generator(preset_a()));
    EXPECT_NE(text.find("Trainable params: 872,808"), std::string::npos) << text;
    EXPECT_NE(text.find("Non-trainable params: 140"), std::string::npos) << text;
    EXPECT_NE(text.find("(25, 25, 25, 1)"), std::string::npos) << text;
}

//---------------------------------------------------------------------------//
TEST(ArchitectureConfig, toml_round_trip)
{
    for (auto const& config : {preset_a(), preset_b()})
    {
        auto const text = to_toml_string(config);
        EXPECT_EQ(parse_config(text), config) << text;
    }
    // A modified configuration survives as well
    auto config = preset_b();
    config.name = "custom";
    config.batchnorm.epsilon = 1.2345678901234567e-5;
    config.generator.blocks[2].filters = 11;
    config.discriminator.blocks[0].dropout = 0.125;
    config.train.loss_weights = {1, 2, 3, 0.3333333333333333};
    EXPECT_EQ(parse_config(to_toml_string(config)), config);
}

// The field table drives equality and TOML: a field missing from it would
// compare equal when changed and be lost in a written configuration.
TEST(ArchitectureConfig, every_block_field_compared_and_written)
{
    auto const base = preset_a();
    for (auto const& field : detail::kConvBlockFields)
    {
        bool const in_generator = field.roles & detail::kGeneratorBlock;
        auto changed = base;
        auto& block = in_generator ? changed.generator.blocks[1] : changed.discriminator.blocks[1];
        std::visit(
            [&](auto member)
            {
                auto& value = block.*member;
                using T = std::decay_t<decltype(value)>;
                if constexpr (std::is_same_v<T, Int3>)
                    value.z += 1;
                else if constexpr (std::is_same_v<T, bool>)
                    value = !value;
                else if constexpr (std::is_same_v<T, double>)
                    value = value / 2 + 0.0625;
                else if constexpr (std::is_same_v<T, int>)
                    value += 1;
                else
                    value = static_cast<T>((static_cast<int>(value) + 1) % 2);
            },
            field.member);
        EXPECT_NE(changed, base) << field.key;
        // Read back through TOML (without validation: a changed kernel may
        // not fit the image any more)
        auto const text = to_toml_string(changed);
        EXPECT_NE(text, to_toml_string(base)) << field.key;
    }
}

TEST(ArchitectureConfig, block_field_ranges)
{
    auto config = preset_a();
    auto msg = test::error_message([&] { apply_override(config, "generator.blocks.1.upsample=[2, 0, 2]"); });
    EXPECT_NE(msg.find("generator.blocks.1.upsample = [2, 0, 2] must be >= 1 on every axis"), std::string::npos)
        << msg;
    msg = test::error_message([&] { apply_override(config, "discriminator.blocks.0.dropout=1"); });
    EXPECT_NE(msg.find("discriminator.blocks.0.dropout = 1 must be in [0, 1)"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "discriminator.blocks.0.zero_padding=[0, -1, 0]"); });
    EXPECT_NE(msg.find("must be >= 0 on every axis"), std::string::npos) << msg;
    // A generator block has no dropout key, a discriminator block no upsampling
    msg = test::error_message([&] { apply_override(config, "generator.blocks.0.dropout=0.5"); });
    EXPECT_NE(msg.find("unknown configuration key 'generator.blocks.0.dropout'"), std::string::npos) << msg;
    config.discriminator.blocks[0].upsample = {2, 2, 2};
    msg = test::error_message([&] { validate(config); });
    EXPECT_NE(msg.find("discriminator.blocks.0.upsample is not used by discriminator blocks"), std::string::npos)
        << msg;
}

TEST(ArchitectureConfig, written_floats_are_shortest)
{
    // toml++'s formatter with std::to_chars: 0.3, not 0.29999999999999999
    auto const text = to_toml_string(preset_b());
    EXPECT_NE(text.find("leaky_relu_slope = 0.3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("epsilon = 1e-06\n"), std::string::npos) << text;
    EXPECT_EQ(parse_config(text), preset_b());
}

// toml++ 3.3 reaches __builtin_unreachable on some non-ASCII characters
// outside strings (found by fuzz/ConfigFuzzer.cc; the input is
// fuzz/corpus/config/regression-non-ascii-value.txt): refused before parsing.
TEST(ArchitectureConfig, non_ascii_only_in_strings_and_comments)
{
    auto config = preset_a();
    auto const message = test::error_message(
        [&] { apply_override(config, "train.loss_weights=[3,0.1,\xCE\xA0\xD2\x9Eihgts=[,25,0.1]"); });
    EXPECT_CONTAINS(message, "non-ASCII character outside a quoted string or comment");
    EXPECT_CONTAINS(test::error_message([] { parse_config("family = \"a\"\nlatent_size = 2\xE2\x80\x83\n"); }),
                    "line 2: a non-ASCII character");
    // Where TOML allows them, they are kept
    auto const named = parse_config("family = \"a\"  # 90\xC2\xB0 electrons\nname = \"\xC3\xA9lectrons \\\" \xC2\xB0\"\n");
    EXPECT_EQ(named.name, "\xC3\xA9lectrons \" \xC2\xB0");
    apply_override(config, "name='\xC3\xA9'");
    EXPECT_EQ(config.name, "\xC3\xA9");
}

TEST(ArchitectureConfig, preset_files_equal_builtin)
{
    EXPECT_EQ(load_config(preset_path("3dgan-a")), preset_a());
    EXPECT_EQ(load_config(preset_path("3dgan-b")), preset_b());
    // The files spell out every key (none comes from the built-in defaults)
    EXPECT_EQ(toml::parse_file(preset_path("3dgan-a")), toml::parse(to_toml_string(preset_a())));
    EXPECT_EQ(toml::parse_file(preset_path("3dgan-b")), toml::parse(to_toml_string(preset_b())));
}

TEST(ArchitectureConfig, partial_file_defaults_to_family_preset)
{
    auto const config = parse_config("family = \"b\"\n[train]\nbatch_size = 8\n");
    auto expected = preset_b();
    expected.train.batch_size = 8;
    EXPECT_EQ(config, expected);
}

TEST(ArchitectureConfig, parse_errors)
{
    EXPECT_NE(test::error_message([] { parse_config("name = \"x\"\n"); }).find("'family' is missing"), std::string::npos);
    EXPECT_NE(test::error_message([] { parse_config("family = \"c\"\n"); }).find("is not one of \"a\", \"b\""),
              std::string::npos);
    auto msg = test::error_message([] { parse_config("family = \"a\"\n[train]\nbatchsize = 3\n", "my.toml"); });
    EXPECT_NE(msg.find("my.toml: unknown key 'train.batchsize'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("batch_size"), std::string::npos) << msg;
    msg = test::error_message([] { parse_config("family = \"a\"\nlatent_size = 2.5\n"); });
    EXPECT_NE(msg.find("latent_size must be an integer"), std::string::npos) << msg;
    msg = test::error_message([] { parse_config("family = \"a\"\n[generator]\nreshape = [7, 7, 8]\n"); });
    EXPECT_NE(msg.find("generator.reshape must be an array of 4 integers"), std::string::npos) << msg;
    msg = test::error_message([] { parse_config("family = \"a\"\n[[generator.blocks]]\nfilterz = 1\n"); });
    EXPECT_NE(msg.find("unknown key 'generator.blocks.0.filterz'"), std::string::npos) << msg;
    msg = test::error_message([] { parse_config("family = \"a\"\nimage_shape = [25, 25, 24]\n"); });
    EXPECT_NE(msg.find("the generator produces 25x25x25x1 images"), std::string::npos) << msg;
    msg = test::error_message([] { parse_config("family = [\n"); });
    EXPECT_NE(msg.find("invalid TOML"), std::string::npos) << msg;
    msg = test::error_message([] { load_config("/nonexistent/x.toml"); });
    EXPECT_NE(msg.find("/nonexistent/x.toml"), std::string::npos) << msg;
}

//---------------------------------------------------------------------------//
TEST(ArchitectureConfig, overrides)
{
    auto config = preset_a();
    apply_override(config, "train.batch_size=64");
    EXPECT_EQ(config.train.batch_size, 64);
    apply_override(config, " batchnorm.epsilon = 1e-6 ");
    EXPECT_DOUBLE_EQ(config.batchnorm.epsilon, 1e-6);
    apply_override(config, "train.xscale=1");  // integer literal into a float
    EXPECT_DOUBLE_EQ(config.train.xscale, 1.0);
    apply_override(config, "generator.blocks.1.filters=16");
    EXPECT_EQ(config.generator.blocks[1].filters, 16);
    apply_override(config, "generator.blocks.0.padding=\"same\"");
    apply_override(config, "discriminator.blocks.2.activation=relu");  // bare word
    EXPECT_EQ(config.discriminator.blocks[2].activation, Activation::relu);
    apply_override(config, "train.loss_weights=[8, 0.2, 0.1]");
    EXPECT_EQ(config.train.loss_weights, (std::vector<double>{8, 0.2, 0.1}));
    // The sampling-fraction fit of other data, as `inspect --fit-sampling-fraction` prints it.
    apply_override(config, "train.sampling_fraction=[0.00207, -0.0258, 0.119, -0.275, 2.15]");
    EXPECT_EQ(config.train.sampling_fraction, (std::vector<double>{0.00207, -0.0258, 0.119, -0.275, 2.15}));
    apply_override(config, "train.sampling_fraction=[2.0]");  // 3DGAN's mod 0: a flat 2 %
    EXPECT_EQ(config.train.sampling_fraction, (std::vector<double>{2.0}));
    apply_override(config, "name=sara-nl");
    EXPECT_EQ(config.name, "sara-nl");
    // The override is what a --dump-config prints
    EXPECT_EQ(parse_config(to_toml_string(config)), config);
    // x16f variant (sara-nl 1c5beb8): about 1.04 M generator parameters
    apply_override(config, "generator.blocks.2.filters=16");
    auto const count = count_parameters(describe_generator(config));
    EXPECT_GT(count.total(), 1000000);
    EXPECT_LT(count.total(), 1100000);
}

TEST(ArchitectureConfig, override_errors)
{
    auto config = preset_a();
    auto const original = config;
    auto msg = test::error_message([&] { apply_override(config, "train.batchsize=3"); });
    EXPECT_NE(msg.find("unknown configuration key 'train.batchsize'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("batch_size"), std::string::npos) << msg;  // lists the valid keys
    msg = test::error_message([&] { apply_override(config, "nosuch=3"); });
    EXPECT_NE(msg.find("'nosuch'"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train.batch_size"); });
    EXPECT_NE(msg.find("key=value"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train.batch_size=abc"); });
    EXPECT_NE(msg.find("cannot parse the value 'abc'"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train.batch_size=1.5"); });
    EXPECT_NE(msg.find("must be of type integer (got floating-point)"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train=1"); });
    EXPECT_NE(msg.find("is a table"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "generator.blocks.9.filters=1"); });
    EXPECT_NE(msg.find("valid indices 0 to 4 - 1"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train.batch_size.x=1"); });
    EXPECT_NE(msg.find("is a value, not a table"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "generator.blocks.0.filters=-1"); });
    EXPECT_NE(msg.find("filters = -1 must be >= 1"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "batchnorm.momentum=1.5"); });
    EXPECT_NE(msg.find("batchnorm.momentum"), std::string::npos) << msg;
    // Fakes' ECAL targets must stay positive over the sampled energies (y up to 5).
    msg = test::error_message([&] { apply_override(config, "train.sampling_fraction=[-1, 2]"); });
    EXPECT_NE(msg.find("train.sampling_fraction is -0.06 % at y = 2.06"), std::string::npos) << msg;
    EXPECT_NE(msg.find("not positive over train.energy_range"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "train.loss_weights=[1, 2]"); });
    EXPECT_NE(msg.find("has 2 entries"), std::string::npos) << msg;
    msg = test::error_message([&] { apply_override(config, "generator.blocks.0.activation=tanh"); });
    EXPECT_NE(msg.find("is not one of \"linear\", \"relu\", \"leaky_relu\""), std::string::npos) << msg;
    // Failed overrides leave the configuration unchanged
    EXPECT_EQ(config, original);
}
}  // namespace calo::nn
