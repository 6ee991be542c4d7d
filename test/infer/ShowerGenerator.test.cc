// Shower generation: per-event seeding, batching, units and file layout.
#include "calo3dgan/infer/ShowerGenerator.hh"

#include <gtest/gtest.h>

#include <cmath>

#include "ModelFixture.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/nn/KerasImport.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::test
{
namespace
{
constexpr double kPi = 3.14159265358979323846;

//! The reference (PyTorch) generator of `model`, imported from its Keras file:
//! realistic, non-trivial output.
nn::Generator reference_generator(char model)
{
    nn::Generator generator(model == 'a' ? nn::preset_a() : nn::preset_b(), 1);
    nn::import_keras_generator(io::KerasWeightsFile::read(model_fixture(model).generator_weights), *generator);
    return generator;
}

infer::ValueSampler uniform(double lo, double hi)
{
    return [lo, hi](Rng& rng) { return lo + (hi - lo) * rng.uniform(); };
}

torch::Tensor cells_tensor(event::EventBatch const& batch)
{
    return torch::from_blob(const_cast<float*>(batch.cells.data()), {static_cast<std::int64_t>(batch.cells.size())},
                            torch::kFloat32)
        .clone();
}

//! The fixture's inputs as GeneratorInputs (energies in GeV).
infer::GeneratorInputs fixture_inputs(char model)
{
    auto const& fixture = model_fixture(model);
    auto const noise = fixture.tensor("generator/noise").contiguous();
    auto const conditions = fixture.tensor("generator/conditions").contiguous();
    infer::GeneratorInputs inputs;
    inputs.noise.assign(noise.data_ptr<float>(), noise.data_ptr<float>() + noise.numel());
    for (std::int64_t i = 0; i < conditions.size(0); ++i)
    {
        inputs.energy_gev.push_back(conditions[i][0].item<float>() * 100.0f);
        if (model == 'b')
            inputs.theta_rad.push_back(conditions[i][1].item<float>());
    }
    return inputs;
}

//! Expected file-unit cells: G(z, [y, theta]) through the inverse preprocessing.
torch::Tensor expected_cells(nn::Generator& generator, infer::GeneratorInputs const& inputs)
{
    auto const& config = generator->config();
    auto const n = static_cast<std::int64_t>(inputs.size());
    auto const noise = torch::from_blob(const_cast<float*>(inputs.noise.data()), {n, config.noise_size()}).clone();
    auto conditions =
        torch::from_blob(const_cast<float*>(inputs.energy_gev.data()), {n, 1}).clone() / config.train.yscale;
    if (config.family == nn::ModelFamily::b)
        conditions = torch::cat({conditions, torch::from_blob(const_cast<float*>(inputs.theta_rad.data()), {n, 1})}, 1);
    generator->eval();
    torch::NoGradGuard no_grad;
    auto const images = generator->forward(noise, conditions).contiguous();
    // Model A: x / xscale (100); model B: x^(1/0.85) / xscale (1), docs/preprocessing.md, "Generated showers"
    return images.clamp_min(0).pow(1.0 / config.power).reshape(-1) / config.train.xscale;
}
}  // namespace

//---------------------------------------------------------------------------//
TEST(ShowerGenerator, inputs_depend_only_on_seed_and_event_index)
{
    infer::ShowerGenerator generator(nn::Generator(nn::preset_b(), 3), {});
    auto const energy = uniform(100, 200);
    auto const theta = uniform(kPi / 3, 2 * kPi / 3);
    auto const all = generator.sample_inputs(7, 0, 5, energy, theta);
    auto const tail = generator.sample_inputs(7, 3, 2, energy, theta);
    ASSERT_EQ(all.size(), 5u);
    ASSERT_EQ(all.noise.size(), 5u * 254);
    EXPECT_EQ(tail.energy_gev, std::vector<float>(all.energy_gev.begin() + 3, all.energy_gev.end()));
    EXPECT_EQ(tail.theta_rad, std::vector<float>(all.theta_rad.begin() + 3, all.theta_rad.end()));
    EXPECT_EQ(tail.noise, std::vector<float>(all.noise.begin() + 3 * 254, all.noise.end()));
    for (float e : all.energy_gev)
    {
        EXPECT_GE(e, 100);
        EXPECT_LE(e, 200);
    }
    // Standard normal noise: mean and variance of 1270 values, 5 sigma bounds
    double sum = 0, sum2 = 0;
    for (float z : all.noise)
    {
        sum += z;
        sum2 += double(z) * z;
    }
    double const n = all.noise.size();
    EXPECT_NEAR(sum / n, 0.0, 5.0 / std::sqrt(n));
    EXPECT_NEAR(sum2 / n, 1.0, 5.0 * std::sqrt(2.0 / n));
    auto const other = generator.sample_inputs(8, 0, 5, energy, theta);
    EXPECT_NE(other.noise, all.noise);
}

TEST(ShowerGenerator, batch_size_does_not_change_showers)
{
    nn::Generator network(nn::preset_a(), 5);
    infer::ShowerGeneratorOptions small;
    small.batch_size = 2;
    infer::ShowerGenerator by_two(network, small);
    infer::ShowerGeneratorOptions large;
    large.batch_size = 5;
    infer::ShowerGenerator by_five(network, large);
    auto const inputs = by_two.sample_inputs(11, 0, 5, uniform(10, 500), {});
    auto const a = by_two.generate(inputs);
    auto const b = by_five.generate(inputs);
    ASSERT_EQ(a.cells.size(), 5u * 25 * 25 * 25);
    // Same inputs per event; libtorch's CPU convolutions pick other algorithms
    // (summation orders) for other batch sizes, so allow float rounding.
    EXPECT_TRUE(close_relative(cells_tensor(a), cells_tensor(b), 1e-5));
    EXPECT_EQ(a.energy_gev, inputs.energy_gev);
    EXPECT_TRUE(a.theta_rad.empty());
}

TEST(ShowerGenerator, model_a_cells_are_network_output_over_xscale)
{
    auto network = reference_generator('a');
    infer::ShowerGenerator generator(network, {});
    EXPECT_EQ(generator.layout(), event::Layout::fixed_angle);
    auto const inputs = fixture_inputs('a');
    auto const batch = generator.generate(inputs);
    EXPECT_EQ(batch.layout, event::Layout::fixed_angle);
    EXPECT_EQ(batch.shape, geo::kFixedAngleShape);
    auto const expected = expected_cells(network, inputs);
    EXPECT_GT(expected.count_nonzero().item<std::int64_t>(), 0);
    EXPECT_TRUE(close_relative(cells_tensor(batch), expected, 1e-5));
    // Independent check against the PyTorch reference output: cells [GeV] = G / 100
    EXPECT_TRUE(
        close_relative(cells_tensor(batch), model_fixture('a').tensor("generator/images").reshape(-1) / 100.0, 1e-4));
}

TEST(ShowerGenerator, model_b_cells_undo_the_power)
{
    auto network = reference_generator('b');
    infer::ShowerGenerator generator(network, {});
    EXPECT_EQ(generator.layout(), event::Layout::variable_angle);
    auto const inputs = fixture_inputs('b');
    auto const batch = generator.generate(inputs);
    EXPECT_EQ(batch.shape, geo::kVariableAngleShape);
    EXPECT_EQ(batch.theta_rad, inputs.theta_rad);
    // GeV x 50 = G^(1/0.85) / xscale (1)
    auto const reference = model_fixture('b').tensor("generator/images").reshape(-1).pow(1.0 / 0.85);
    EXPECT_TRUE(close_relative(cells_tensor(batch), reference, 1e-4));
    EXPECT_TRUE(close_relative(cells_tensor(batch), expected_cells(network, inputs), 1e-5));
}

TEST(ShowerGenerator, written_showers_read_back_unchanged)
{
    TempDir dir;
    for (char model : {'a', 'b'})
    {
        SCOPED_TRACE(std::string("model ") + model);
        infer::ShowerGenerator generator(reference_generator(model), {});
        auto const batch = generator.generate(fixture_inputs(model));
        auto const path = dir / (std::string("gen-") + model + ".h5");
        io::DatasetWriter writer(path, generator.layout(), generator.config().image_shape, "{}", false);
        writer.append(batch);
        writer.commit();
        io::DatasetReader const reader({path});
        EXPECT_EQ(reader.layout(), generator.layout());
        EXPECT_EQ(reader.num_events(), batch.size());
        EXPECT_EQ(reader.has_theta(), model == 'b');
        auto const back = reader.read(0, batch.size());
        EXPECT_EQ(back.cells, batch.cells);
        EXPECT_EQ(back.energy_gev, batch.energy_gev);
        EXPECT_EQ(back.theta_rad, batch.theta_rad);
    }
}

TEST(ShowerGenerator, trained_range)
{
    infer::ShowerGenerator a(nn::Generator(nn::preset_a(), 1), {});
    auto const [lo, hi] = a.trained_energy_range_gev();
    EXPECT_DOUBLE_EQ(lo, 10.0);
    EXPECT_DOUBLE_EQ(hi, 500.0);
    EXPECT_EQ(a.range_warning(10, 500, 0, 0), "");
    EXPECT_EQ(a.range_warning(100, 100, 0, 0), "");
    auto const message = a.range_warning(5, 600, 0, 0);
    EXPECT_NE(message.find("outside"), std::string::npos) << message;
    EXPECT_NE(message.find("10 .. 500 GeV"), std::string::npos) << message;

    infer::ShowerGenerator b(nn::Generator(nn::preset_b(), 1), {});
    double const deg = kPi / 180;
    EXPECT_EQ(b.range_warning(100, 200, 60 * deg, 120 * deg), "");
    // float32 values read from a file sit an ulp away from the range ends
    EXPECT_EQ(b.range_warning(100, static_cast<float>(200.0), static_cast<float>(60 * deg), 120 * deg), "");
    EXPECT_NE(b.range_warning(90, 200, 60 * deg, 120 * deg), "");
    auto const angle = b.range_warning(100, 200, 30 * deg, 120 * deg);
    EXPECT_NE(angle.find("angles 30 .. 120 deg"), std::string::npos) << angle;
}

TEST(ShowerGenerator, bad_inputs_are_input_errors)
{
    infer::ShowerGenerator b(nn::Generator(nn::preset_b(), 1), {});
    auto inputs = b.sample_inputs(1, 0, 2, uniform(100, 200), uniform(1.2, 1.8));
    auto no_angle = inputs;
    no_angle.theta_rad.clear();
    EXPECT_THROW(b.generate(no_angle), InputError);
    auto short_noise = inputs;
    short_noise.noise.pop_back();
    EXPECT_THROW(b.generate(short_noise), InputError);
    auto negative = inputs;
    negative.energy_gev[1] = -1;
    EXPECT_THROW(b.generate(negative), InputError);

    infer::ShowerGenerator a(nn::Generator(nn::preset_a(), 1), {});
    auto with_angle = a.sample_inputs(1, 0, 1, uniform(100, 200), {});
    with_angle.theta_rad = {1.0f};
    EXPECT_THROW(a.generate(with_angle), InputError);
    infer::ShowerGeneratorOptions zero;
    zero.batch_size = 0;
    EXPECT_THROW(infer::ShowerGenerator(nn::Generator(nn::preset_a(), 1), zero), UsageError);
}
}  // namespace calo::test
