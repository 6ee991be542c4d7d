// The train and info subcommands, run as a user would.
#include <gtest/gtest.h>

#include <filesystem>

#include "CliHelpers.hh"

namespace calo::test
{
namespace
{
class TrainCommand : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "a") + " --events 12 --energy 20:200 --seed 4").exit_code, 0);
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "b") + " --events 4 --format b --theta 60:120 --energy "
                           "100:200 --seed 5")
                      .exit_code,
                  0);
    }
    static void TearDownTestSuite() { delete dir_; }
    static std::string quick(std::string const& run)
    {
        return "-q train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / "a") + " -o " + run
               + " --batch 2 --batches-per-epoch 1 --test-events 2";
    }
    static TempDir* dir_;
};
TempDir* TrainCommand::dir_ = nullptr;
}  // namespace

TEST_F(TrainCommand, QuickRunWritesCheckpointsAndResumes)
{
    std::string const run = *dir_ / "run";
    auto const r = run_calo(quick(run) + " --epochs 1");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    for (char const* name : {"config.toml", "history.json", "latest", "checkpoints/epoch0001.pt"})
        EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(run) / name)) << name;
    // Again without --resume: refused, nothing touched.
    expect_one_line_error(run_calo(quick(run) + " --epochs 2"), 1, "--resume");
    auto const resumed = run_calo(quick(run) + " --epochs 2 --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(run) / "checkpoints/epoch0002.pt"));
}

TEST_F(TrainCommand, StepsCapTheWholeRun)
{
    // 11 training events at batch 2: 5 batches per epoch. `--steps 7` without
    // --epochs (the preset has 50) trains epoch 1 and 2 batches of epoch 2,
    // which ends there; the per-epoch cap is --batches-per-epoch.
    namespace fs = std::filesystem;
    std::string const run = *dir_ / "run_steps";
    auto const r = run_calo("-q train --config a --data " + (*dir_ / "a") + " -o " + run +
                            " --batch 2 --steps 7 --test-events 2");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0001.pt"));
    EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0002.pt"));
    EXPECT_FALSE(fs::exists(fs::path(run) / "checkpoints/epoch0003.pt"));
    // --resume --steps 2 trains 2 more batches: epoch 3, cut short.
    auto const resumed = run_calo("-q train --config a --data " + (*dir_ / "a") + " -o " + run +
                                  " --batch 2 --steps 2 --test-events 2 --resume");
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0003.pt"));
    EXPECT_FALSE(fs::exists(fs::path(run) / "checkpoints/epoch0004.pt"));
}

TEST_F(TrainCommand, CtrlCSavesACheckpoint)
{
    std::string const run = *dir_ / "run_interrupt";
    auto const r = run_command("timeout --preserve-status -s INT 6 " + calo_binary() + " " + quick(run)
                               + " --epochs 1000");
    EXPECT_EQ(r.exit_code, 130) << r.output;
    EXPECT_NE(r.output.find("--resume"), std::string::npos) << r.output;
    EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(run) / "latest")) << r.output;
}

TEST_F(TrainCommand, BadInputIsOneLine)
{
    std::string const cfg = " --config " + source_dir() + "/configs/3dgan-a.toml";
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "b") + " -o " + (*dir_ / "x1")), 1,
                          "does not fit");
    std::filesystem::create_directories(*dir_ / "empty");
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "empty") + " -o " + (*dir_ / "x2")), 1,
                          "empty");
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "a") + " -o " + (*dir_ / "x3") + " --resume"),
                          1, "nothing to resume");
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "a") + " -o " + (*dir_ / "x4")
                                   + " --set train.no_such_key=1"),
                          1, "no_such_key");
    expect_one_line_error(run_calo("train --config " + (*dir_ / "missing.toml") + " --data " + (*dir_ / "a") + " -o "
                                   + (*dir_ / "x5")),
                          1, "missing.toml");
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "a") + " -o " + (*dir_ / "x6")
                                   + " --device tpu"),
                          2, "tpu");
    expect_one_line_error(run_calo("train" + cfg + " --data " + (*dir_ / "a") + " -o " + (*dir_ / "x7")
                                   + " --batch 64"),
                          1, "batch");
}

TEST(InfoCommand, PrintsLayerTablesAndCounts)
{
    auto const a = run_calo("info --model a");
    ASSERT_EQ(a.exit_code, 0) << a.output;
    EXPECT_NE(a.output.find("872,808"), std::string::npos) << a.output;
    EXPECT_NE(a.output.find("73,402"), std::string::npos) << a.output;
    auto const b = run_calo("info --model b");
    ASSERT_EQ(b.exit_code, 0) << b.output;
    EXPECT_NE(b.output.find("1,364,983"), std::string::npos) << b.output;
    EXPECT_NE(b.output.find("87,354"), std::string::npos) << b.output;
    EXPECT_EQ(run_calo("info --model c").exit_code, 2);
}
TEST_F(TrainCommand, PresetNamesAreNeverReadAsFiles)
{
    // The suite's data folder is called "a": --config a still means model A
    auto const r = run_command("cd " + dir_->path().string() + " && " + calo_binary() + " train --config a --dump-config");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("name = '3dgan-a'"), std::string::npos) << r.output;
}
}  // namespace calo::test
