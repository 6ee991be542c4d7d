// The inspect subcommand, run as a user would.
#include <gtest/gtest.h>

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
