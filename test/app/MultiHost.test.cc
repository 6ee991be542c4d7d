// calo3dgan train and evolve under mpirun across separate hosts, with faults
// between them: a cluster of Linux network namespaces on this machine (a head
// that runs mpirun, two nodes, each on its own veth link; see
// test/app/multihost/netns-cluster.sh), Open MPI over TCP only, as between
// real hosts. Every fault must end the whole job (non-zero, one line naming
// the cause, within a bound), keep every checkpoint already written loadable,
// and `--resume` must reach the parameters of an uninterrupted run.
//
// Creating namespaces needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN); without,
// every test skips with the reason. Each mpirun runs under `timeout`, so a
// hang fails a test (exit 124) instead of blocking it.
#include <gtest/gtest.h>

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "CliHelpers.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

constexpr int kTimedOut = 124;  // exit status of timeout(1)

//! Open MPI between the namespaces: TCP only, on the cluster's own addresses.
constexpr char kTcpOnly[] = " --mca btl tcp,self --mca btl_tcp_if_include 198.18.0.0/24"
                            " --mca oob_tcp_if_include 198.18.0.0/24";
//! mpirun learns that a node is unreachable only from TCP keepalive on its
//! daemons' connections (by default 300 s + 9 x 20 s). Once the job is being
//! ended, it waits for the lost node's daemon until TCP gives up (about 15
//! minutes), so detection must come before --comm-timeout (5 s here): about
//! 2-3 s. The ranks then get SIGTERM 5 s and SIGKILL 10 s after that, time
//! enough for rank 0 to reach its deadline and report.
constexpr char kQuickLostNode[] = " --mca oob_tcp_keepalive_time 1 --mca oob_tcp_keepalive_intvl 1"
                                  " --mca oob_tcp_keepalive_probes 2 --mca odls_base_sigkill_timeout 5";
//! On SIGINT mpirun sends SIGTERM this many seconds later, SIGKILL as many
//! again: time for the batch in progress and the checkpoint (default 1 s).
constexpr char kInterruptGrace[] = " --mca odls_base_sigkill_timeout 3";
//! Exact comparison of every tensor (parameters, moving statistics) of two
//! checkpoints; torch reads libtorch's archives.
constexpr char kCompareScript[] = R"(import sys, torch
def state(path):
    m = torch.jit.load(path)
    return {**dict(m.named_parameters()), **dict(m.named_buffers())}
a, b = state(sys.argv[1]), state(sys.argv[2])
diff = sorted(k for k in a.keys() | b.keys() if k not in a or k not in b or not torch.equal(a[k], b[k]))
print("identical" if a and not diff else "differ: " + " ".join(diff))
)";

struct FaultRun
{
    int exit_code = -1;
    double seconds = -1;  //!< from the fault to the end of mpirun
    std::string output;  //!< mpirun's
};

