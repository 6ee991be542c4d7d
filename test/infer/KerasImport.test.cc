// Keras weight import (io::KerasWeightsFile, nn::KerasImport, infer::KerasCheckpoint)
// against the independent PyTorch reference of scripts/reference/models.py.
#include "ErrorMessage.hh"
#include "calo3dgan/nn/KerasImport.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ModelFixture.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/KerasCheckpoint.hh"
#include "calo3dgan/io/KerasWeightsFile.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::test
{
namespace
{
// The requirement for imported models: reference outputs to 1e-4 relative.
constexpr double kTolerance = 1e-4;

nn::ArchitectureConfig config_for(char model)
{
    return model == 'a' ? nn::preset_a() : nn::preset_b();
}

nn::Generator imported_generator(char model, std::string const& file)
{
    nn::Generator generator(config_for(model), 99);
    nn::import_keras_generator(io::KerasWeightsFile::read(file), *generator);
    generator->eval();
    return generator;
}

nn::Discriminator imported_discriminator(char model, std::string const& file)
{
    nn::Discriminator discriminator(config_for(model), 99);
    nn::import_keras_discriminator(io::KerasWeightsFile::read(file), *discriminator);
    discriminator->eval();
    return discriminator;
}

void expect_generator_matches_reference(char model, nn::Generator& generator)
{
    auto const& fixture = model_fixture(model);
    torch::NoGradGuard no_grad;
    auto const noise = fixture.tensor("generator/noise");
    auto const conditions = fixture.tensor("generator/conditions");
    EXPECT_TRUE(close_relative(generator->latent_input(noise, conditions), fixture.tensor("generator/latent"), 1e-6));
    auto const images = generator->forward(noise, conditions).squeeze(1);
    auto const expected = fixture.tensor("generator/images");
    ASSERT_EQ(images.sizes(), expected.sizes());
    EXPECT_GT(expected.count_nonzero().item<std::int64_t>(), 0);  // not a trivial comparison
    EXPECT_TRUE(close_relative(images, expected, kTolerance));
}

void expect_discriminator_matches_reference(char model, nn::Discriminator& discriminator)
{
    auto const& fixture = model_fixture(model);
    torch::NoGradGuard no_grad;
    auto const out = discriminator->forward(fixture.tensor("discriminator/images").unsqueeze(1));
    EXPECT_TRUE(close_relative(out.probability, fixture.tensor("discriminator/probability"), kTolerance));
    EXPECT_TRUE(close_relative(out.energy, fixture.tensor("discriminator/energy"), kTolerance));
    EXPECT_TRUE(close_relative(out.ecal, fixture.tensor("discriminator/ecal"), kTolerance));
    if (model == 'b')
        EXPECT_TRUE(close_relative(out.angle, fixture.tensor("discriminator/angle"), kTolerance));
}

//! Every parameter and buffer equal.
void expect_same_state(torch::nn::Module const& a, torch::nn::Module const& b)
{
    auto const pa = a.named_parameters();
    auto const pb = b.named_parameters();
    ASSERT_EQ(pa.size(), pb.size());
    for (auto const& item : pa) EXPECT_TRUE(torch::equal(item.value(), pb[item.key()])) << item.key();
    auto const ba = a.named_buffers();
    auto const bb = b.named_buffers();
    for (auto const& item : ba) EXPECT_TRUE(torch::equal(item.value(), bb[item.key()])) << item.key();
}

void expect_contains(std::string const& text, std::string const& part)
{
    EXPECT_NE(text.find(part), std::string::npos) << "'" << part << "' not in: " << text;
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(KerasImport, natural_order)
{
    EXPECT_TRUE(nn::natural_less("conv3d_5", "conv3d_10"));
    EXPECT_FALSE(nn::natural_less("conv3d_10", "conv3d_5"));
    EXPECT_TRUE(nn::natural_less("conv3d_9", "conv3d_010"));
    EXPECT_TRUE(nn::natural_less("batch_normalization_2", "conv3d_1"));
    EXPECT_FALSE(nn::natural_less("dense_3", "dense_3"));
    EXPECT_TRUE(nn::natural_less("model_3/conv3d_11", "model_3/conv3d_12"));
}

TEST(KerasImport, reads_every_weight)
{
    auto const file = io::KerasWeightsFile::read(model_fixture('b').generator_weights);
    EXPECT_EQ(file.keras_version, "2.2.4");
    EXPECT_EQ(file.layer_names, (std::vector<std::string>{"input_2", "sequential_2"}));
    // dense (2) + 7 conv (2 each) + 5 BN (4 each)
    EXPECT_EQ(file.weights.size(), 2u + 14u + 20u);
    bool found = false;
    for (auto const& w : file.weights)
    {
        if (w.group == "sequential_2/conv3d_6" && w.name == "kernel")
        {
            found = true;
            EXPECT_EQ(w.layer, "conv3d_6");
            EXPECT_EQ(w.top_level, "sequential_2");
            EXPECT_EQ(w.shape, (std::vector<std::size_t>{4, 4, 6, 8, 6}));
            EXPECT_EQ(w.values.size(), 4u * 4 * 6 * 8 * 6);
        }
    }
    EXPECT_TRUE(found);
    auto const layers = nn::keras_layers(file);
    ASSERT_EQ(layers.size(), 1u + 7u + 5u);
    std::vector<std::string> convs;
    for (auto const& layer : layers)
    {
        if (layer.kind == nn::KerasLayerKind::conv3d)
            convs.push_back(layer.name);
    }
    EXPECT_EQ(convs, (std::vector<std::string>{"conv3d_5", "conv3d_6", "conv3d_7", "conv3d_8", "conv3d_9", "conv3d_10",
                                               "conv3d_11"}));
}

TEST(KerasImport, generator_a_matches_reference)
{
    auto generator = imported_generator('a', model_fixture('a').generator_weights);
    expect_generator_matches_reference('a', generator);
}

TEST(KerasImport, generator_b_matches_reference)
{
    auto generator = imported_generator('b', model_fixture('b').generator_weights);
    expect_generator_matches_reference('b', generator);
}

TEST(KerasImport, discriminator_a_matches_reference)
{
    auto discriminator = imported_discriminator('a', model_fixture('a').discriminator_weights);
    expect_discriminator_matches_reference('a', discriminator);
}

TEST(KerasImport, discriminator_b_matches_reference)
{
    auto discriminator = imported_discriminator('b', model_fixture('b').discriminator_weights);
    expect_discriminator_matches_reference('b', discriminator);
}

TEST(KerasImport, other_numbering_and_flat_groups_import_identically)
{
    for (char model : {'a', 'b'})
    {
        SCOPED_TRACE(std::string("model ") + model);
        auto const& fixture = model_fixture(model);
        auto const dir = process_temp_dir() / (std::string("renumbered-") + model);
        std::filesystem::create_directories(dir);
        // conv3d_1..4 (one group level per layer, with layer_names), and
        // conv3d_8..11 without layer_names (natural order must put 8, 9 before 10, 11).
        auto const g1 = dir + "/g1.h5", g8 = dir + "/g8.h5", d1 = dir + "/d1.h5", d8 = dir + "/d8.h5";
        run_reference_script("rewrite_keras_weights.py", fixture.generator_weights + " " + g1 + " --start 1");
        run_reference_script("rewrite_keras_weights.py",
                             fixture.generator_weights + " " + g8 + " --start 8 --no-layer-names");
        run_reference_script("rewrite_keras_weights.py", fixture.discriminator_weights + " " + d1 + " --start 1");
        run_reference_script("rewrite_keras_weights.py",
                             fixture.discriminator_weights + " " + d8 + " --start 8 --no-layer-names");
        auto const flat_file = io::KerasWeightsFile::read(g1);
        EXPECT_EQ(flat_file.weights.front().layer, flat_file.weights.front().top_level);  // flat layout

        auto const reference_g = imported_generator(model, fixture.generator_weights);
        auto const reference_d = imported_discriminator(model, fixture.discriminator_weights);
        expect_same_state(*imported_generator(model, g1), *reference_g);
        expect_same_state(*imported_generator(model, g8), *reference_g);
        expect_same_state(*imported_discriminator(model, d1), *reference_d);
        expect_same_state(*imported_discriminator(model, d8), *reference_d);
    }
}

TEST(KerasImport, foreign_and_truncated_files_are_input_errors)
{
    auto const dir = process_temp_dir() / "bad";
    std::filesystem::create_directories(dir);
    auto const text = dir + "/text.h5";
    std::ofstream(text) << "not hdf5\n";
    expect_contains(test::error_message([&] { io::KerasWeightsFile::read(text); }), "not an HDF5 file");
    expect_contains(test::error_message([&] { io::KerasWeightsFile::read(dir + "/missing.h5"); }), "not found");

    // Truncated copy of a real weights file
    auto const& source = model_fixture('a').generator_weights;
    auto const truncated = dir + "/truncated.h5";
    std::filesystem::copy_file(source, truncated, std::filesystem::copy_options::overwrite_existing);
    std::filesystem::resize_file(truncated, std::filesystem::file_size(source) / 2);
    auto const message = test::error_message(
        [&]
        {
            nn::Generator generator(nn::preset_a(), 1);
            nn::import_keras_generator(io::KerasWeightsFile::read(truncated), *generator);
        });
    expect_contains(message, "truncated.h5");
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;

    // An HDF5 file that is no Keras weights file (the reference-output file)
    auto const fixture_file = std::filesystem::path(source).parent_path() / "3dgan-a_fixture.h5";
    auto const foreign = test::error_message(
        [&]
        {
            nn::Generator generator(nn::preset_a(), 1);
            nn::import_keras_generator(io::KerasWeightsFile::read(fixture_file.string()), *generator);
        });
    expect_contains(foreign, "unsupported layer");
}

TEST(KerasImport, shape_mismatch_names_layer_and_shapes)
{
    // Model-B generator weights for model A: the dense kernel does not fit.
    nn::Generator generator(nn::preset_a(), 1);
    auto const before = generator->dense()->weight.clone();
    auto const message = test::error_message(
        [&]
        { nn::import_keras_generator(io::KerasWeightsFile::read(model_fixture('b').generator_weights), *generator); });
    expect_contains(message, "3dgan-b_generator_weights.h5");
    expect_contains(message, "model 3dgan-a");
    // B has 7 conv layers, A 4: the layer counts are reported first
    expect_contains(message, "7 conv3d");
    EXPECT_TRUE(torch::equal(before, generator->dense()->weight));  // untouched

    // Same layer counts, other shapes: model-A discriminator weights for model B
    nn::Discriminator discriminator(nn::preset_b(), 1);
    auto const d_message = test::error_message(
        [&]
        {
            nn::import_keras_discriminator(io::KerasWeightsFile::read(model_fixture('a').discriminator_weights),
                                           *discriminator);
        });
    expect_contains(d_message, "conv3d_11 kernel has shape (5,5,5,1,32)");
    expect_contains(d_message, "(5,6,6,1,16)");

    // A discriminator file given as the generator
    nn::Generator generator_b(nn::preset_b(), 1);
    expect_contains(test::error_message(
                        [&] {
                            nn::import_keras_generator(
                                io::KerasWeightsFile::read(model_fixture('b').discriminator_weights), *generator_b);
                        }),
                    "2 dense");
}

TEST(KerasImport, checkpoint_round_trip)
{
    auto const& fixture = model_fixture('a');
    auto const dir = process_temp_dir() / "checkpoint";
    std::filesystem::create_directories(dir);
    infer::KerasImportRequest request;
    request.config = nn::preset_a();
    request.config.train.xscale = 1.0;  // early model-A files
    request.generator_file = fixture.generator_weights;
    request.output = dir + "/a.pt";
    infer::import_keras_checkpoint(request);

    auto loaded = nn::load_checkpoint(request.output);
    EXPECT_EQ(loaded.config.train.xscale, 1.0);
    EXPECT_FALSE(loaded.discriminator);  // no --discriminator: allowed
    loaded.generator->eval();
    expect_generator_matches_reference('a', loaded.generator);

    // An existing output is refused and kept
    auto const size = std::filesystem::file_size(request.output);
    request.discriminator_file = fixture.discriminator_weights;
    expect_contains(test::error_message([&] { infer::import_keras_checkpoint(request); }), "--overwrite");
    EXPECT_EQ(std::filesystem::file_size(request.output), size);
    request.overwrite = true;
    infer::import_keras_checkpoint(request);
    auto with_d = nn::load_checkpoint(request.output);
    ASSERT_TRUE(with_d.discriminator);
    with_d.discriminator->eval();
    expect_discriminator_matches_reference('a', with_d.discriminator);

    // A bad file leaves nothing behind
    request.output = dir + "/b.pt";
    request.generator_file = model_fixture('b').generator_weights;
    EXPECT_NE(test::error_message([&] { infer::import_keras_checkpoint(request); }), "no exception");
    EXPECT_FALSE(std::filesystem::exists(request.output));
    EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), std::filesystem::directory_iterator()), 1);
}
}  // namespace calo::test
