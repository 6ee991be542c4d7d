// calo3dgan search on tiny data: results and export, baselines, resume,
// 1 vs 2 ranks, the asynchronous mode, the GA weights, the 3DGAN target,
// plots, and one-line errors for bad settings.
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

class SearchCommand : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        dir_ = new TempDir;
        ASSERT_EQ(run_calo("-q simulate -o " + (*dir_ / "data") + " --events 260 --energy 10:100 --seed 5").exit_code, 0);
    }
    static void TearDownTestSuite() { delete dir_; }

    //! A quick search: 160 training, 50 validation and 50 test showers,
    //! small networks, one epoch each; `extra` replaces any default it names.
    static std::string quick(std::string const& out, std::string const& extra = "", bool plots = false)
    {
        std::string args = "-q search --data " + (*dir_ / "data") + " -o " + out + " " + extra;
        for (auto const& [key, value] : {std::pair<char const*, char const*>{"--events", "160"},
                                         {"--validation-events", "50"},
                                         {"--test-events", "50"},
                                         {"--population", "4"},
                                         {"--budget", "10"},
                                         {"--epochs-per-candidate", "1"},
                                         {"--filters", "2:8"},
                                         {"--batch", "16:32"}})
            if (extra.find(std::string(key) + " ") == std::string::npos)
                args += std::string(" ") + key + " " + value;
        return plots ? args : args + " --no-plots";
    }
    static nlohmann::json results(std::string const& out)
    {
        std::ifstream in(fs::path(out) / "results.json");
        return nlohmann::json::parse(in);
    }
    //! What must not depend on ranks or interruptions: the candidates
    //! without timings and ranks.
    static nlohmann::json outcome(nlohmann::json const& r, char const* search = "search")
    {
        auto candidates = r.at(search).at("candidates");
        for (auto& c : candidates)
        {
            c.erase("rank");
            c["result"].erase("seconds");
        }
        return candidates;
    }
    static TempDir* dir_;
};
TempDir* SearchCommand::dir_ = nullptr;
}  // namespace