class MultiHost : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        char const* mpiexec = std::getenv("CALO3DGAN_MPIEXEC");
        if (!mpiexec || !*mpiexec)
        {
            skip_ = "built without MPI";
            return;
        }
        mpiexec_ = mpiexec;
        if (run_command("command -v ip && command -v tc").exit_code != 0)
        {
            skip_ = "iproute2's ip and tc are not installed (scripts/setup.sh installs them)";
            return;
        }
        // Unique per process; clusters of test runs that died are removed.
        prefix_ = "calo-mh-" + std::to_string(getpid());
        run_command(cluster() + " sweep");
        auto const up = run_command(cluster() + " up " + prefix_ + " 2");
        if (up.exit_code != 0)
        {
            skip_ = "cannot create network namespaces (needs root, or CAP_NET_ADMIN and CAP_SYS_ADMIN): "
                    + (lines_of(up.output).empty() ? std::string("?") : lines_of(up.output).front());
            return;
        }
        cluster_up_ = true;
        std::ofstream(*dir_ / "hosts") << "198.18.0.10 slots=1\n198.18.0.11 slots=1\n";
        std::ofstream(*dir_ / "compare.py") << kCompareScript;
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "a") + " --events 8 --energy 20:200 --seed 4").exit_code, 0);
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "e") + " --events 260 --energy 10:100 --seed 5").exit_code, 0);
    }
    static void TearDownTestSuite()
    {
        if (cluster_up_)
            run_command(cluster() + " down " + prefix_);
        delete dir_;
    }
    void SetUp() override
    {
        if (!skip_.empty())
            GTEST_SKIP() << skip_;
        // Nothing left from the last test: links up, no shaping, no daemons.
        ASSERT_EQ(run_command(cluster() + " reset " + prefix_).exit_code, 0);
    }

    static std::string cluster() { return source_dir() + "/test/app/multihost/netns-cluster.sh"; }
    static std::string node(int i) { return prefix_ + "-" + std::to_string(i); }

    //! mpirun in the head namespace, one rank on each node, bounded in time.
    static std::string mpirun(std::string const& mca = "")
    {
        return "OMP_NUM_THREADS=1 timeout -k 10 120 ip netns exec " + prefix_ + "-h " + mpiexec_
               + " --allow-run-as-root --oversubscribe -np 2 --hostfile " + (*dir_ / "hosts")
               + " --mca plm_rsh_agent '" + cluster() + " agent " + prefix_ + "'" + kTcpOnly + mca
               + " -x OMP_NUM_THREADS ";
    }
    //! Model A on 6 training events: 3 batches of 1 per rank and epoch, a
    //! checkpoint after every batch.
    static std::string train(std::string const& run, std::string const& extra = "")
    {
        return calo_binary() + " train --config " + source_dir() + "/configs/3dgan-a.toml --data " + (*dir_ / "a")
               + " -o " + run + " --batch 1 --test-fraction 0.25 --test-events 2 --threads 1 --seed 3"
               + " --checkpoint-every 1" + extra;
    }
    //! The GA of EvolveCommand.test.cc, long enough to be cut mid-run.
    static std::string evolve(std::string const& out, std::string const& extra = "")
    {
        return calo_binary() + " -q evolve --data " + (*dir_ / "e") + " -o " + out
               + " --events 200 --test-events 60 --batch 40 --epochs 3 --mutation-power 0.01 --generations 600"
               + " --no-rmsprop --no-plots --checkpoint-every 20 --threads 1" + extra;
    }

    /*!
     * Start `command` (an mpirun) in the background, run the shell command
     * `fault` as soon as `ready` exists, and time the job from there.
     */
    static FaultRun run_with_fault(std::string const& command, std::string const& ready, std::string const& fault)
    {
        std::string const log = *dir_ / "fault.log";
        fs::remove(log + ".rc");
        std::string const script = "( " + command + " > " + log + " 2>&1; echo $? > " + log + ".rc ) &\n"
                                   "for i in $(seq 1 1200); do [ -e " + ready + " ] && break; sleep 0.05; done\n"
                                   + fault + "\n"
                                   "start=$(date +%s%N); wait; end=$(date +%s%N)\n"
                                   "echo \"after fault: $(( (end - start) / 1000000 )) ms\"\n";
        std::ofstream(*dir_ / "fault.sh") << script;
        auto const r = run_command("bash " + (*dir_ / "fault.sh"));
        FaultRun result;
        result.output = read_bytes(log);
        auto const at = r.output.find("after fault: ");
        if (at == std::string::npos)
            return result;
        result.seconds = std::stod(r.output.substr(at + 13)) / 1000;
        std::ifstream(log + ".rc") >> result.exit_code;
        return result;
    }
    //! Shell: the process ids of calo3dgan ranks in namespace `ns`.
    static std::string ranks_in(std::string const& ns)
    {
        return "$(for p in $(ip netns pids " + ns + "); do [ \"$(cat /proc/$p/comm 2>/dev/null)\" = calo3dgan ] "
               "&& echo $p; done)";
    }

    //! Every checkpoint of a run folder loads and generates.
    static void expect_checkpoints_load(std::string const& run)
    {
        int n = 0;
        for (auto const& entry : fs::directory_iterator(fs::path(run) / "checkpoints"))
        {
            auto const r = run_calo("-q generate --checkpoint " + entry.path().string() + " -n 2 --energy 100 -o "
                                    + (*dir_ / "load.h5") + " --overwrite");
            EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.output;
            ++n;
        }
        EXPECT_GT(n, 0) << "no checkpoint in " << run;
    }
    //! "identical", or what differs between two checkpoints.
    static std::string compare(std::string const& a, std::string const& b)
    {
        auto const r = run_command(python() + " " + (*dir_ / "compare.py") + " " + a + " " + b);
        return r.exit_code == 0 && !lines_of(r.output).empty() ? lines_of(r.output).back() : r.output;
    }
    //! Epoch `epoch` (1 or 2) of an uninterrupted run over the cluster.
    static std::string reference(int epoch)
    {
        static std::string const run = [] {
            std::string const path = *dir_ / "reference";
            auto const start = std::chrono::steady_clock::now();
            auto const r = run_command(mpirun() + train(path, " --epochs 2"));
            reference_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            EXPECT_EQ(r.exit_code, 0) << r.output;
            std::printf("multihost: uninterrupted run of 2 epochs: %.1f s\n", reference_seconds_);
            return path;
        }();
        return run + "/checkpoints/epoch000" + std::to_string(epoch) + ".pt";
    }
    //! Continue a run to `epochs` over the (repaired) cluster and compare.
    static void expect_resume_reaches_reference(std::string const& run, int epochs)
    {
        ASSERT_EQ(run_command(cluster() + " reset " + prefix_).exit_code, 0);
        auto const r = run_command(mpirun() + train(run, " --resume --epochs " + std::to_string(epochs)));
        ASSERT_EQ(r.exit_code, 0) << r.output;
        EXPECT_NE(r.output.find("resuming from"), std::string::npos) << r.output;
        auto const last = run + "/checkpoints/epoch000" + std::to_string(epochs) + ".pt";
        EXPECT_EQ(compare(reference(epochs), last), "identical");
    }

    static TempDir* dir_;
    static std::string skip_;
    static std::string mpiexec_;
    static std::string prefix_;
    static bool cluster_up_;
    static double reference_seconds_;
};
TempDir* MultiHost::dir_ = nullptr;
std::string MultiHost::skip_;
std::string MultiHost::mpiexec_;
std::string MultiHost::prefix_;
bool MultiHost::cluster_up_ = false;
double MultiHost::reference_seconds_ = 0;
}  // namespace

