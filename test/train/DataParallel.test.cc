// Data-parallel training over MPI: run by ctest under mpirun -np 2.
//
// Every collective call below runs on every rank whatever the assertions
// find (EXPECT, not ASSERT, around them), so a failing check cannot leave one
// rank waiting for the other.
#include "MpiTestEnvironment.hh"
#include "calo3dgan/train/DataParallel.hh"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>

#include "SimulatedData.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/nn/Presets.hh"

namespace calo::train
{
namespace fs = std::filesystem;

namespace
{
using test::comm;

//! Rank 0's value of a string on every rank.
std::string broadcast_string(std::string text)
{
    std::uint64_t size = text.size();
    comm().broadcast(&size, sizeof size, 0);
    text.resize(size);
    comm().broadcast(text.data(), size, 0);
    return text;
}

//! Rank 0's copy of a float tensor (same shape on every rank).
torch::Tensor broadcast_tensor(torch::Tensor const& t)
{
    auto copy = t.detach().to(torch::kCPU).contiguous().clone();
    comm().broadcast(copy.data_ptr(), copy.nbytes(), 0);
    return copy;
}

std::vector<torch::Tensor> module_parameters(GanTrainer& t)
{
    auto all = t.generator()->parameters();
    for (auto const& p : t.discriminator()->parameters())
        all.push_back(p);
    return all;
}

//! All parameters of both networks, flattened.
torch::Tensor parameters_of(GanTrainer& t)
{
    std::vector<torch::Tensor> flat;
    for (auto const& p : module_parameters(t))
        flat.push_back(p.detach().flatten());
    return torch::cat(flat);
}

//! The optimizer state's key of a parameter: libtorch 1.13 keys by the
//! printed TensorImpl address, 2.x by the address itself.
template <class State>
typename State::key_type state_key(State const&, torch::Tensor const& p)
{
    if constexpr (std::is_same_v<typename State::key_type, std::string>)
    {
        std::ostringstream text;
        text << p.unsafeGetTensorImpl();
        return text.str();
    }
    else
        return p.unsafeGetTensorImpl();
}

//! RMSprop moving averages of both optimizers, flattened (empty before a step).
torch::Tensor optimizer_state_of(GanTrainer& t)
{
    std::vector<torch::Tensor> flat;
    for (auto* optimizer : {&t.discriminator_optimizer(), &t.generator_optimizer()})
        for (auto const& p : optimizer->param_groups().front().params())
        {
            auto const it = optimizer->state().find(state_key(optimizer->state(), p));
            if (it != optimizer->state().end())
                flat.push_back(
                    static_cast<torch::optim::RMSpropParamState&>(*it->second).square_avg().flatten());
        }
    return flat.empty() ? torch::zeros({0}) : torch::cat(flat);
}

double learning_rate_of(torch::optim::Optimizer& optimizer)
{
    return static_cast<torch::optim::RMSpropOptions&>(optimizer.param_groups().front().options()).lr();
}
}  // namespace

/*!
 * A synchronization that records the gradients each optimizer step applies
 * (after the wrapped synchronization averaged them), flattened.
 */
class GradientRecorder final : public GradientSynchronization
{
  public:
    explicit GradientRecorder(GradientSynchronization& inner) : inner_(inner) {}
    int rank() const override { return inner_.rank(); }
    int world_size() const override { return inner_.world_size(); }
    void synchronize(std::vector<torch::Tensor> const& parameters) override
    {
        inner_.synchronize(parameters);
        record(parameters);
    }
    bool any(bool flag) override { return inner_.any(flag); }
    void average_values(std::vector<torch::Tensor> const& values) override { inner_.average_values(values); }
    double learning_rate_scale(std::int64_t epoch, std::int64_t batch, std::int64_t batches) const override
    {
        return inner_.learning_rate_scale(epoch, batch, batches);
    }

    std::vector<torch::Tensor> gradients;

  private:
    void record(std::vector<torch::Tensor> const& parameters)
    {
        std::vector<torch::Tensor> flat;
        for (auto const& p : parameters) flat.push_back(p.grad().flatten().clone());
        gradients.push_back(torch::cat(flat));
    }

    GradientSynchronization& inner_;
};

class DataParallelTest : public ::testing::Test
{
  protected:
    static void SetUpTestSuite()
    {
        // Rank 0 writes the data; every rank reads the same folder.
        if (comm().is_root())
        {
            dir_ = new calo::test::TempDir;
            calo::test::write_simulated_dataset(*dir_ / "a.h5", event::Layout::fixed_angle, 16, 10, 200, 21);
        }
        folder_ = broadcast_string(comm().is_root() ? dir_->path().string() : std::string());
        comm().barrier();
    }
    static void TearDownTestSuite()
    {
        comm().barrier();
        delete dir_;
        dir_ = nullptr;
    }

