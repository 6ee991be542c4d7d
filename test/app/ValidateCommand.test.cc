// calo3dgan validate and train --validate-every, run as a user would: a report
// that renders, a generator checkpoint as candidate, best-epoch selection, and
// one-line errors for bad input.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "CliHelpers.hh"

namespace fs = std::filesystem;

namespace calo::test
{
namespace
{
nlohmann::json read_json(std::string const& path)
{
    std::ifstream in(path);
    return nlohmann::json::parse(in);
}

//! Headless Chromium loads every image of DIR/report.html and the page is
//! not blank (a GoogleTest expectation; skips without Chromium).
void expect_report_renders(std::string const& dir)
{
    auto const shot = run_command(python() + " " + source_dir() + "/scripts/plots/check_report.py " + dir
                                  + "/report.html " + dir + "/screenshot.png");
    if (shot.exit_code == 77)
        GTEST_SKIP() << "chromium is not installed: " << shot.output;
    EXPECT_EQ(shot.exit_code, 0) << shot.output;
}

class ValidateCommand : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        for (auto const& [name, args] : {std::pair{"ref", "--events 600 --energy 20:200 --seed 1"},
                                         std::pair{"cand", "--events 600 --energy 20:200 --seed 2"},
                                         std::pair{"low", "--events 40 --energy 2:20 --seed 3"},
                                         std::pair{"b", "--events 90 --format b --theta 60:120 --seed 4"},
                                         std::pair{"b2", "--events 90 --format b --theta 60:120 --seed 5"}})
        {
            auto const r = run_calo(std::string("-q simulate -o ") + (*dir_ / name) + " " + args);
            ASSERT_EQ(r.exit_code, 0) << r.output;
        }
    }
    static void TearDownTestSuite() { delete dir_; }
    static std::string quick_validate(std::string const& out)
    {
        return "-q validate --reference " + (*dir_ / "ref") + " -o " + out + " --classifier-epochs 4 --classifier-events 400";
    }
    static TempDir* dir_;
};
TempDir* ValidateCommand::dir_ = nullptr;
}  // namespace

TEST_F(ValidateCommand, DatasetsGiveMetricsAndAReportThatRenders)
{
    std::string const out = *dir_ / "report";
    auto const r = run_calo(quick_validate(out) + " --candidate " + (*dir_ / "cand") + " --energy-bins 20,80,140,200,600");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("auc_features"), std::string::npos) << r.output;
    auto const m = read_json(out + "/metrics.json");
    for (char const* key : {"auc_features", "auc_images", "sampling_fraction_mre", "figure_of_merit"})
        EXPECT_TRUE(m[key].is_number()) << key;
    // The empty 200-600 GeV bin is reported as skipped, with its reason.
    bool skipped_bin = false;
    for (auto const& s : m["skipped"])
        skipped_bin |= s["what"].get<std::string>().find("200-600") != std::string::npos;
    EXPECT_TRUE(skipped_bin) << m["skipped"].dump();
    EXPECT_TRUE(fs::exists(out + "/report.html"));
    int pngs = 0;
    for (auto const& entry : fs::directory_iterator(out))
        pngs += entry.path().extension() == ".png";
    EXPECT_GE(pngs, 8);
    expect_report_renders(out);
    // Results are not overwritten silently.
    expect_one_line_error(run_calo(quick_validate(out) + " --candidate " + (*dir_ / "cand")), 1, "--overwrite");
}

