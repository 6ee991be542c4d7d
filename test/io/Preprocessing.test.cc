#include "calo3dgan/io/Preprocessing.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "LcdFixtures.hh"
#include "calo3dgan/geo/MeasuredAngle.hh"
#include "calo3dgan/io/DatasetReader.hh"

namespace calo::io
{
namespace
{
event::EventBatch one_event(event::Layout layout, float energy_gev)
{
    event::EventBatch batch;
    batch.layout = layout;
    batch.shape = default_shape(layout);
    batch.cells.assign(batch.shape.size(), 0.0f);
    batch.energy_gev = {energy_gev};
    return batch;
}
}  // namespace

TEST(Preprocessing, Presets)
{
    auto const a = PreprocessOptions::model_a();
    EXPECT_EQ(a.xscale, 100.0);
    EXPECT_EQ(a.threshold, 1e-6);
    EXPECT_EQ(a.xpower, 1.0);
    EXPECT_EQ(a.yscale, 100.0);
    EXPECT_EQ(a.min_ecal, -std::numeric_limits<double>::infinity());  // no ecal cut
    EXPECT_FALSE(a.use_measured_angle);
    EXPECT_EQ(a.family, event::Layout::fixed_angle);
    auto const b = PreprocessOptions::model_b();
    EXPECT_EQ(b.xscale, 1.0);
    EXPECT_EQ(b.threshold, 0.0);
    EXPECT_EQ(b.xpower, 0.85);
    EXPECT_EQ(b.yscale, 100.0);
    EXPECT_EQ(b.min_ecal, 10.0);
    EXPECT_TRUE(b.use_measured_angle);
    EXPECT_EQ(b.family, event::Layout::variable_angle);
}

//! The expected values come from numpy transcriptions of GetprocData / GetDataAngle.
TEST(Preprocessing, MatchesNumpyReferenceOnLcdFiles)
{
    auto const& fx = test::lcd_fixtures();
    ASSERT_EQ(fx.manifest["preprocess"].size(), 5u);
    for (auto const& c : fx.manifest["preprocess"])
    {
        std::string const name = c["name"];
        SCOPED_TRACE(name);
        std::vector<std::string> inputs;
        for (auto const& in : c["inputs"]) inputs.push_back(fx.path(in));
        DatasetReader const reader(inputs);
        auto const batch = reader.read(0, reader.num_events());
        auto const options = c["family"] == "a" ? PreprocessOptions::model_a() : PreprocessOptions::model_b();
        auto const out = preprocess(batch, options);

        auto const source_index = c["source_index"].get<std::vector<std::size_t>>();
        auto const y = c["y"].get<std::vector<double>>();
        auto const ecal = c["ecal"].get<std::vector<double>>();
        ASSERT_EQ(out.size(), y.size());
        EXPECT_EQ(out.source_index, source_index);
        EXPECT_EQ(out.shape, batch.shape);
        for (std::size_t i = 0; i < y.size(); ++i)
        {
            EXPECT_TRUE(test::close_rel(out.y[i], y[i], 1e-5)) << i << ": " << out.y[i] << " vs " << y[i];
            EXPECT_TRUE(test::close_rel(out.ecal[i], ecal[i], 1e-5)) << i << ": " << out.ecal[i] << " vs " << ecal[i];
        }
        if (c["theta"].is_null())
        {
            EXPECT_TRUE(out.theta_rad.empty());
        }
        else
        {
            auto const theta = c["theta"].get<std::vector<double>>();
            ASSERT_EQ(out.theta_rad.size(), theta.size());
            for (std::size_t i = 0; i < theta.size(); ++i)
                EXPECT_TRUE(test::close_rel(out.theta_rad[i], theta[i], 1e-5))
                    << i << ": " << out.theta_rad[i] << " vs " << theta[i];
        }
        auto const cells = fx.load(c["cells"]);
        ASSERT_EQ(out.cells.size(), cells.size());
        std::size_t bad = 0;
        std::size_t zeros = 0;
        std::size_t zeros_differ = 0;
        for (std::size_t k = 0; k < cells.size(); ++k)
        {
            bad += !test::close_rel(out.cells[k], cells[k], 1e-5);
            zeros += cells[k] == 0;
            // Thresholded cells are exactly zero, and only those.
            zeros_differ += (cells[k] == 0) != (out.cells[k] == 0.0f);
        }
        EXPECT_EQ(bad, 0u);
        EXPECT_EQ(zeros_differ, 0u);
        EXPECT_GT(zeros, 0u);  // the fixture exercises the threshold
    }
}

TEST(Preprocessing, ModelAThresholdsInGevBeforeScaling)
{
    auto batch = one_event(event::Layout::fixed_angle, 150.0f);
    auto const& s = batch.shape;
    batch.cells[s.index(1, 2, 3)] = 5e-7f;  // zeroed
    batch.cells[s.index(4, 5, 6)] = 2e-6f;  // kept: 2e-4 after x100
    batch.cells[s.index(7, 8, 9)] = 0.5f;
    auto const out = preprocess(batch, PreprocessOptions::model_a());
    ASSERT_EQ(out.size(), 1u);
    EXPECT_EQ(out.cells[s.index(1, 2, 3)], 0.0f);
    EXPECT_FLOAT_EQ(out.cells[s.index(4, 5, 6)], 2e-4f);
    EXPECT_FLOAT_EQ(out.cells[s.index(7, 8, 9)], 50.0f);
    EXPECT_FLOAT_EQ(out.ecal[0], 50.0002f);  // after scaling
    EXPECT_FLOAT_EQ(out.y[0], 1.5f);
    EXPECT_TRUE(out.theta_rad.empty());

    // An empty image is kept by model A (no ecal cut).
    auto const empty = preprocess(one_event(event::Layout::fixed_angle, 20.0f), PreprocessOptions::model_a());
    EXPECT_EQ(empty.size(), 1u);
    EXPECT_EQ(empty.ecal[0], 0.0f);
}

TEST(Preprocessing, ModelBCutsPowersAndUsesMtheta)
{
    event::EventBatch batch;
    batch.layout = event::Layout::variable_angle;
    batch.shape = default_shape(batch.layout);
    auto const& s = batch.shape;
    batch.cells.assign(3 * s.size(), 0.0f);
    batch.energy_gev = {150.0f, 9.0f, 120.0f};
    batch.measured_angle_rad = {1.25f, 1.5f, 1.75f};
    batch.theta_rad = {0.5f, 0.6f, 0.7f};
    batch.image(0)[s.index(20, 20, 5)] = 16.0f;  // ecal 16 > 10: kept
    batch.image(1)[s.index(20, 20, 5)] = 10.0f;  // ecal 10 <= 10: dropped
    batch.image(2)[s.index(20, 20, 5)] = 11.0f;
    batch.image(2)[s.index(21, 20, 6)] = 1e-3f;
    auto const out = preprocess(batch, PreprocessOptions::model_b());
    ASSERT_EQ(out.size(), 2u);
    EXPECT_EQ(out.source_index, (std::vector<std::size_t>{0, 2}));
    EXPECT_EQ(out.theta_rad, (std::vector<float>{1.25f, 1.75f}));  // stored mtheta, not recomputed
    EXPECT_FLOAT_EQ(out.ecal[0], 16.0f);                           // before the power
    EXPECT_FLOAT_EQ(out.ecal[1], 11.001f);
    EXPECT_FLOAT_EQ(out.cells[s.index(20, 20, 5)], std::pow(16.0f, 0.85f));
    EXPECT_FLOAT_EQ(out.cells[s.size() + s.index(21, 20, 6)], std::pow(1e-3f, 0.85f));
    EXPECT_FLOAT_EQ(out.y[1], 1.2f);

    // Without mtheta, the measured angle of the kept (un-powered) image.
    batch.measured_angle_rad.clear();
    auto const measured = preprocess(batch, PreprocessOptions::model_b());
    ASSERT_EQ(measured.theta_rad.size(), 2u);
    EXPECT_FLOAT_EQ(measured.theta_rad[1], static_cast<float>(geo::measured_angle(batch.image(2), s)));

    // With use_measured_angle off, the true theta.
    auto options = PreprocessOptions::model_b();
    options.use_measured_angle = false;
    EXPECT_EQ(preprocess(batch, options).theta_rad, (std::vector<float>{0.5f, 0.7f}));
}

TEST(Preprocessing, ConvertsUnitsBetweenLayoutsAndFamilies)
{
    // A fixed-angle file (GeV) fed to model B gets x50; a variable-angle one (GeV x 50) fed to A gets /50.
    auto gev = one_event(event::Layout::fixed_angle, 100.0f);
    gev.cells[gev.shape.index(12, 12, 8)] = 0.4f;  // 0.4 GeV = 20 in GeV x 50
    auto const b = preprocess(gev, PreprocessOptions::model_b());
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FLOAT_EQ(b.ecal[0], 20.0f);
    EXPECT_FLOAT_EQ(b.cells[gev.shape.index(12, 12, 8)], std::pow(20.0f, 0.85f));

    auto gev50 = one_event(event::Layout::variable_angle, 100.0f);
    gev50.cells[gev50.shape.index(25, 25, 8)] = 20.0f;
    gev50.cells[gev50.shape.index(25, 26, 8)] = 4e-5f;  // 8e-7 GeV: below model A's threshold
    auto const a = preprocess(gev50, PreprocessOptions::model_a());
    ASSERT_EQ(a.size(), 1u);
    EXPECT_FLOAT_EQ(a.cells[gev50.shape.index(25, 25, 8)], 40.0f);  // 0.4 GeV x 100
    EXPECT_EQ(a.cells[gev50.shape.index(25, 26, 8)], 0.0f);
    EXPECT_FLOAT_EQ(a.ecal[0], 40.0f);
    EXPECT_FLOAT_EQ(a.y[0], 1.0f);
    EXPECT_FLOAT_EQ(b.y[0], 1.0f);
}

TEST(Preprocessing, PostprocessInvertsTheTransform)
{
    for (auto const& options : {PreprocessOptions::model_a(), PreprocessOptions::model_b()})
    {
        auto batch = one_event(options.family, 100.0f);
        for (std::size_t k = 0; k < batch.cells.size(); k += 97)
            batch.cells[k] = 0.001f * static_cast<float>(k % 1000) + 1e-5f;
        auto out = preprocess(batch, options);
        ASSERT_EQ(out.size(), 1u);
        out.cells[5] = -1e-9f;  // a generator never gives this, but it must not turn into NaN
        postprocess_in_place(out.cells, options);
        EXPECT_EQ(out.cells[5], 0.0f);
        for (std::size_t k = 0; k < batch.cells.size(); k += 97)
            EXPECT_NEAR(out.cells[k], batch.cells[k], 1e-5 * batch.cells[k]) << k;
    }
}
}  // namespace calo::io
