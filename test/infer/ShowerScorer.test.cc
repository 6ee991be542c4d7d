// Shower scoring: discriminator outputs on preprocessed data, in physical units.
#include "calo3dgan/infer/ShowerScorer.hh"

#include <gtest/gtest.h>

#include <limits>

#include "ModelFixture.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/infer/KerasCheckpoint.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/nn/KerasImport.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::test
{
namespace
{
//! `n` sparse showers in file units; event 0 nearly empty (ECAL far below
//! model B's training cut of 10 file units).
event::EventBatch sparse_events(event::Layout layout, std::size_t n, std::uint64_t seed)
{
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = event::default_shape(layout);
    batch.cells.assign(n * batch.shape.size(), 0.0f);
    Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i)
    {
        batch.energy_gev.push_back(static_cast<float>(100 + 10 * i));
        if (layout == event::Layout::variable_angle)
            batch.theta_rad.push_back(1.5f);
        float* image = batch.image(i);
        float const scale = layout == event::Layout::fixed_angle ? 0.02f : 1.0f;  // cells of ~1 GeV x 50
        if (i == 0)
        {
            image[batch.shape.index(10, 10, 5)] = 2 * scale;
            image[batch.shape.index(10, 11, 6)] = scale;
            continue;
        }
        for (std::size_t k = 0; k < batch.shape.size(); ++k)
        {
            if (rng.uniform() < 0.05)
                image[k] = static_cast<float>(-std::log(rng.uniform_open()) * scale);
        }
    }
    return batch;
}

nn::Discriminator reference_discriminator(char model)
{
    nn::Discriminator discriminator(model == 'a' ? nn::preset_a() : nn::preset_b(), 1);
    nn::import_keras_discriminator(io::KerasWeightsFile::read(model_fixture(model).discriminator_weights),
                                   *discriminator);
    return discriminator;
}

torch::Tensor column(std::vector<float> const& values)
{
    return torch::tensor(values, torch::kFloat32);
}

//! Direct forward of the discriminator (eval mode) on the model's
//! preprocessing without the ECAL cut.
nn::DiscriminatorOutput direct_forward(nn::Discriminator& discriminator, event::EventBatch const& events)
{
    auto options = nn::preprocess_options(discriminator->config());
    options.min_ecal = -std::numeric_limits<double>::infinity();
    auto prepared = io::preprocess(events, options);
    EXPECT_EQ(prepared.size(), events.size());
    auto const shape = events.shape;
    auto const images = torch::from_blob(prepared.cells.data(),
                                         {static_cast<std::int64_t>(prepared.size()), 1, shape.nx, shape.ny, shape.nz})
                            .clone();
    discriminator->eval();
    torch::NoGradGuard no_grad;
    return discriminator->forward(images);
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(ShowerScorer, model_a_matches_direct_forward)
{
    auto network = reference_discriminator('a');
    infer::ShowerScorerOptions options;
    options.batch_size = 2;  // several batches
    infer::ShowerScorer scorer(network, options);
    auto const events = sparse_events(event::Layout::fixed_angle, 3, 1);
    auto const scores = scorer.score(events);
    ASSERT_EQ(scores.size(), 3u);
    EXPECT_TRUE(scores.angle_rad.empty());
    auto const expected = direct_forward(network, events);
    EXPECT_TRUE(close_relative(column(scores.probability), expected.probability, 1e-6));
    EXPECT_TRUE(close_relative(column(scores.energy_estimate_gev), expected.energy * 100.0, 1e-6));
    // ECAL head: sum of xscale (100) x cells [GeV] -> GeV
    EXPECT_TRUE(close_relative(column(scores.ecal_gev), expected.ecal / 100.0, 1e-6));
    double sum = 0;
    for (std::size_t k = 0; k < events.shape.size(); ++k) sum += events.image(1)[k];
    EXPECT_NEAR(scores.ecal_gev[1], sum, 1e-4 * sum);
}

TEST(ShowerScorer, model_b_keeps_low_ecal_events_and_reports_angle)
{
    auto network = reference_discriminator('b');
    infer::ShowerScorer scorer(network, {});
    auto const events = sparse_events(event::Layout::variable_angle, 2, 2);
    auto const scores = scorer.score(events);
    ASSERT_EQ(scores.size(), 2u);  // model B's training would drop event 0 (ECAL <= 10)
    ASSERT_EQ(scores.angle_rad.size(), 2u);
    auto const expected = direct_forward(network, events);
    EXPECT_TRUE(close_relative(column(scores.probability), expected.probability, 1e-6));
    EXPECT_TRUE(close_relative(column(scores.energy_estimate_gev), expected.energy * 100.0, 1e-6));
    EXPECT_TRUE(close_relative(column(scores.angle_rad), expected.angle, 1e-6));
    // ECAL in GeV: file units (GeV x 50) / 50
    double sum = 0;
    for (std::size_t k = 0; k < events.shape.size(); ++k) sum += events.image(1)[k];
    EXPECT_NEAR(scores.ecal_gev[1], sum / 50, 1e-4 * sum / 50);
    EXPECT_LT(scores.ecal_gev[0] * 50, 10.0);
}

TEST(ShowerScorer, wrong_image_shape_is_input_error)
{
    infer::ShowerScorer scorer(nn::Discriminator(nn::preset_a(), 1), {});
    auto const events = sparse_events(event::Layout::variable_angle, 1, 3);
    try
    {
        scorer.score(events);
        FAIL() << "no exception";
    }
    catch (InputError const& e)
    {
        std::string const message = e.what();
        EXPECT_NE(message.find("51x51x25"), std::string::npos) << message;
        EXPECT_NE(message.find("25x25x25"), std::string::npos) << message;
    }
}

TEST(ShowerScorer, checkpoint_without_discriminator_is_input_error)
{
    TempDir dir;
    infer::KerasImportRequest request;
    request.config = nn::preset_a();
    request.generator_file = model_fixture('a').generator_weights;
    request.output = dir / "g.pt";
    infer::import_keras_checkpoint(request);
    try
    {
        infer::ShowerScorer::load(request.output, {});
        FAIL() << "no exception";
    }
    catch (InputError const& e)
    {
        EXPECT_NE(std::string(e.what()).find("no discriminator"), std::string::npos) << e.what();
    }
}
}  // namespace calo::test
