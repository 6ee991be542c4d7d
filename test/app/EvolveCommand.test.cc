// calo3dgan evolve on tiny data: the results file, resume, 1 vs 2 ranks, plots
// and one-line errors for bad settings.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "CliHelpers.hh"

namespace calo::test
{
namespace
{
namespace fs = std::filesystem;

class EvolveCommand : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "data") + " --events 260 --energy 10:100 --seed 5").exit_code, 0);
    }
    static void TearDownTestSuite() { delete dir_; }

    //! A quick run: 200 training and 60 test showers, minibatches of 40;
    //! `extra` replaces any default it names.
    static std::string quick(std::string const& out, std::string const& extra = "", bool plots = false)
    {
        std::string args = "-q evolve --data " + (*dir_ / "data") + " -o " + out + " " + extra;
        for (auto const& [key, value] : {std::pair<char const*, char const*>{"--events", "200"},
                                         {"--test-events", "60"},
                                         {"--batch", "40"},
                                         {"--epochs", "3"},
                                         {"--mutation-power", "0.01"}})
            if (extra.find(std::string(key) + " ") == std::string::npos)
                args += std::string(" ") + key + " " + value;
        return plots ? args : args + " --no-plots";
    }
    static nlohmann::json results(std::string const& out)
    {
        std::ifstream in(fs::path(out) / "results.json");
        return nlohmann::json::parse(in);
    }
    //! What must not depend on ranks or interruptions: everything but timings.
    static nlohmann::json ga_outcome(nlohmann::json const& r)
    {
        auto ga = r.at("ga");
        for (auto const* key : {"seconds", "evaluations_per_second", "seconds_to_10_percent", "ranks"})
            ga.erase(key);
        ga["history"].erase("seconds");
        return ga;
    }
    static TempDir* dir_;
};
TempDir* EvolveCommand::dir_ = nullptr;
}  // namespace

