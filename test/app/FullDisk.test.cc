// Full disks, read-only folders and vanished inputs, for every command that
// writes: one line, exit 1, nothing earlier lost, no temporary left behind.
// Small file systems are tmpfs mounts (root only; skipped otherwise).
#include <gtest/gtest.h>

#include <filesystem>

#include "CliHelpers.hh"
#include "ErrorMessage.hh"

namespace fs = std::filesystem;

namespace calo::test
{
namespace
{
//! A tmpfs of `size` (mount(8) syntax: 1M, 200k) on a new folder; unmounted
//! at the end. `ok` is false where mounting is not permitted.
struct SmallDisk
{
    std::string path;
    bool ok = false;

    SmallDisk(std::string where, std::string const& size) : path(std::move(where))
    {
        fs::create_directories(path);
        ok = run_command("mount -t tmpfs -o size=" + size + " tmpfs " + path).exit_code == 0;
    }
    ~SmallDisk()
    {
        if (ok)
            run_command("umount " + path);
    }
    std::string operator/(std::string const& name) const { return path + "/" + name; }
    //! Take every free byte, as another writer on the same disk would.
    void fill() const { run_command("dd if=/dev/zero of=" + path + "/fill bs=64k 2>/dev/null; true"); }
    void free_up() const { fs::remove(path + "/fill"); }
    void make_read_only() const { ASSERT_EQ(run_command("mount -o remount,ro " + path).exit_code, 0); }
};

#define CALO_REQUIRE_MOUNT(disk) \
    if (!(disk).ok)              \
    GTEST_SKIP() << "cannot mount a tmpfs here (needs root): full-disk and read-only behaviour not tested"

//! Names in `dir` and below that a failed write must not leave: temporaries
//! (".name.tmpPID_N", "name.tmp-PID"); the lock file stays by design.
std::vector<std::string> temporaries(std::string const& dir)
{
    std::vector<std::string> found;
    if (!fs::exists(dir))
        return found;
    for (auto const& entry : fs::recursive_directory_iterator(dir))
    {
        auto const name = entry.path().filename().string();
        if (name != ".calo3dgan.lock" && (name[0] == '.' || name.find(".tmp") != std::string::npos))
            found.push_back(entry.path().string());
    }
    return found;
}

class FullDisk : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        for (auto const& [name, args] : {std::pair{"a", "--events 12 --energy 20:200 --seed 4"},
                                         std::pair{"ref", "--events 200 --energy 20:200 --seed 1"},
                                         std::pair{"cand", "--events 200 --energy 20:200 --seed 2"},
                                         std::pair{"ed", "--events 260 --energy 10:100 --seed 5"}})
        {
            auto const r = run_calo(std::string("-q simulate -o ") + (*dir_ / name) + " " + args);
            ASSERT_EQ(r.exit_code, 0) << r.output;
        }
        auto const t = run_calo(train(*dir_ / "run") + " --epochs 1");
        ASSERT_EQ(t.exit_code, 0) << t.output;
    }
    static void TearDownTestSuite() { delete dir_; }

    //! One epoch writes a checkpoint of 7.6 MB (model A).
    static std::string train(std::string const& run)
    {
        return "-q train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / "a") + " -o " + run
               + " --batch 2 --batches-per-epoch 1 --test-events 2";
    }
    static std::string evolve(std::string const& out)
    {
        return "-q evolve --data " + (*dir_ / "ed") + " -o " + out
               + " --events 200 --test-events 60 --batch 40 --epochs 3 --mutation-power 0.01 --no-plots"
                 " --checkpoint-every 2 --no-rmsprop";
    }
    static std::string search(std::string const& out)
    {
        return "-q search --data " + (*dir_ / "ed") + " -o " + out
               + " --events 160 --validation-events 50 --test-events 50 --population 4 --epochs-per-candidate 1"
                 " --filters 2:8 --batch 16:32 --no-plots";
    }
    static std::string validate(std::string const& out)
    {
        return "-q validate --reference " + (*dir_ / "ref") + " --candidate " + (*dir_ / "cand") + " -o " + out
               + " --classifier-epochs 2 --classifier-events 100";
    }
    static TempDir* dir_;
};
TempDir* FullDisk::dir_ = nullptr;
}  // namespace

