// calo3dgan train under mpirun, run as a user would: quiet ranks, resume on
// another rank count, and faults that must end the whole job (never hang).
//
// Each mpirun runs under `timeout`, so a hang fails the test (exit 124)
// instead of blocking it.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "CliHelpers.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

constexpr int kTimedOut = 124;  // exit status of timeout(1)

std::string mpirun()
{
    char const* path = std::getenv("CALO3DGAN_MPIEXEC");
    return (path && *path ? std::string(path) : std::string("mpirun")) + " --oversubscribe --allow-run-as-root";
}

//! `calo3dgan <args>` on each of two ranks (MPMD, so that the ranks' options
//! can differ), bounded in time; returns the result and the wall time [s].
CommandResult run_two(std::string const& rank0_args, std::string const& rank1_args, double* seconds = nullptr)
{
    auto const start = std::chrono::steady_clock::now();
    auto const result = run_command("OMP_NUM_THREADS=1 timeout -k 10 120 " + mpirun() + " -np 1 " + calo_binary()
                                    + " " + rank0_args + " : -np 1 " + calo_binary() + " " + rank1_args);
    if (seconds)
        *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

int count(std::string const& text, std::string const& fragment)
{
    int n = 0;
    for (auto pos = text.find(fragment); pos != std::string::npos; pos = text.find(fragment, pos + 1))
        ++n;
    return n;
}

class MpiTrain : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "a") + " --events 12 --energy 20:200 --seed 4").exit_code, 0);
        // Not HDF5 at all: this rank fails when it opens its input.
        fs::create_directories(*dir_ / "garbage");
        std::ofstream(*dir_ / "garbage/EleEscan_000.h5") << std::string(50000, 'x');
        // The same file with its (compressed) shower data overwritten: it
        // opens with the right event count, then a read fails mid-training.
        fs::create_directories(*dir_ / "corrupt");
        auto const source = *dir_ / "a/EleEscan_000.h5";
        auto const copy = *dir_ / "corrupt/EleEscan_000.h5";
        fs::copy_file(source, copy);
        auto const size = fs::file_size(copy);
        std::fstream f(copy, std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(static_cast<std::streamoff>(size / 4));
        f << std::string(size / 2, '\xff');
    }
    static void TearDownTestSuite() { delete dir_; }

    //! A quick run of 1-event shards.
    static std::string quick(std::string const& run, std::string const& data = "a")
    {
        return "train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / data) + " -o " + run
               + " --batch 1 --batches-per-epoch 2 --test-events 2";
    }
    static TempDir* dir_;
};
TempDir* MpiTrain::dir_ = nullptr;
}  // namespace

TEST_F(MpiTrain, TwoRanksTrainWithOneVoiceAndResumeOnAnotherRankCount)
{
    std::string const run = *dir_ / "run";
    auto const args = quick(run) + " --epochs 1 --timeline " + (*dir_ / "trace.json");
    auto const r = run_two(args, args);
    ASSERT_EQ(r.exit_code, 0) << r.output;
    // Rank 0 alone logs; rank 1 says nothing unless it fails.
    EXPECT_EQ(count(r.output, "training model"), 1) << r.output;
    EXPECT_EQ(count(r.output, "data-parallel over 2 ranks: global batch 2"), 1) << r.output;
    EXPECT_EQ(count(r.output, "training finished"), 1) << r.output;
    for (char const* name : {"config.toml", "history.json", "latest", "checkpoints/epoch0001.pt"})
        EXPECT_TRUE(fs::exists(fs::path(run) / name)) << name;
    EXPECT_TRUE(fs::exists(*dir_ / "trace.rank0.json"));
    EXPECT_TRUE(fs::exists(*dir_ / "trace.rank1.json"));

    // Continue on one process (no mpirun), then on two ranks again.
    auto const one = run_calo("-q " + quick(run) + " --epochs 2 --resume");
    ASSERT_EQ(one.exit_code, 0) << one.output;
    EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0002.pt"));
    auto const resume_args = quick(run) + " --epochs 3 --resume";
    auto const two = run_two(resume_args, resume_args);
    ASSERT_EQ(two.exit_code, 0) << two.output;
    EXPECT_NE(two.output.find("resuming from"), std::string::npos) << two.output;
    EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0003.pt"));
}

TEST_F(MpiTrain, UnreadableInputOnOneRankEndsTheJob)
{
    double seconds = 0;
    auto const r = run_two(quick(*dir_ / "run_garbage") + " --epochs 1",
                           quick(*dir_ / "run_garbage", "garbage") + " --epochs 1", &seconds);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.exit_code, kTimedOut) << "the job hung: " << r.output;
    EXPECT_NE(r.output.find("rank 1: error: not an HDF5 file"), std::string::npos) << r.output;
    EXPECT_LT(seconds, 60);
}

