#include "calo3dgan/evolve/GeneticTraining.hh"

#include <gtest/gtest.h>

#include <filesystem>

#include "TestSupport.hh"
#include "ToyProblems.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/evolve/PointMutation.hh"

namespace calo::evolve
{
namespace
{
class GeneticTrainingTest : public ::testing::Test
{
  protected:
    //! A fresh strategy and loop, as a new process would have them.
    struct Run
    {
        Run(GeneticTrainingTest& t, std::int64_t generations, nlohmann::json config = {{"seed", 4}})
            : strategy(t.space_, t.mutation_, t.fitness_, Communicator::world(), options()),
              loop(strategy, monitor, Communicator::world(), loop_options(t, generations, std::move(config)))
        {
        }
        static ElitistStrategy::Options options()
        {
            ElitistStrategy::Options o;
            o.seed = 4;
            o.step_size.rule = StepSizeRule::one_fifth;
            o.step_size.window = 3;
            o.step_size.initial_power = 0.1;
            return o;
        }
        static GeneticTraining::Options loop_options(GeneticTrainingTest& t, std::int64_t generations,
                                                     nlohmann::json config)
        {
            GeneticTraining::Options o;
            o.generations = generations;
            o.batches_per_epoch = 10;
            o.checkpoint_every = 7;
            o.checkpoint_path = t.dir_ / "checkpoint.json";
            o.run_config = std::move(config);
            return o;
        }
        GeneticTraining::Monitor monitor = [](std::vector<float> const& p) {
            return std::make_pair(test::Sphere::distance(p), 2 * test::Sphere::distance(p));
        };
        ElitistStrategy strategy;
        GeneticTraining loop;
    };

    //! A checkpoint without its timings.
    static nlohmann::json timeless(nlohmann::json checkpoint)
    {
        checkpoint.erase("seconds");
        checkpoint["history"].erase("seconds");
        return checkpoint;
    }

    calo::test::TempDir dir_;
    ParameterSpace space_{{{"x", {25}, -1, 1}}};
    PointMutation mutation_{{0.2, MutationDistribution::uniform}};
    test::Sphere fitness_{0.5};
};
}  // namespace

TEST_F(GeneticTrainingTest, LogsEveryGenerationAndRecordsHistoryOnTheEpochGrid)
{
    Run run(*this, 35);
    run.loop.run();
    EXPECT_EQ(run.loop.log().size(), 36u);  // generations 0..35
    // Generation g consumes minibatch g: points after 1, 10, 20, 30 minibatches and at the end (36).
    EXPECT_EQ(run.loop.history().minibatches, (std::vector<std::int64_t>{1, 10, 20, 30, 36}));
    EXPECT_DOUBLE_EQ(run.loop.history().epoch.back(), 3.6);
    EXPECT_EQ(run.loop.history().test_loss.back(), 2 * run.loop.history().train_loss.back());
    EXPECT_TRUE(std::filesystem::exists(dir_ / "checkpoint.json"));
}

TEST_F(GeneticTrainingTest, ResumedRunEndsExactlyWhereAnUninterruptedOneDoes)
{
    Run whole(*this, 40);
    whole.loop.run();
    auto const reference = timeless(whole.loop.checkpoint());
    std::filesystem::remove(dir_ / "checkpoint.json");

    Run first(*this, 25);
    first.loop.run();
    Run second(*this, 40);
    second.loop.resume();
    EXPECT_EQ(second.strategy.generation(), 25);
    second.loop.run();
    EXPECT_EQ(timeless(second.loop.checkpoint()), reference);
}

TEST_F(GeneticTrainingTest, RefusesACheckpointMadeWithOtherSettings)
{
    Run first(*this, 5);
    first.loop.run();
    Run other(*this, 10, {{"seed", 5}});
    try
    {
        other.loop.resume();
        FAIL() << "resumed with another seed";
    }
    catch (InputError const& e)
    {
        EXPECT_NE(std::string(e.what()).find("seed = 5 now, 4 in the checkpoint"), std::string::npos) << e.what();
    }
    Run shorter(*this, 3);
    EXPECT_THROW(shorter.loop.resume(), InputError);  // past --generations
}

TEST_F(GeneticTrainingTest, InterruptWritesACheckpointToResumeFrom)
{
    Run run(*this, 1000);
    set_interrupt_requested(true);
    EXPECT_THROW(run.loop.run(), Interrupted);
    set_interrupt_requested(false);
    Run resumed(*this, 3);
    resumed.loop.resume();
    EXPECT_EQ(resumed.strategy.generation(), 0);  // stopped before the first step
    resumed.loop.run();
    EXPECT_EQ(resumed.strategy.generation(), 3);
}
}  // namespace calo::evolve