TEST_F(ValidateCommand, TrainingRecordsMetricsAndSelectEpochPicksACheckpoint)
{
    std::string const run = *dir_ / "run";
    auto const t = run_calo("-q train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / "ref")
                            + " -o " + run + " --batch 2 --batches-per-epoch 1 --test-events 2 --epochs 3 --validate-every 1"
                            + " --validate-events 30");
    ASSERT_EQ(t.exit_code, 0) << t.output;
    auto const history = read_json(run + "/history.json");
    ASSERT_EQ(history.size(), 3u);
    for (auto const& record : history)
    {
        ASSERT_TRUE(record.contains("validation")) << record.dump();
        EXPECT_GT(record["validation"]["sampling_fraction_mre"].get<double>(), 0);
        EXPECT_GT(record["validation"]["figure_of_merit"].get<double>(), 0);
        EXPECT_EQ(record["validation"]["events"].get<int>(), 30);
    }
    // Validation draws from its own random streams: the training itself is
    // the same as without it.
    std::string const plain = *dir_ / "run_plain";
    ASSERT_EQ(run_calo("-q train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / "ref") + " -o "
                       + plain + " --batch 2 --batches-per-epoch 1 --test-events 2 --epochs 3")
                  .exit_code,
              0);
    auto const plain_history = read_json(plain + "/history.json");
    ASSERT_EQ(plain_history.size(), history.size());
    for (std::size_t e = 0; e < history.size(); ++e)
    {
        EXPECT_EQ(plain_history[e]["train"], history[e]["train"]) << "epoch " << e + 1;
        EXPECT_EQ(plain_history[e]["test"], history[e]["test"]) << "epoch " << e + 1;
    }
    // The pick is the lowest MRE of the (here three) validated epochs.
    int best = 0;
    double lowest = 1e300;
    for (auto const& record : history)
    {
        if (record["validation"]["sampling_fraction_mre"].get<double>() < lowest)
        {
            lowest = record["validation"]["sampling_fraction_mre"].get<double>();
            best = record["epoch"].get<int>();
        }
    }
    auto const s = run_calo("-q validate --run " + run + " --select-epoch");
    ASSERT_EQ(s.exit_code, 0) << s.output;
    char expected[64];
    std::snprintf(expected, sizeof expected, "epoch%04d.pt", best);
    EXPECT_NE(s.output.find("best epoch " + std::to_string(best) + " "), std::string::npos) << s.output;
    EXPECT_NE(s.output.find(expected), std::string::npos) << s.output;

    // The chosen checkpoint as candidate: generated with the reference's
    // conditions; events below the trained 10 GeV are left out and reported.
    std::string const out = *dir_ / "report_run";
    auto const v = run_calo("-q validate --run " + run + " --select-epoch --reference " + (*dir_ / "low") + " "
                            + (*dir_ / "ref") + " --events 640 -o " + out + " --no-classifier --no-plots");
    ASSERT_EQ(v.exit_code, 0) << v.output;
    auto const m = read_json(out + "/metrics.json");
    EXPECT_EQ(m["epoch_selection"]["epoch"].get<int>(), best);
    EXPECT_TRUE(m["auc_features"].is_null());
    bool outside = false;
    for (auto const& item : m["skipped"])
        outside |= item["why"].get<std::string>().find("trained range") != std::string::npos;
    EXPECT_TRUE(outside) << m["skipped"].dump();
    EXPECT_LT(m["reference"]["events"].get<int>(), 640);
    EXPECT_EQ(m["candidate"]["events"], m["reference"]["events"]);
    // --strict refuses instead.
    expect_one_line_error(run_calo("-q validate --checkpoint " + run + " --reference " + (*dir_ / "low") + " -o "
                                   + (*dir_ / "strict") + " --strict --no-plots"),
                          1, "trained range");
}

TEST_F(ValidateCommand, VariableAngleDataGetAngleBinsAndTheAngleTerm)
{
    std::string const out = *dir_ / "report_b";
    auto const r = run_calo("-q validate --reference " + (*dir_ / "b") + " --candidate " + (*dir_ / "b2") + " -o " + out
                            + " --no-classifier --theta-bins 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const m = read_json(out + "/metrics.json");
    EXPECT_EQ(m["reference"]["shape"], nlohmann::json({51, 51, 25}));
    EXPECT_EQ(m["settings"]["theta_bins_deg"].size(), 2u);
    // |θ - θ_measured|/θ of the candidate: a few per cent for the Monte Carlo.
    double const angle = m["figure_of_merit_terms"]["angle"].get<double>();
    EXPECT_GT(angle, 0.0);
    EXPECT_LT(angle, 0.2);
    EXPECT_TRUE(m["plots"]["histograms"].contains("measured_angle_deg"));
    int theta_bins = 0;
    for (auto const& bin : m["bins"])
        theta_bins += bin["kind"] == "theta";
    EXPECT_EQ(theta_bins, 2);
    expect_report_renders(out);
}

TEST_F(ValidateCommand, BadInputIsOneLine)
{
    std::string const out = *dir_ / "bad";
    expect_one_line_error(run_calo("-q validate --candidate " + (*dir_ / "cand") + " -o " + out), 2, "--reference");
    expect_one_line_error(run_calo(quick_validate(out)), 2, "--candidate");
    expect_one_line_error(run_calo(quick_validate(out) + " --candidate " + (*dir_ / "b")), 1, "different shapes");
    expect_one_line_error(run_calo(quick_validate(out) + " --candidate " + (*dir_ / "cand") + " --energy-bins x"), 2,
                          "--energy-bins");
    expect_one_line_error(run_calo(quick_validate(out) + " --candidate " + (*dir_ / "cand") + " --energy-bins 300,400"),
                          1, "no energy bin");
    expect_one_line_error(run_calo(quick_validate(out) + " --candidate " + (*dir_ / "missing")), 1, "missing");
    expect_one_line_error(run_calo("-q validate --run " + (*dir_ / "ref") + " --select-epoch"), 1, "history");
    EXPECT_FALSE(fs::exists(out + "/metrics.json"));
}
}  // namespace calo::test