// The second epoch's checkpoint does not fit: the first one and `latest`
// stay and load, and the run resumes once there is room.
TEST_F(FullDisk, TrainKeepsThePreviousCheckpoint)
{
    SmallDisk const disk(*dir_ / "train_disk", "12M");
    CALO_REQUIRE_MOUNT(disk);
    auto const run = disk / "run";
    expect_one_line_error(run_calo(train(run) + " --epochs 3"), 1, "No space left on device");
    EXPECT_EQ(list_files(run + "/checkpoints"), std::vector<std::string>{"epoch0001.pt"});
    EXPECT_EQ(read_bytes(run + "/latest"), "epoch0001.pt\n");
    EXPECT_EQ(temporaries(run), std::vector<std::string>{});
    auto const g = run_calo("-q generate --checkpoint " + run + " -n 2 --energy 100 -o " + (*dir_ / "after_train.h5"));
    EXPECT_EQ(g.exit_code, 0) << g.output;
    ASSERT_EQ(run_command("mount -o remount,size=32M " + disk.path).exit_code, 0);
    auto const resumed = run_calo(train(run) + " --epochs 3 --resume");
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
}

TEST_F(FullDisk, GenerateKeepsTheEarlierOutput)
{
    SmallDisk const disk(*dir_ / "generate_disk", "1M");
    CALO_REQUIRE_MOUNT(disk);
    std::string const generate = "-q generate --checkpoint " + (*dir_ / "run") + " --energy 100 -o " + disk / "g.h5";
    expect_one_line_error(run_calo(generate + " -n 300"), 1, "No space left on device");
    EXPECT_EQ(list_files(disk.path), std::vector<std::string>{});
    // An earlier output that --overwrite would replace stays as it was.
    ASSERT_EQ(run_calo(generate + " -n 2").exit_code, 0);
    auto const before = read_bytes(disk / "g.h5");
    expect_one_line_error(run_calo(generate + " -n 300 --overwrite"), 1, "No space left on device");
    EXPECT_EQ(read_bytes(disk / "g.h5"), before);
    EXPECT_EQ(list_files(disk.path), std::vector<std::string>{"g.h5"});
}

TEST_F(FullDisk, ValidateLeavesNoTemporary)
{
    {
        // metrics.json itself does not fit (400 kB).
        SmallDisk const disk(*dir_ / "validate_small", "200k");
        CALO_REQUIRE_MOUNT(disk);
        expect_one_line_error(run_calo(validate(disk / "report")), 1,
                              "cannot write metrics.json (where: " + disk / "report/metrics.json: No space left on device");
        EXPECT_EQ(list_files(disk / "report"), std::vector<std::string>{});
    }
    {
        // The plots fit, report.html (1 MB) does not: the plotting script's
        // temporary was left behind.
        SmallDisk const disk(*dir_ / "validate_large", "1400k");
        CALO_REQUIRE_MOUNT(disk);
        auto const r = run_calo(validate(disk / "report"));
        ASSERT_EQ(r.exit_code, 1) << r.output;
        EXPECT_CONTAINS(r.output, "validation_report.py failed: validation_report.py: No space left on device");
        EXPECT_EQ(temporaries(disk.path), std::vector<std::string>{});
        EXPECT_FALSE(fs::exists(disk / "report/report.html"));
    }
}

/*!
 * `first` runs with room; then the disk is full and `resume` must end at its
 * first checkpoint with `message`, the earlier checkpoint.json kept byte for
 * byte and nothing temporary left; with room again, `resume` succeeds.
 */
static void expect_resume_keeps_checkpoint(SmallDisk const& disk, std::string const& out, std::string const& first,
                                           std::string const& resume, std::string const& message)
{
    ASSERT_EQ(run_calo(first).exit_code, 0);
    auto const before = read_bytes(out + "/checkpoint.json");
    disk.fill();
    expect_one_line_error(run_calo(resume), 1,
                          message + " (where: " + out + "/checkpoint.json: No space left on device)");
    EXPECT_EQ(read_bytes(out + "/checkpoint.json"), before);
    EXPECT_EQ(temporaries(out), std::vector<std::string>{});
    disk.free_up();
    auto const resumed = run_calo(resume);
    EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
}

// A GA run checkpoints every 2 generations; a resume on a full disk ends at
// its first checkpoint and leaves the earlier one, which resumes later.
TEST_F(FullDisk, EvolveKeepsTheCheckpoint)
{
    SmallDisk const disk(*dir_ / "evolve_disk", "1M");
    CALO_REQUIRE_MOUNT(disk);
    auto const out = disk / "ev";
    expect_resume_keeps_checkpoint(disk, out, evolve(out) + " --generations 10",
                                   evolve(out) + " --generations 20 --resume", "cannot write the checkpoint");
}

