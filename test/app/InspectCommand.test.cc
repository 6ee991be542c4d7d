// The inspect subcommand, run as a user would.
#include <gtest/gtest.h>

#include <cstdio>

#include "CliHelpers.hh"

namespace calo::test
{
TEST(InspectCommand, SummarisesFixedAngleData)
{
    TempDir dir;
    ASSERT_EQ(run_calo("simulate -o " + (dir / "d") + " --events 40 --energy 100 --seed 5").exit_code, 0);
    auto const r = run_calo("inspect " + (dir / "d/EleEscan_000.h5"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("25x25x25"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("GeV"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("100.0 .. 100.0"), std::string::npos) << r.output;
}

TEST(InspectCommand, JsonHasRangesAndVisibleFraction)
{
    TempDir dir;
    ASSERT_EQ(run_calo("simulate -o " + (dir / "d") + " --events 30 --format b --energy 100:200 --theta 60:120 --seed 2")
                  .exit_code,
              0);
    auto const r = run_calo("inspect --json " + (dir / "d"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (char const* key : {"\"layout\": \"b\"", "\"units\": \"GeV x 50\"", "\"theta_deg\"", "\"mtheta_deg\"",
                            "\"visible_fraction\"", "51"})
        EXPECT_NE(r.output.find(key), std::string::npos) << key << "\n" << r.output;
}

TEST(InspectCommand, FitsTheSamplingFractionForTraining)
{
    // The Monte Carlo's sampling fraction falls from about 2.1 % at 10 GeV to
    // 1.8 % at 500 GeV (docs/mc.md). A straight line through 300 showers at
    // 10-500 GeV: each has a spread of about 0.12 % (5-6 % of the ratio), so
    // the line's value in the middle is known to about 0.12 / sqrt(300) =
    // 0.007 %, and its slope is negative by many sigma.
    TempDir dir;
    ASSERT_EQ(run_calo("simulate -o " + (dir / "d") + " --events 300 --energy 10:500 --seed 4").exit_code, 0);
    auto const r = run_calo("inspect --fit-sampling-fraction 1 " + (dir / "d"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const at = r.output.find("--set 'train.sampling_fraction=[");
    ASSERT_NE(at, std::string::npos) << r.output;
    auto const begin = r.output.find('[', at), end = r.output.find(']', at);
    double slope = 0, intercept = 0;
    ASSERT_EQ(std::sscanf(r.output.substr(begin, end - begin + 1).c_str(), "[%lf, %lf]", &slope, &intercept), 2)
        << r.output;
    EXPECT_LT(slope, -0.03) << r.output;
    EXPECT_GT(slope, -0.15) << r.output;
    double const middle = intercept + slope * 2.55;  // 255 GeV
    EXPECT_NEAR(middle, 1.9, 0.1) << r.output;
    // The printed setting is accepted by training as it stands.
    std::string const setting = r.output.substr(at + 7, end - at - 7 + 1);
    auto const dumped = run_calo("info --model a --set '" + setting + "' --dump-config");
    ASSERT_EQ(dumped.exit_code, 0) << dumped.output;
    EXPECT_NE(dumped.output.find("sampling_fraction = [ " + r.output.substr(begin + 1, r.output.find(',', begin) - begin - 1)),
              std::string::npos)
        << dumped.output;
    auto const json = run_calo("inspect --json --fit-sampling-fraction 4 " + (dir / "d"));
    ASSERT_EQ(json.exit_code, 0) << json.output;
    EXPECT_NE(json.output.find("\"sampling_fraction_fit\""), std::string::npos) << json.output;
    EXPECT_EQ(run_calo("inspect --fit-sampling-fraction 9 " + (dir / "d")).exit_code, 2);
}

TEST(InspectCommand, MissingFileIsOneLineError)
{
    TempDir dir;
    auto const r = run_calo("inspect " + (dir / "nothing.h5"));
    EXPECT_EQ(r.exit_code, 1);
    auto const lines = lines_of(r.output);
    ASSERT_EQ(lines.size(), 1u) << r.output;
    EXPECT_NE(lines[0].find("nothing.h5"), std::string::npos);
}

TEST(InspectCommand, NonHdf5FileIsOneLineError)
{
    TempDir dir;
    ASSERT_EQ(run_command("echo hello > " + (dir / "x.h5")).exit_code, 0);
    auto const r = run_calo("inspect " + (dir / "x.h5"));
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_EQ(lines_of(r.output).size(), 1u) << r.output;
}
}  // namespace calo::test