TEST_F(EvolveCommand, RunsTheGaAndRmspropAndReportsBothOnTheSameAxes)
{
    auto const out = *dir_ / "run";
    auto const r = run_calo(quick(out, "--generations 20"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(fs::exists(fs::path(out) / "checkpoint.json"));
    auto const j = results(out);
    EXPECT_EQ(j["config"]["parents"], 8);
    EXPECT_EQ(j["config"]["lambda"], 8);
    EXPECT_EQ(j["network"]["parameter_space"]["parameters"], 1168);
    EXPECT_EQ(j["data"]["train_events"], 200);
    EXPECT_EQ(j["data"]["test_events"], 60);
    for (char const* method : {"ga", "rmsprop"})
    {
        auto const& m = j.at(method);
        double const error = m["test_relative_error"];
        EXPECT_GT(error, 0) << method;
        EXPECT_EQ(m["energy_bins"].size(), 10u) << method;
        EXPECT_EQ(m["estimate"]["estimated_gev"].size(), 60u) << method;
        auto const& test_loss = m["history"]["test_loss"];
        // The last point is the final network: its test loss is the reported error.
        EXPECT_NEAR(test_loss.back().get<double>(), error, 1e-6) << method;
        // Both learn: from a random start (relative error ~1) to well below it.
        EXPECT_LT(error, 0.5 * test_loss.front().get<double>()) << method;
    }
    // 5 minibatches per epoch: GA points after 1, 5, 10, 15, 20 and 21 minibatches.
    EXPECT_EQ(j["ga"]["history"]["minibatches"], nlohmann::json({1, 5, 10, 15, 20, 21}));
    EXPECT_EQ(j["rmsprop"]["history"]["minibatches"], nlohmann::json({0, 5, 10, 15}));
    EXPECT_EQ(j["ga"]["generations"]["best_loss"].size(), 21u);  // generations 0..20
    EXPECT_EQ(j["ga"]["fitness_evaluations"], 8 + 20 * 9);
    EXPECT_FALSE(j["ga"]["parent"]["steps"].empty());
}

TEST_F(EvolveCommand, ResumedGaEqualsAnUninterruptedOneAndRefusesOtherSettings)
{
    auto const whole = *dir_ / "whole";
    ASSERT_EQ(run_calo(quick(whole, "--generations 24 --no-rmsprop")).exit_code, 0);
    auto const parts = *dir_ / "parts";
    ASSERT_EQ(run_calo(quick(parts, "--generations 10 --no-rmsprop")).exit_code, 0);
    // Without --resume the folder is protected.
    expect_one_line_error(run_calo(quick(parts, "--generations 24 --no-rmsprop")), 1, "pass --resume");
    expect_one_line_error(run_calo(quick(parts, "--generations 24 --no-rmsprop --resume --mutation-rate 0.3")), 1,
                          "mutation_rate = 0.3 now, 0.1 in the checkpoint");
    auto const resumed = run_calo(quick(parts, "--generations 24 --no-rmsprop --resume"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(ga_outcome(results(parts)), ga_outcome(results(whole)));
    expect_one_line_error(run_calo(quick(*dir_ / "nothing", "--resume")), 1, "nothing to resume");
}

TEST_F(EvolveCommand, TwoRanksGiveExactlyTheSingleRankResult)
{
    char const* mpiexec = std::getenv("CALO3DGAN_MPIEXEC");
    if (!mpiexec || !*mpiexec)
        GTEST_SKIP() << "built without MPI";
    auto const one = *dir_ / "one";
    ASSERT_EQ(run_calo(quick(one, "--generations 15 --no-rmsprop")).exit_code, 0);
    auto const two = *dir_ / "two";
    auto const r = run_command("OMP_NUM_THREADS=1 timeout -k 10 120 " + std::string(mpiexec)
                               + " --oversubscribe --allow-run-as-root -np 2 " + calo_binary() + " "
                               + quick(two, "--generations 15 --no-rmsprop"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const j = results(two);
    EXPECT_EQ(j["ga"]["ranks"], 2);
    EXPECT_EQ(ga_outcome(j), ga_outcome(results(one)));
}

TEST_F(EvolveCommand, DrawsTheFigures)
{
    if (run_command(python() + " -c 'import matplotlib'").exit_code != 0)
        GTEST_SKIP() << "no matplotlib";
    auto const out = *dir_ / "plots";
    // The Python that has matplotlib first on the PATH.
    auto const bin = fs::path(python()).parent_path().string();
    auto const r = run_command("PATH=" + bin + ":$PATH " + calo_binary() + " "
                               + quick(out, "--generations 5 --epochs 1", true));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("plots not drawn"), std::string::npos) << r.output;
    EXPECT_GT(fs::file_size(fs::path(out) / "losses.png"), 1000u);
    EXPECT_GT(fs::file_size(fs::path(out) / "energy.png"), 1000u);
}

TEST_F(EvolveCommand, BadSettingsAndDataAreOneLineErrors)
{
    auto const out = *dir_ / "bad";
    expect_one_line_error(run_calo(quick(out, "--lambda 0")), 2, "--lambda 0 is invalid");
    expect_one_line_error(run_calo(quick(out, "--parents -1")), 2, "--parents -1 is invalid");
    expect_one_line_error(run_calo(quick(out, "--mutation-rate 1.5")), 2, "outside [0, 1]");
    expect_one_line_error(run_calo(quick(out, "--mutation-rate -0.1")), 2, "outside [0, 1]");
    expect_one_line_error(run_calo(quick(out, "--mutation-power 0")), 2, "is not positive");
    expect_one_line_error(run_calo(quick(out, "--mutation-power -0.5")), 2, "is not positive");
    expect_one_line_error(run_calo(quick(out, "--mutation cauchy")), 2, "unknown mutation distribution");
    expect_one_line_error(run_calo(quick(out, "--step-size 1/5")), 2, "unknown step-size rule");
    expect_one_line_error(run_calo(quick(out, "--events 20")), 2, "less than one --batch");
    expect_one_line_error(run_calo(quick(out, "--test-events 100")), 1, "the data have 260 events");
    // A file with showers but no primary energy.
    auto const script = *dir_ / "no_energy.py";
    std::ofstream(script) << "import h5py, numpy, sys\n"
                             "with h5py.File(sys.argv[1], 'w') as f:\n"
                             "    f['ECAL'] = numpy.ones((300, 25, 25, 25), dtype='float32')\n";
    fs::create_directories(*dir_ / "no_energy");
    ASSERT_EQ(run_command(python() + " " + script + " " + (*dir_ / "no_energy/a.h5")).exit_code, 0);
    expect_one_line_error(run_calo("evolve --data " + (*dir_ / "no_energy") + " -o " + out), 1,
                          "missing primary energy");
}
}  // namespace calo::test