TEST_F(FullDisk, SearchKeepsTheCheckpoint)
{
    SmallDisk const disk(*dir_ / "search_disk", "1M");
    CALO_REQUIRE_MOUNT(disk);
    auto const out = disk / "se";
    expect_resume_keeps_checkpoint(disk, out, search(out) + " --budget 6", search(out) + " --budget 12 --resume",
                                   "cannot write checkpoint.json");
}

TEST_F(FullDisk, ExportLeavesNothing)
{
    SmallDisk const disk(*dir_ / "export_disk", "1M");
    CALO_REQUIRE_MOUNT(disk);
    for (char const* name : {"model.h5", "model.onnx"})
    {
        auto const r = run_calo("-q export --checkpoint " + (*dir_ / "run") + " -o " + disk / name);
        expect_one_line_error(r, 1, disk / name);
        EXPECT_EQ(list_files(disk.path), std::vector<std::string>{}) << name;
    }
}

// Root may write anywhere that permissions forbid, but not on a read-only
// file system: every writing command ends with one line naming the folder.
TEST_F(FullDisk, ReadOnlyOutputIsOneLine)
{
    SmallDisk const disk(*dir_ / "read_only", "20M");
    CALO_REQUIRE_MOUNT(disk);
    fs::copy(*dir_ / "run", disk / "run", fs::copy_options::recursive);
    ASSERT_EQ(run_calo(evolve(disk / "ev") + " --generations 4").exit_code, 0);
    disk.make_read_only();
    auto const checkpoint = " --checkpoint " + (*dir_ / "run");
    expect_one_line_error(run_calo("-q simulate -o " + disk / "d" + " --events 3 --energy 10"), 1, disk / "d");
    expect_one_line_error(run_calo("-q generate" + checkpoint + " -n 2 --energy 100 -o " + disk / "g.h5"), 1,
                          disk.path);
    expect_one_line_error(run_calo(train(disk / "new") + " --epochs 1"), 1, disk / "new");
    expect_one_line_error(run_calo(train(disk / "run") + " --epochs 2 --resume"), 1, disk / "run");
    expect_one_line_error(run_calo(validate(disk / "report") + " --no-classifier"), 1, disk / "report");
    expect_one_line_error(run_calo(evolve(disk / "ev") + " --generations 8 --resume"), 1, disk / "ev");
    expect_one_line_error(run_calo(search(disk / "se") + " --budget 6"), 1, disk / "se");
    expect_one_line_error(run_calo("-q export" + checkpoint + " -o " + disk / "m.h5"), 1, disk.path);
    expect_one_line_error(run_calo("-q export" + checkpoint + " -o " + disk / "m.onnx"), 1, disk.path);
    // Reading from a read-only disk works.
    auto const g = run_calo("-q generate --checkpoint " + disk / "run" + " -n 2 --energy 100 -o " + (*dir_ / "ro.h5"));
    EXPECT_EQ(g.exit_code, 0) << g.output;
}

// Inputs deleted before the run, and a run folder whose newest checkpoint
// was deleted.
TEST_F(FullDisk, VanishedInputIsOneLine)
{
    auto const gone = *dir_ / "gone";
    fs::create_directories(gone);
    fs::remove(gone);
    auto const out = *dir_ / "vanished";
    expect_one_line_error(run_calo("-q inspect " + gone), 1, gone);
    expect_one_line_error(run_calo("-q train --data " + gone + " -o " + out + "/t --epochs 1"), 1, gone);
    expect_one_line_error(run_calo("-q generate --checkpoint " + gone + " -n 2 --energy 100 -o " + out + "/g.h5"), 1,
                          gone);
    expect_one_line_error(run_calo("-q validate --reference " + gone + " --candidate " + (*dir_ / "cand") + " -o "
                                   + out + "/v"),
                          1, gone);
    expect_one_line_error(run_calo("-q evolve --data " + gone + " -o " + out + "/e"), 1, gone);
    expect_one_line_error(run_calo("-q search --data " + gone + " -o " + out + "/s"), 1, gone);
    expect_one_line_error(run_calo("-q export --checkpoint " + gone + " -o " + out + "/m.h5"), 1, gone);
    auto const run = *dir_ / "run_without_checkpoint";
    fs::copy(*dir_ / "run", run, fs::copy_options::recursive);
    fs::remove(run + "/checkpoints/epoch0001.pt");
    expect_one_line_error(run_calo("-q generate --checkpoint " + run + " -n 2 --energy 100 -o " + out + "/g.h5"), 1,
                          run + "/checkpoints/epoch0001.pt");
    EXPECT_FALSE(fs::exists(out + "/g.h5"));
}
}  // namespace calo::test
