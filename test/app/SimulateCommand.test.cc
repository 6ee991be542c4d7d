// The simulate subcommand, run as a user would.
#include <gtest/gtest.h>

#include <filesystem>

#include "CliHelpers.hh"

namespace calo::test
{
TEST(SimulateCommand, WritesFilesOfRequestedSize)
{
    TempDir dir;
    auto const r = run_calo("simulate -o " + (dir / "d") + " --events 25 --events-per-file 10 --energy 10:50 --seed 3");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(list_files(dir / "d"),
              (std::vector<std::string>{"EleEscan_000.h5", "EleEscan_001.h5", "EleEscan_002.h5"}));
    auto const inspect = run_calo("inspect --json " + (dir / "d"));
    ASSERT_EQ(inspect.exit_code, 0) << inspect.output;
    EXPECT_NE(inspect.output.find("\"events\": 25"), std::string::npos) << inspect.output;
}

TEST(SimulateCommand, SecondWriterOfTheFolderIsRefused)
{
    // util-linux flock holds the folder's lock, as a running simulate would,
    // while it runs a second simulate into the same folder.
    TempDir dir;
    std::filesystem::create_directories(dir / "d");
    auto const r = calo::test::run_command("flock " + (dir / "d/.calo3dgan.lock") + " " + calo::test::calo_binary() +
                                           " simulate -o " + (dir / "d") + " --events 5 --energy 10 --seed 3");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("another calo3dgan process is writing the folder " + (dir / "d")), std::string::npos)
        << r.output;
    EXPECT_FALSE(std::filesystem::exists(dir / "d/EleEscan_000.h5"));
}

TEST(SimulateCommand, SameSeedBitIdenticalForAnyThreadCount)
{
    TempDir dir;
    std::string const common = " --events 12 --energy 2:500 --format b --theta 60:120 --seed 11";
    ASSERT_EQ(run_calo("simulate -o " + (dir / "t1") + common + " --threads 1").exit_code, 0);
    ASSERT_EQ(run_calo("simulate -o " + (dir / "t2") + common + " --threads 2").exit_code, 0);
    ASSERT_EQ(run_calo("simulate -o " + (dir / "t3") + common + " --threads 3").exit_code, 0);
    std::string const name = "EleEscan_RandomAngle_000.h5";
    auto const reference = read_bytes(dir / ("t1/" + name));
    ASSERT_FALSE(reference.empty());
    EXPECT_EQ(reference, read_bytes(dir / ("t2/" + name)));
    EXPECT_EQ(reference, read_bytes(dir / ("t3/" + name)));
    // A different seed gives different showers.
    ASSERT_EQ(run_calo("simulate -o " + (dir / "s") + " --events 12 --energy 2:500 --format b --theta 60:120 --seed 12")
                  .exit_code,
              0);
    EXPECT_NE(reference, read_bytes(dir / ("s/" + name)));
}

TEST(SimulateCommand, RefusesExistingOutputUnlessOverwrite)
{
    TempDir dir;
    std::string const args = "simulate -o " + (dir / "d") + " --events 3 --energy 10";
    ASSERT_EQ(run_calo(args).exit_code, 0);
    auto const before = read_bytes(dir / "d/EleEscan_000.h5");
    expect_one_line_error(run_calo(args + " --seed 9"), 1, "--overwrite");
    EXPECT_EQ(before, read_bytes(dir / "d/EleEscan_000.h5"));
    auto const again = run_calo(args + " --seed 9 --overwrite");
    EXPECT_EQ(again.exit_code, 0) << again.output;
    EXPECT_NE(before, read_bytes(dir / "d/EleEscan_000.h5"));
}

TEST(SimulateCommand, BadOptionsGiveOneLineAndExitTwo)
{
    TempDir dir;
    std::string const out = " -o " + (dir / "d");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --bogus"), 2, "bogus");
    expect_one_line_error(run_calo("simulate" + out + " --events 0"), 2, "--events");
    expect_one_line_error(run_calo("simulate" + out + " --events -4"), 2, "--events");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --energy 500:2"), 2, "--energy");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --energy -3"), 2, "--energy");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --energy -3:10"), 2, "--energy");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --energy abc"), 2, "--energy");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --theta 120:60 --format b"), 2, "--theta");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --theta 60:120"), 2, "--format b");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --particle proton"), 2, "proton");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --format c"), 2, "format");
    expect_one_line_error(run_calo("simulate" + out + " --events 5 --events-per-file 0"), 2, "--events-per-file");
    EXPECT_FALSE(std::filesystem::exists(dir / "d")) << "nothing may be written on bad options";
}

TEST(SimulateCommand, UnwritableOutputIsAnError)
{
    TempDir dir;
    auto const blocker = dir / "file";
    ASSERT_EQ(run_command("touch " + blocker).exit_code, 0);
    expect_one_line_error(run_calo("simulate -o " + blocker + " --events 2"), 1, blocker);
    expect_one_line_error(run_calo("simulate -o /proc/calo3dgan_test --events 2"), 1, "/proc/calo3dgan_test");
}

TEST(SimulateCommand, InterruptLeavesNoTruncatedFile)
{
    TempDir dir;
    // Large enough to still be running after one second, small files so some complete.
    auto const r = run_command("timeout --preserve-status -s INT 1.5 " + calo_binary() + " simulate -o " + (dir / "d")
                               + " --events 200000 --events-per-file 200 --energy 500 --threads 1");
    EXPECT_EQ(r.exit_code, 130) << r.output;
    EXPECT_NE(r.output.find("interrupted"), std::string::npos) << r.output;
    for (auto const& name : list_files(dir / "d"))
    {
        EXPECT_NE(name[0], '.') << "temporary file left behind: " << name;
        // Every file that is there is complete and readable.
        auto const inspect = run_calo("inspect --json " + (dir / ("d/" + name)));
        EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
        EXPECT_NE(inspect.output.find("\"events\": 200"), std::string::npos) << inspect.output;
    }
}
}  // namespace calo::test

namespace calo::test
{
// A file system that fills up: HDF5 reports ENOSPC. The writer must end with
// one line and exit 1, leaving nothing behind; simulate used to crash in
// HDF5's clean-up at exit (139) after a failed close.
TEST(SimulateCommand, FullDiskGivesOneLineAndLeavesNothing)
{
    TempDir dir;
    auto const mount = dir / "small";
    std::filesystem::create_directories(mount);
    if (run_command("mount -t tmpfs -o size=2M tmpfs " + mount).exit_code != 0)
        GTEST_SKIP() << "cannot mount a 2 MB tmpfs here (needs root): full-disk behaviour not tested";
    struct Unmount
    {
        std::string path;
        ~Unmount() { run_command("umount " + path); }
    } const unmount{mount};

    expect_one_line_error(run_calo("-q simulate -o " + mount + "/data --events 3000 --energy 100"), 1,
                          "No space left on device");
    EXPECT_TRUE(std::filesystem::is_empty(mount + "/data")) << "a partial or temporary file was left";
    // The same on a disk that is full from the start.
    ASSERT_EQ(run_command("dd if=/dev/zero of=" + mount + "/fill bs=1k count=4096 2>/dev/null; true").exit_code, 0);
    expect_one_line_error(run_calo("-q simulate -o " + mount + "/more --events 10 --energy 100"), 1, "");
}
}  // namespace calo::test