TEST_F(MpiTrain, CorruptDataMidRunOnOneRankEndsTheJob)
{
    // Rank 0 is inside a gradient reduction when rank 1 fails to read.
    std::string const run = *dir_ / "run_corrupt";
    double seconds = 0;
    auto const r
        = run_two(quick(run) + " --epochs 1", quick(run, "corrupt") + " --epochs 1", &seconds);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.exit_code, kTimedOut) << "the job hung: " << r.output;
    EXPECT_NE(r.output.find("rank 1: error: cannot read events"), std::string::npos) << r.output;
    EXPECT_LT(seconds, 60);
    EXPECT_FALSE(fs::exists(fs::path(run) / "latest")) << "no checkpoint of a failed batch";
}

TEST_F(MpiTrain, DivergenceStopsEveryRankAndKeepsTheLastCheckpoint)
{
    std::string const run = *dir_ / "run_diverge";
    auto const good = quick(run) + " --epochs 1";
    ASSERT_EQ(run_two(good, good).exit_code, 0);
    // Resuming with a new learning rate is refused, so diverge in a new run
    // folder and check that the first one is untouched.
    std::string const wild_run = *dir_ / "run_wild";
    auto const wild = quick(wild_run) + " --epochs 5 --set train.learning_rate=1e30";
    auto const r = run_two(wild, wild);
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.exit_code, kTimedOut) << "the job hung: " << r.output;
    EXPECT_NE(r.output.find("training diverged"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(fs::path(wild_run) / "latest"));
    std::ifstream latest(fs::path(run) / "latest");
    std::string name;
    std::getline(latest, name);
    EXPECT_EQ(name, "epoch0001.pt");
}

TEST_F(MpiTrain, MismatchedSettingsAreRefusedAtStartUp)
{
    auto const r = run_two(quick(*dir_ / "run_seed") + " --epochs 1 --seed 1",
                           quick(*dir_ / "run_seed") + " --epochs 1 --seed 2");
    EXPECT_NE(r.exit_code, 0) << r.output;
    EXPECT_NE(r.exit_code, kTimedOut) << "the job hung: " << r.output;
    EXPECT_NE(r.output.find("rank 1 has seed = 2 where rank 0 has 1"), std::string::npos) << r.output;
    EXPECT_FALSE(fs::exists(*dir_ / "run_seed/latest"));
}
TEST_F(MpiTrain, StoppedRankEndsTheJobAtTheCommunicationDeadline)
{
    // A rank that stops answering (SIGSTOP: a hung node; MPI alone would
    // wait forever in the next collective) must end the whole job within
    // --comm-timeout, with one line naming the waiting rank and the operation.
    std::string const run = *dir_ / "run_stopped";
    std::string const log = *dir_ / "stopped.log";
    std::string const script =
        "( OMP_NUM_THREADS=1 timeout -k 10 120 " + mpirun() + " -np 2 " + calo_binary() + " train --data " +
        (*dir_ / "a") + " -o " + run +
        " --epochs 100 --batch 1 --batches-per-epoch 6 --test-events 2 --seed 3 --comm-timeout 3 > " + log +
        " 2>&1; echo $? > " + log + ".rc ) &\n"
        // Rank 1 once training has started (rank 0 logged it): past MPI_Init
        "for i in $(seq 1 600); do grep -q 'training model' " + log + " 2>/dev/null && break; sleep 0.1; done\n"
        "sleep 1\n"
        "for e in /proc/[0-9]*/environ; do\n"
        "  p=${e#/proc/}; p=${p%/environ}\n"
        "  tr '\\0' '\\n' < $e 2>/dev/null | grep -qx 'OMPI_COMM_WORLD_RANK=1' || continue\n"
        "  tr '\\0' ' ' < /proc/$p/cmdline | grep -q -- '" + run + "' && kill -STOP $p && echo stopped $p && break\n"
        "done\n"
        "start=$(date +%s%N); wait; end=$(date +%s%N)\n"
        "echo \"after stop: $(( (end - start) / 1000000 )) ms, exit $(cat " + log + ".rc)\"\n";
    std::string const script_path = *dir_ / "stop_rank.sh";
    std::ofstream(script_path) << script;
    auto const r = run_command("bash " + script_path);
    auto const output = read_bytes(log);
    ASSERT_NE(r.output.find("after stop:"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("stopped "), std::string::npos) << "rank 1 was not found\n" << r.output;
    double const seconds = std::stod(r.output.substr(r.output.find("after stop:") + 11)) / 1000;
    int const exit_code = std::stoi(r.output.substr(r.output.find(", exit ") + 7));
    EXPECT_NE(exit_code, 0) << output;
    EXPECT_NE(exit_code, kTimedOut) << "the job hung until timeout(1) ended it\n" << output;
    // Rank 0 reports; the stopped rank, continued by mpirun before it is
    // killed, may find its own wait over the deadline and report as well.
    EXPECT_NE(output.find("calo3dgan: rank 0: error: no answer from the other ranks within 3 s in"), std::string::npos)
        << output;
    // The deadline (3 s) plus MPI's clean-up: well inside the 30 s aimed at.
    EXPECT_LT(seconds, 30.0) << output;
    // What was written before is intact: the latest checkpoint loads.
    if (fs::exists(fs::path(run) / "latest"))
        EXPECT_EQ(run_calo("-q generate --checkpoint " + run + " -n 2 --energy 100 -o " + (*dir_ / "after.h5"))
                      .exit_code,
                  0);
}
}  // namespace calo::test