TEST_F(MultiHost, ClusterRunsTrainingOverTcpBetweenNamespaces)
{
    // Each rank on its own host name, and the same result as one host gives.
    auto const r = run_command(mpirun() + "sh -c 'echo rank $OMPI_COMM_WORLD_RANK on $(hostname)'");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(r.output.find("rank 0 on " + node(0)), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("rank 1 on " + node(1)), std::string::npos) << r.output;
    EXPECT_TRUE(fs::exists(reference(2)));
}

TEST_F(MultiHost, KilledRankEndsTheJob)
{
    // SIGKILL of rank 1 mid-epoch (after the first batch's checkpoint): its
    // daemon sees the death and mpirun ends the job (Open MPI's defaults).
    std::string const run = *dir_ / "killed";
    auto const f = run_with_fault(mpirun() + train(run, " --epochs 1"), run + "/latest",
                                  "kill -9 " + ranks_in(node(1)));
    std::printf("multihost: killed rank: exit %d, %.1f s after the kill\n", f.exit_code, f.seconds);
    EXPECT_NE(f.exit_code, 0) << f.output;
    EXPECT_NE(f.exit_code, kTimedOut) << "the job hung\n" << f.output;
    EXPECT_NE(f.output.find("process rank 1 with PID"), std::string::npos) << f.output;
    EXPECT_NE(f.output.find("exited on signal 9"), std::string::npos) << f.output;
    EXPECT_LT(f.seconds, 30.0) << f.output;
    expect_checkpoints_load(run);
    expect_resume_reaches_reference(run, 1);
}

//! A job cut off by a link going down ended through calo3dgan's 5 s deadline:
//! non-zero, not hung, rank 0 naming the wait (a gradient reduction or the
//! per-batch agreement), within 30 s after the deadline.
static void expect_deadline_ended(FaultRun const& f, char const* what)
{
    std::printf("multihost: %s: exit %d, %.1f s after the cut\n", what, f.exit_code, f.seconds);
    EXPECT_NE(f.exit_code, 0) << f.output;
    EXPECT_NE(f.exit_code, kTimedOut) << "the job hung\n" << f.output;
    EXPECT_NE(f.output.find("calo3dgan: rank 0: error: no answer from the other ranks within 5 s in"),
              std::string::npos)
        << f.output;
    EXPECT_LT(f.seconds, 5 + 30.0) << f.output;
}