TEST_F(SearchCommand, SearchesWithBothBaselinesAndExportsTheBestArchitecture)
{
    auto const out = *dir_ / "run";
    auto const r = run_calo(quick(out, "--compare random,seed"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const j = results(out);
    EXPECT_EQ(j["data"]["train_events"], 160);
    EXPECT_EQ(j["data"]["validation_events"], 50);
    EXPECT_EQ(j["data"]["test_events"], 50);
    for (char const* name : {"search", "random"})
    {
        auto const& s = j.at(name);
        ASSERT_EQ(s["candidates"].size(), 10u) << name;
        EXPECT_EQ(s["evaluations"], 10) << name;
        // Population 4, elites 2: 4 + 2 + 2 + 2.
        EXPECT_EQ(s["generations"].size(), 4u) << name;
        for (auto const& c : s["candidates"])
        {
            EXPECT_GT(c["result"]["parameters"].get<int>(), 0);
            EXPECT_GT(c["result"]["operations"].get<int>(), 0);
            EXPECT_TRUE(c["result"]["details"].contains("architecture"));
            EXPECT_TRUE(c["gene_values"].contains("learning_rate"));
        }
        // The best is chosen on validation; its test error is what is reported.
        double best_validation = 1e9;
        for (auto const& c : s["candidates"])
            best_validation = std::min(best_validation, c["result"]["validation_error"].get<double>());
        EXPECT_EQ(s["validation_error"].get<double>(), best_validation) << name;
        EXPECT_EQ(s["test_error"], s["best"]["result"]["test_error"]) << name;
        EXPECT_EQ(s["best_so_far"].size(), 10u);
        EXPECT_FALSE(s["pareto_front"].empty());
        EXPECT_GT(s["candidates_per_second"].get<double>(), 0);
        EXPECT_EQ(s["load_balance"]["rank_busy_seconds"].size(), 1u);
    }
    // Random search never mutates; the evolutionary search does after generation 0.
    for (auto const& c : j["random"]["candidates"])
        EXPECT_TRUE(c["genome"]["steps"].empty());
    EXPECT_FALSE(j["search"]["candidates"][9]["genome"]["steps"].empty());
    // The fixed network with the whole budget: 10 candidates x 1 epoch.
    EXPECT_EQ(j["seed"]["epochs"], 10);
    EXPECT_EQ(j["seed"]["parameters"], 1168);
    EXPECT_EQ(j["seed"]["curve"].size(), 10u);
    // The export, and `evolve` training it.
    auto const exported = fs::path(out) / "best_architecture.json";
    ASSERT_TRUE(fs::exists(exported));
    std::ifstream in(exported);
    auto const architecture = nlohmann::json::parse(in);
    EXPECT_EQ(architecture["architecture"], j["search"]["best"]["result"]["details"]["architecture"]);
    auto const evolved = *dir_ / "evolved";
    auto const e = run_calo("-q evolve --data " + (*dir_ / "data") + " -o " + evolved + " --architecture "
                            + exported.string() + " --events 160 --test-events 50 --generations 3 --epochs 1 "
                            + "--no-plots");
    ASSERT_EQ(e.exit_code, 0) << e.output;
    auto const ej = results(evolved);
    EXPECT_EQ(ej["network"]["architecture"], architecture["architecture"]);
    EXPECT_EQ(ej["network"]["parameter_space"]["parameters"], j["search"]["best"]["result"]["parameters"]);
    EXPECT_EQ(ej["config"]["learning_rate"], architecture["architecture"]["learning_rate"]);
}

TEST_F(SearchCommand, ResumedSearchEqualsAnUninterruptedOneAndRefusesOtherSettings)
{
    auto const whole = *dir_ / "whole";
    ASSERT_EQ(run_calo(quick(whole, "--budget 12")).exit_code, 0);
    auto const parts = *dir_ / "parts";
    ASSERT_EQ(run_calo(quick(parts, "--budget 6")).exit_code, 0);
    expect_one_line_error(run_calo(quick(parts, "--budget 12")), 1, "pass --resume");
    expect_one_line_error(run_calo(quick(parts, "--budget 12 --resume --kernel 2:5")), 1,
                          "the checkpoint was made with other settings (genes = ");
    expect_one_line_error(run_calo(quick(parts, "--budget 12 --resume --seed 2")), 1, "seed = 2 now, 1 in the checkpoint");
    auto const resumed = run_calo(quick(parts, "--budget 12 --resume"));
    ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
    EXPECT_EQ(outcome(results(parts)), outcome(results(whole)));
    EXPECT_EQ(results(parts)["search"]["best"]["genome"], results(whole)["search"]["best"]["genome"]);
    expect_one_line_error(run_calo(quick(*dir_ / "nothing", "--resume")), 1, "nothing to resume");
}

TEST_F(SearchCommand, TwoRanksGiveExactlyTheSingleRankResultAndTheAsynchronousModeUsesBoth)
{
    char const* mpiexec = std::getenv("CALO3DGAN_MPIEXEC");
    if (!mpiexec || !*mpiexec)
        GTEST_SKIP() << "built without MPI";
    auto const mpirun = "OMP_NUM_THREADS=1 timeout -k 10 120 " + std::string(mpiexec)
                        + " --oversubscribe --allow-run-as-root -np 2 " + calo_binary() + " ";
    auto const one = *dir_ / "one";
    ASSERT_EQ(run_calo(quick(one)).exit_code, 0);
    auto const two = *dir_ / "two";
    auto r = run_command(mpirun + quick(two));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const j = results(two);
    EXPECT_EQ(j["search"]["ranks"], 2);
    EXPECT_EQ(outcome(j), outcome(results(one)));
    // Candidate k of a generation on rank k mod 2.
    EXPECT_EQ(j["search"]["candidates"][1]["rank"], 1);
    EXPECT_EQ(j["search"]["load_balance"]["rank_busy_seconds"].size(), 2u);

    auto const steady = *dir_ / "steady";
    r = run_command(mpirun + quick(steady, "--asynchronous"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const s = results(steady)["search"];
    EXPECT_EQ(s["mode"], "asynchronous");
    ASSERT_EQ(s["candidates"].size(), 10u);
    int on_rank[2] = {0, 0};
    for (auto const& c : s["candidates"])
        ++on_rank[c["rank"].get<int>()];
    EXPECT_GT(on_rank[0], 0);
    EXPECT_GT(on_rank[1], 0);
    // Its first `population` candidates are generation 0 of the generational search.
    for (int k = 0; k < 4; ++k)
    {
        bool found = false;
        for (auto const& c : s["candidates"])
            found = found || c["genome"] == j["search"]["candidates"][k]["genome"];
        EXPECT_TRUE(found) << k;
    }
}

TEST_F(SearchCommand, EvolvesArchitectureAndWeightsTogetherWithTheGa)
{
    auto const out = *dir_ / "ga";
    auto const r = run_calo(quick(out, "--weights ga --budget 6"));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const j = results(out);
    ASSERT_EQ(j["search"]["candidates"].size(), 6u);
    EXPECT_EQ(j["config"]["weights"], "ga");
    // Trained weights: better than a random network (relative error ~1).
    EXPECT_LT(j["search"]["validation_error"].get<double>(), 0.9);
}

TEST_F(SearchCommand, SearchesThreeDganHyperParametersOnTheFigureOfMerit)
{
    auto const out = *dir_ / "gan";
    auto const r = run_calo("-q search --target 3dgan --config " + source_dir() + "/configs/3dgan-a.toml" + " --data "
                            + (*dir_ / "data") + " -o " + out
                            + " --events 60 --validation-events 40 --test-events 40 --population 2 --elites 1 --budget 3 "
                              "--steps-per-candidate 1 --gan-batch 4:8 --generator-filters 4:8 "
                              "--discriminator-filters 4:8 --no-plots");
    ASSERT_EQ(r.exit_code, 0) << r.output;
    auto const j = results(out);
    ASSERT_EQ(j["search"]["candidates"].size(), 3u);
    for (auto const& c : j["search"]["candidates"])
    {
        EXPECT_GT(c["result"]["validation_error"].get<double>(), 0) << "a figure of merit";
        EXPECT_GT(c["result"]["parameters"].get<int>(), 1000);
        EXPECT_TRUE(c["result"]["details"]["config"].contains("learning_rate"));
    }
    EXPECT_TRUE(fs::exists(fs::path(out) / "best_config.json"));
    EXPECT_FALSE(fs::exists(fs::path(out) / "candidates-rank0")) << "candidate runs are cleaned up";
}

TEST_F(SearchCommand, DrawsTheFigures)
{
    if (run_command(python() + " -c 'import matplotlib'").exit_code != 0)
        GTEST_SKIP() << "no matplotlib";
    auto const out = *dir_ / "plots";
    auto const bin = fs::path(python()).parent_path().string();
    auto const r = run_command("PATH=" + bin + ":$PATH " + calo_binary() + " "
                               + quick(out, "--budget 6 --compare random,seed", true));
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output.find("plots not drawn"), std::string::npos) << r.output;
    EXPECT_GT(fs::file_size(fs::path(out) / "search.png"), 1000u);
    EXPECT_GT(fs::file_size(fs::path(out) / "pareto.png"), 1000u);
}

TEST_F(SearchCommand, BadSettingsAreOneLineErrors)
{
    auto const out = *dir_ / "bad";
    expect_one_line_error(run_calo(quick(out, "--kernel 7:2")), 2, "--kernel 7:2 is inverted");
    expect_one_line_error(run_calo(quick(out, "--filters 5:7")), 2, "--filters 5:7 is empty");
    expect_one_line_error(run_calo(quick(out, "--learning-rate 1e-2:1e-4")), 2, "is inverted");
    expect_one_line_error(run_calo(quick(out, "--activations ''")), 2, "--activations is empty");
    expect_one_line_error(run_calo(quick(out, "--activations relu,swish")), 2, "unknown activation 'swish'");
    expect_one_line_error(run_calo(quick(out, "--conv-layers 1:5")), 2, "is outside 1:3");
    expect_one_line_error(run_calo(quick(out, "--batch 32:abc")), 2, "is not a range");
    expect_one_line_error(run_calo(quick(out, "--budget 3")), 2, "--budget 3 is smaller than --population 4");
    expect_one_line_error(run_calo(quick(out, "--elites 4")), 2, "--elites 4 is outside [1, 3]");
    expect_one_line_error(run_calo(quick(out, "--compare grid")), 2, "--compare 'grid' is unknown");
    expect_one_line_error(run_calo(quick(out, "--weights adam")), 2, "--weights 'adam' is unknown");
    expect_one_line_error(run_calo(quick(out, "--target gan")), 2, "--target 'gan' is unknown");
    expect_one_line_error(run_calo(quick(out, "--events 300")), 1, "the data have 260 events");
    expect_one_line_error(run_calo("-q evolve --data " + (*dir_ / "data") + " -o " + out
                                   + " --architecture /nonexistent.json"),
                          1, "cannot read the architecture file");
}
}  // namespace calo::test