    static std::string path(std::string const& name) { return (fs::path(folder_) / name).string(); }

    //! 16 events: 14 train, 2 test.
    static ShowerDataset dataset()
    {
        ShowerDataset::Options o;
        o.test_fraction = 2.0 / 16.0;
        o.seed = 5;
        return ShowerDataset(io::DatasetReader({path("a.h5")}), config(1), o);
    }
    static nn::ArchitectureConfig config(int batch)
    {
        auto c = nn::preset_a();
        c.train.batch_size = batch;
        return c;
    }
    static GanTrainerOptions options(std::string const& run)
    {
        GanTrainerOptions o;
        o.run_dir = run;
        o.epochs = 1;
        o.progress = false;
        o.max_test_events = 1;
        return o;
    }
    //! One step of global batch 0 on this rank's shard.
    static void step(GanTrainer& trainer, ShowerDataset const& data, int batch, int rank)
    {
        auto const events = trainer.shard_events(data.epoch_order(0), 0);
        trainer.train_step(to_tensors(data.load(events), torch::kCPU), 0, static_cast<std::int64_t>(rank) * batch);
    }

    static calo::test::TempDir* dir_;
    static std::string folder_;
};
calo::test::TempDir* DataParallelTest::dir_ = nullptr;
std::string DataParallelTest::folder_;

TEST_F(DataParallelTest, RunsOnTwoRanks)
{
    ASSERT_EQ(comm().size(), 2) << "run under mpirun -np 2";
}

TEST_F(DataParallelTest, RanksHoldBitwiseIdenticalParametersAfterSeveralSteps)
{
    // Batch normalisation in training mode and dropout on: the parts that
    // differ per rank must not make the parameters drift apart.
    auto const data = dataset();
    DataParallelOptions dp;
    dp.warmup_epochs = 1;
    dp.timeline = path("timeline.json");
    DataParallel parallel(comm(), dp);
    auto o = options(path("run_identical"));
    o.max_batches_per_epoch = 3;
    EXPECT_EQ(parallel.rank(), comm().rank());
    EXPECT_EQ(parallel.is_writer(), comm().is_root());
    GanTrainer trainer(config(1), data, o, &parallel, {parallel.timeline_observer()});
    parallel.attach(trainer);
    trainer.run();
    parallel.finish();

    auto const mine = parameters_of(trainer);
    EXPECT_TRUE(torch::equal(mine, broadcast_tensor(mine))) << "parameters differ from rank 0's";
    auto const state = optimizer_state_of(trainer);
    EXPECT_GT(state.numel(), 0);
    EXPECT_TRUE(torch::equal(state, broadcast_tensor(state))) << "optimizer state differs from rank 0's";

    // Every one of the 4 optimizer steps of each of the 3 batches was
    // averaged, each with a single MPI call (everything fits one 64 MB buffer
    // per network).
    auto const stats = parallel.statistics();
    EXPECT_EQ(parallel.bucket_count(), 2u);
    EXPECT_EQ(stats.synchronizations, 3 * 4);
    EXPECT_EQ(stats.allreduce_calls, 3 * 4);
    std::int64_t const floats = 2 * (872808 + 73402);  // 2 D steps and 2 G steps
    EXPECT_EQ(stats.bytes, 3 * floats * 4);

    // The warm-up really ran: batch 2 of 3 of epoch 0 with one warm-up epoch
    // is at 1 + (2 - 1) * 2/3 of the base learning rate.
    double const base = config(1).train.learning_rate;
    EXPECT_NEAR(learning_rate_of(trainer.generator_optimizer()), base * (1 + 2.0 / 3.0), 1e-12);
    EXPECT_NEAR(learning_rate_of(trainer.discriminator_optimizer()), base * (1 + 2.0 / 3.0), 1e-12);

    // Only rank 0 wrote the run folder.
    if (comm().is_root())
        EXPECT_TRUE(fs::exists(path("run_identical/checkpoints/epoch0001.pt")));

    // Each rank's timeline is complete JSON with compute and communication phases.
    std::ifstream in(Timeline::path_for_rank(path("timeline.json"), comm().rank()));
    auto const trace = nlohmann::json::parse(in);
    std::set<std::string> compute, communication;
    for (auto const& event : trace)
        if (event.value("ph", "") == "X")
            (event.at("tid") == 0 ? compute : communication).insert(event.at("name").get<std::string>());
    for (char const* phase : {"load", "D real", "D fake", "G step", "backward", "gradient allreduce", "optimizer step"})
        EXPECT_TRUE(compute.count(phase)) << phase;
    EXPECT_TRUE(communication.count("allreduce generator"));
    EXPECT_TRUE(communication.count("allreduce discriminator"));
}

TEST_F(DataParallelTest, TwoRanksOfBatchBStepLikeOneRankOfBatch2B)
{
    // Batch normalisation in inference mode and no dropout make each sample's
    // gradient independent of the others in its batch: the mean of the two
    // shards' mean gradients is then the whole batch's mean gradient.
    int const b = 2;
    auto c = config(b);
    for (auto& block : c.discriminator.blocks)
        block.dropout = 0;
    // RMSprop's first step is lr g / (sqrt(0.1) |g| + epsilon): with the
    // default epsilon = 1e-7 it is +-3.2 lr for any |g| >> 1e-7, so gradients
    // that cancel to float noise get a random sign. With epsilon = 1 the step
    // is smooth in g (about lr g) and float rounding stays float rounding.
    c.train.epsilon = 1.0;
    auto const data = dataset();


    DataParallelOptions dp;
    dp.lr_scaling = LearningRateScaling::none;  // the same learning rate as the serial step
    DataParallel parallel(comm(), dp);
    auto o = options(path("run_split"));
    o.batchnorm_training = false;
    GradientRecorder split_grads(parallel);
    GanTrainer split(c, data, o, &split_grads);
    parallel.attach(split);
    step(split, data, b, comm().rank());
    auto const split_parameters = parameters_of(split);
    EXPECT_TRUE(torch::equal(split_parameters, broadcast_tensor(split_parameters)));

    // The same global batch on one rank (each rank computes it by itself).
    auto serial_config = c;
    serial_config.train.batch_size = 2 * b;
    auto s = options(path("run_serial"));
    s.batchnorm_training = false;
    LocalSynchronization local;
    GradientRecorder serial_grads(local);
    GanTrainer serial(serial_config, data, s, &serial_grads);
    EXPECT_EQ(serial.shard_events(data.epoch_order(0), 0).size(), 2u * b);
    step(serial, data, 2 * b, 0);
    auto const serial_parameters = parameters_of(serial);

    // Gradients: float32 sums over 2b samples and 25^3 cells, taken in
    // another order, differ by ~1e-6 of the largest gradient in the first
    // step and ~5e-6 in the later ones (which start from parameters that
    // already differ by rounding); 5e-5 leaves a factor 10.
    ASSERT_EQ(split_grads.gradients.size(), 4u);
    ASSERT_EQ(serial_grads.gradients.size(), 4u);
    for (std::size_t k = 0; k < 4; ++k)
    {
        auto const& serial_k = serial_grads.gradients[k];
        auto const scale = serial_k.abs().max().item<double>();
        auto const difference = (split_grads.gradients[k] - serial_k).abs().max().item<double>();
        EXPECT_GT(scale, 0);
        EXPECT_LT(difference, 5e-5 * scale) << "optimizer step " << k << ", largest gradient " << scale;
    }

    GanTrainer untrained(c, data, s);
    auto const moved = (serial_parameters - parameters_of(untrained)).abs().max().item<double>();
    auto const difference = (split_parameters - serial_parameters).abs().max().item<double>();
    // Measured: 8e-6 of the largest move.
    EXPECT_GT(moved, 1e-4);
    EXPECT_LT(difference, 1e-4 * moved) << "parameters moved by up to " << moved;
}

TEST_F(DataParallelTest, SmallFusionBuffersOverlapBackwardAndGiveTheSameResult)
{
    auto const data = dataset();
    auto run_one_step = [&](double fusion_mb, bool overlap, AllreduceStatistics* stats) {
        DataParallelOptions dp;
        dp.fusion_mb = fusion_mb;
        dp.overlap = overlap;
        DataParallel parallel(comm(), dp);
        auto o = options(path("run_fusion"));
        GanTrainer trainer(config(1), data, o, &parallel);
        parallel.attach(trainer);
        step(trainer, data, 1, comm().rank());
        *stats = parallel.statistics();
        return parameters_of(trainer);
    };
    AllreduceStatistics fused, bucketed;
    auto const one_buffer = run_one_step(64, false, &fused);
    auto const many_buffers = run_one_step(0.25, true, &bucketed);
    EXPECT_EQ(fused.allreduce_calls, 4);
    EXPECT_EQ(fused.overlapped_calls, 0);
    // G's 3.5 MB of gradients in 0.25 MB buffers: more calls, most of them
    // started while backward was still running.
    EXPECT_GT(bucketed.allreduce_calls, 8);
    EXPECT_GT(bucketed.overlapped_calls, bucketed.allreduce_calls / 2);
    EXPECT_EQ(bucketed.bytes, fused.bytes);
    // A sum of two floats does not depend on how they were packed.
    EXPECT_TRUE(torch::equal(one_buffer, many_buffers));
}

TEST_F(DataParallelTest, AttachGivesEveryRankRankZerosStateAfterResume)
{
    auto const data = dataset();
    std::string const run = path("run_resume");
    // A checkpoint written by a one-rank run (rank 0 alone, 1 batch).
    if (comm().is_root())
    {
        auto o = options(run);
        o.max_batches_per_epoch = 1;
        GanTrainer serial(config(1), data, o);
        serial.run();
    }
    comm().barrier();

    DataParallel parallel(comm(), {});
    auto o = options(run);
    o.epochs = 2;
    o.max_batches_per_epoch = 1;
    GanTrainer trainer(config(1), data, o, &parallel);
    if (comm().is_root())
    {
        auto checkpoint = nn::load_checkpoint(run);
        trainer.resume(checkpoint);
    }
    else
    {
        // Different weights and no optimizer state: attach must replace them.
        torch::NoGradGuard no_grad;
        for (auto& p : module_parameters(trainer))
            p.add_(1.0);
    }
    parallel.attach(trainer);
    EXPECT_EQ(trainer.position().epoch, 1);
    EXPECT_EQ(trainer.position().step, 1);
    auto const parameters = parameters_of(trainer);
    EXPECT_TRUE(torch::equal(parameters, broadcast_tensor(parameters)));
    auto const state = optimizer_state_of(trainer);
    EXPECT_EQ(state.numel(), 872808 + 73402);
    EXPECT_TRUE(torch::equal(state, broadcast_tensor(state)));

    // The one-rank checkpoint continues on two ranks.
    trainer.run();
    EXPECT_EQ(trainer.position().epoch, 2);
    if (comm().is_root())
        EXPECT_TRUE(fs::exists(fs::path(run) / "checkpoints/epoch0002.pt"));
}

TEST_F(DataParallelTest, ResumeContinuesExactlyWithBatchNormStatistics)
{
    // Every rank updates the batch-norm running statistics from its own
    // shard, and the generator makes the D step's fakes with them: they are
    // averaged before each checkpoint, so the checkpoint holds every rank's
    // state and a resume continues bit for bit as the uninterrupted run.
    auto const data = dataset();
    auto const state = [](GanTrainer& t)
    {
        std::vector<torch::Tensor> all;
        for (auto const& p : t.generator()->parameters()) all.push_back(p.detach().flatten());
        for (auto const& p : t.discriminator()->parameters()) all.push_back(p.detach().flatten());
        for (auto const& b : t.generator()->buffers()) all.push_back(b.detach().to(torch::kDouble).flatten());
        for (auto const& b : t.discriminator()->buffers()) all.push_back(b.detach().to(torch::kDouble).flatten());
        return torch::cat(all);
    };
    auto two_epochs = options(path("run_whole"));
    two_epochs.epochs = 2;
    two_epochs.max_batches_per_epoch = 2;
    DataParallel whole_parallel(comm(), {});
    GanTrainer whole(config(1), data, two_epochs, &whole_parallel);
    whole_parallel.attach(whole);
    whole.run();

    auto first = two_epochs;
    first.run_dir = path("run_resumed");
    first.epochs = 1;
    {
        DataParallel parallel(comm(), {});
        GanTrainer trainer(config(1), data, first, &parallel);
        parallel.attach(trainer);
        trainer.run();
    }
    comm().barrier();
    auto second = first;
    second.epochs = 2;
    DataParallel parallel(comm(), {});
    GanTrainer resumed(config(1), data, second, &parallel);
    if (comm().is_root())
    {
        auto checkpoint = nn::load_checkpoint(first.run_dir);
        resumed.resume(checkpoint);
    }
    parallel.attach(resumed);
    resumed.run();
    EXPECT_TRUE(torch::equal(state(resumed), state(whole))) << "rank " << comm().rank();
}

TEST_F(DataParallelTest, MidEpochCheckpointResumesOnAnotherRankCount)
{
    auto const data = dataset();
    std::string const run = path("run_mid_epoch");
    // One rank of batch 1 stopped after 3 batches: events 0-2 of the epoch's
    // order are done.
    if (comm().is_root())
    {
        GanTrainer serial(config(1), data, options(run));
        serial.set_position({0, 3, 3});
        serial.save_checkpoint();
    }
    comm().barrier();
    DataParallel parallel(comm(), {});
    auto o = options(run);
    GanTrainer trainer(config(1), data, o, &parallel);
    if (comm().is_root())
    {
        auto checkpoint = nn::load_checkpoint(run);
        trainer.resume(checkpoint);
    }
    parallel.attach(trainer);
    // Global batches of 2 events: batch 2 (events 4-5) is the first with no
    // event done; event 3 is skipped this epoch. The random streams go on.
    EXPECT_EQ(trainer.position().epoch, 0);
    EXPECT_EQ(trainer.position().batch, 2);
    EXPECT_EQ(trainer.position().step, 3);
}

TEST_F(DataParallelTest, ShardsOfAnEpochAreDisjointAndCoverTheTrainingSet)
{
    auto const data = dataset();
    DataParallel parallel(comm(), {});
    auto o = options(path("run_shards"));
    GanTrainer trainer(config(1), data, o, &parallel);
    ASSERT_EQ(data.train_size(), 14u);
    EXPECT_EQ(trainer.batches_per_epoch(), 7);  // 14 events / (1 x 2 ranks)

    for (std::int64_t epoch = 0; epoch < 2; ++epoch)
    {
        auto const order = data.epoch_order(epoch);
        std::ostringstream mine;
        for (std::int64_t b = 0; b < trainer.batches_per_epoch(); ++b)
            for (auto event : trainer.shard_events(order, b))
                mine << event << ' ';
        auto const all = comm().allgather(mine.str());
        std::multiset<std::size_t> seen;
        for (auto const& text : all)
        {
            std::istringstream is(text);
            std::size_t event;
            while (is >> event)
                seen.insert(event);
        }
        EXPECT_EQ(seen.size(), 14u) << "epoch " << epoch;
        for (std::size_t event = 0; event < 14; ++event)
            EXPECT_EQ(seen.count(event), 1u) << "event " << event << " in epoch " << epoch;
        // Every rank shuffles the same way.
        std::ostringstream order_text;
        for (auto event : order)
            order_text << event << ' ';
        auto const orders = comm().allgather(order_text.str());
        EXPECT_EQ(orders.front(), orders.back());
    }
    EXPECT_NE(data.epoch_order(0), data.epoch_order(1)) << "reshuffled every epoch";
}

TEST_F(DataParallelTest, MismatchedSettingsNameTheRankAndTheKey)
{
    EXPECT_EQ(DataParallel::find_mismatch(comm(), {{"seed", 1}, {"batch", 4}}), "");
    auto const message = DataParallel::find_mismatch(comm(), {{"seed", comm().rank() == 0 ? 1 : 2}, {"batch", 4}});
    EXPECT_NE(message.find("rank 1 has seed = 2 where rank 0 has 1"), std::string::npos) << message;
    EXPECT_EQ(message.find("batch"), std::string::npos) << message;
}

TEST(LearningRateSchedule, ScalesWithRanksAfterALinearWarmUp)
{
    auto const linear = LearningRateScaling::linear;
    // 4 ranks, 5 warm-up epochs of 10 batches: from 1 to 4, per batch.
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 5, 0, 0, 10), 1.0);
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 5, 0, 5, 10), 1.0 + 3 * 0.5 / 5);
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 5, 2, 5, 10), 1.0 + 3 * 2.5 / 5);
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 5, 5, 0, 10), 4.0);
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 5, 30, 3, 10), 4.0);
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 4, 0, 0, 0, 10), 4.0);
    EXPECT_DOUBLE_EQ(learning_rate_scale(LearningRateScaling::sqrt, 4, 0, 0, 0, 10), 2.0);
    EXPECT_DOUBLE_EQ(learning_rate_scale(LearningRateScaling::none, 4, 5, 1, 0, 10), 1.0);
    // One rank: always the configured rate.
    EXPECT_DOUBLE_EQ(learning_rate_scale(linear, 1, 5, 0, 3, 10), 1.0);
    EXPECT_EQ(parse_learning_rate_scaling("sqrt"), LearningRateScaling::sqrt);
    EXPECT_THROW(parse_learning_rate_scaling("square"), InputError);
}

TEST(Timeline, PathGetsTheRank)
{
    EXPECT_EQ(Timeline::path_for_rank("out/trace.json", 3), "out/trace.rank3.json");
    EXPECT_EQ(Timeline::path_for_rank("trace", 0), "trace.rank0");
}
}  // namespace calo::train