TEST_F(MultiHost, CutLinkEndsTheJobAtTheCommunicationDeadline)
{
    // Node 1's link goes down mid-epoch: no reset, no error, only silence.
    std::string const run = *dir_ / "cut";
    auto const f = run_with_fault(mpirun(kQuickLostNode) + train(run, " --epochs 1 --comm-timeout 5"),
                                  run + "/latest", "ip -n " + node(1) + " link set eth0 down");
    expect_deadline_ended(f, "cut link");
    expect_checkpoints_load(run);
    expect_resume_reaches_reference(run, 1);
}

TEST_F(MultiHost, SlowLinkIsNotAFault)
{
    // Node 1's link at 20 Mbit/s (each batch exchanges ~4 MB of gradients
    // per direction): slower, but with the default --comm-timeout the run
    // completes, with exactly the parameters of the fast one.
    ASSERT_EQ(run_command("tc -n " + node(1) + " qdisc add dev eth0 root tbf rate 20mbit burst 32kbit latency 1s")
                  .exit_code,
              0);
    std::string const run = *dir_ / "slow";
    auto const start = std::chrono::steady_clock::now();
    auto const r = run_command(mpirun() + train(run, " --epochs 1"));
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(compare(reference(1), run + "/checkpoints/epoch0001.pt"), "identical");
    std::printf("multihost: slow link, 1 epoch: %.1f s (2 epochs on a fast link: %.1f s)\n", seconds,
                reference_seconds_);
}

TEST_F(MultiHost, InterruptedMpirunStopsEveryRankWithACheckpoint)
{
    // SIGINT (Ctrl-C) reaches mpirun only; it passes SIGTERM to every rank
    // on every node (after kInterruptGrace), they stop at the same batch and
    // rank 0 writes a mid-epoch checkpoint. Three epochs, so that the run is
    // still going when the signal arrives.
    std::string const run = *dir_ / "interrupted";
    std::string const mpirun_name = fs::path(mpiexec_).filename().string();
    auto const f = run_with_fault(mpirun(kInterruptGrace) + train(run, " --epochs 3"), run + "/latest",
                                  "for p in $(ip netns pids " + prefix_ + "-h); do [ \"$(cat /proc/$p/comm)\" = "
                                      + mpirun_name + " ] && kill -INT $p; done");
    std::printf("multihost: SIGINT: exit %d, %.1f s after the signal\n", f.exit_code, f.seconds);
    EXPECT_NE(f.exit_code, 0) << f.output;
    EXPECT_NE(f.exit_code, kTimedOut) << "the job hung\n" << f.output;
    EXPECT_LT(f.seconds, 30.0) << f.output;
    auto const at = f.output.find("checkpoint saved to ");
    ASSERT_NE(at, std::string::npos) << f.output;
    EXPECT_NE(f.output.find("warning: interrupted at epoch "), std::string::npos) << f.output;
    auto const saved = f.output.substr(at + 20, f.output.find(' ', at + 20) - at - 20);
    EXPECT_TRUE(fs::exists(saved)) << saved;
    expect_checkpoints_load(run);
    expect_resume_reaches_reference(run, 2);
}

TEST_F(MultiHost, CutLinkEndsAnEvolutionRunWhichResumesExactly)
{
    // calo3dgan evolve has the same deadline on its collectives.
    std::string const whole = *dir_ / "ga_whole";
    auto const straight = run_command(mpirun() + evolve(whole));
    ASSERT_EQ(straight.exit_code, 0) << straight.output;

    std::string const out = *dir_ / "ga_cut";
    auto const f = run_with_fault(mpirun(kQuickLostNode) + evolve(out, " --comm-timeout 5"),
                                  out + "/checkpoint.json", "ip -n " + node(1) + " link set eth0 down");
    expect_deadline_ended(f, "evolve, cut link");
    ASSERT_FALSE(fs::exists(out + "/results.json")) << "the run ended before the cut";

    ASSERT_EQ(run_command(cluster() + " reset " + prefix_).exit_code, 0);
    auto const resumed = run_command(mpirun() + evolve(out, " --resume"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    // Everything but timings, as in EvolveCommand.test.cc.
    auto const outcome = [](std::string const& dir) {
        auto ga = nlohmann::json::parse(read_bytes(dir + "/results.json")).at("ga");
        for (auto const* key : {"seconds", "evaluations_per_second", "seconds_to_10_percent", "ranks"})
            ga.erase(key);
        ga["history"].erase("seconds");
        return ga;
    };
    EXPECT_EQ(outcome(out), outcome(whole));
}
}  // namespace calo::test
