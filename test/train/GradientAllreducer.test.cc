// Gradient averaging over ranks, run twice by ctest: alone
// (train/GradientAllreducer) and under mpirun -np 2
// (train/GradientAllreducerMpi). Each rank's gradients are a known function
// of its rank, so every rank can compute the expected mean by hand.
//
// Every collective call runs on every rank whatever the assertions find
// (EXPECT, not ASSERT, around them), so a failing check cannot leave one
// rank waiting for the other.
#include "MpiTestEnvironment.hh"
#include "calo3dgan/train/GradientAllreducer.hh"

#include <gtest/gtest.h>

#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

#include "TestSupport.hh"
#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/train/Timeline.hh"

namespace calo::train
{
namespace
{
using test::comm;

/*!
 * Three parameters as an optimizer sees them: float32 (10), float32 (2x3),
 * float64 (4). The loss sum_k <w_k, x_k(rank)> has the gradient x_k(rank)
 * with respect to w_k: rank-dependent values chosen here.
 */
struct ToyModel
{
    std::vector<torch::Tensor> parameters{
        torch::zeros({10}, torch::kFloat32).requires_grad_(),
        torch::zeros({2, 3}, torch::kFloat32).requires_grad_(),
        torch::zeros({4}, torch::kFloat64).requires_grad_(),
    };

    //! Gradient of parameter k on `rank`: irregular values (not exactly
    //! representable sums), so that a mean computed differently would differ.
    static torch::Tensor gradient_on(std::size_t k, int rank, torch::Tensor const& like)
    {
        auto const n = like.numel();
        auto const index = torch::arange(n, torch::TensorOptions().dtype(torch::kFloat64));
        auto const values = torch::sin(index * 0.7 + 1.3 * static_cast<double>(k) + 0.9 * rank) * (rank + 1) / 3.0;
        return values.to(like.scalar_type()).view(like.sizes());
    }

    //! Backward pass of this rank's loss; `skip` leaves that parameter out.
    void backward(int rank, int skip = -1)
    {
        torch::Tensor loss = torch::zeros({}, torch::kFloat64);
        for (std::size_t k = 0; k < parameters.size(); ++k)
            if (static_cast<int>(k) != skip)
                loss = loss + (parameters[k] * gradient_on(k, rank, parameters[k])).sum().to(torch::kFloat64);
        loss.backward();
    }

    void zero_grad()
    {
        for (auto& p : parameters)
            p.mutable_grad() = torch::Tensor();
    }
};

/*!
 * The mean over ranks as the allreducer must produce it, computed by hand:
 * the gradients of ranks 0, 1, ... summed in that order in the parameter's
 * dtype, then divided by the number of ranks. (Reductions over 2 ranks add
 * one pair, which is order independent: then the result must be identical.)
 */
torch::Tensor manual_mean(std::size_t k, torch::Tensor const& like)
{
    auto sum = torch::zeros_like(like);
    for (int r = 0; r < comm().size(); ++r)
        sum = sum + ToyModel::gradient_on(k, r, like);
    return sum / static_cast<double>(comm().size());
}

std::int64_t total_bytes(std::vector<torch::Tensor> const& parameters)
{
    std::int64_t bytes = 0;
    for (auto const& p : parameters)
        bytes += p.numel() * static_cast<std::int64_t>(p.element_size());
    return bytes;
}

struct Case
{
    std::size_t fusion_bytes;
    bool overlap;
    std::size_t buckets;  //!< expected fusion buffers
};

// Buckets fill from the last parameter: float64 (32 B) alone (other dtype),
// then the floats: 24 B + 40 B fit in 1 MB but not in 48 B.
class GradientAllreducerCases : public ::testing::TestWithParam<Case>
{
};
}  // namespace

TEST_P(GradientAllreducerCases, AveragesLikeAManualMean)
{
    auto const c = GetParam();
    ToyModel model;
    GradientAllreducerOptions options;
    options.fusion_bytes = c.fusion_bytes;
    options.overlap = c.overlap;
    GradientAllreducer reducer(comm(), model.parameters, options);
    EXPECT_EQ(reducer.bucket_count(), c.buckets);
    EXPECT_TRUE(reducer.owns(model.parameters));

    int const steps = 3;
    for (int step = 0; step < steps; ++step)
    {
        model.zero_grad();
        model.backward(comm().rank());
        reducer.synchronize();
        for (std::size_t k = 0; k < model.parameters.size(); ++k)
        {
            auto const& p = model.parameters[k];
            auto const expected = comm().size() == 1 ? ToyModel::gradient_on(k, 0, p) : manual_mean(k, p);
            EXPECT_EQ(p.grad().scalar_type(), p.scalar_type());
            EXPECT_TRUE(torch::equal(p.grad(), expected))
                << "step " << step << ", parameter " << k << ": max difference "
                << (p.grad() - expected).abs().max().item<double>();
        }
    }

    auto const& stats = reducer.statistics();
    EXPECT_EQ(stats.synchronizations, steps);
    if (comm().size() == 1)
    {
        // Alone: nothing to reduce.
        EXPECT_EQ(stats.allreduce_calls, 0);
        EXPECT_EQ(stats.bytes, 0);
    }
    else
    {
        auto const calls = static_cast<std::int64_t>(c.buckets) * steps;
        EXPECT_EQ(stats.allreduce_calls, calls);
        // With overlap, every buffer is started by the hooks during backward.
        EXPECT_EQ(stats.overlapped_calls, c.overlap ? calls : 0);
        EXPECT_EQ(stats.bytes, total_bytes(model.parameters) * steps);
    }
    EXPECT_GE(stats.seconds, 0.0);
}

INSTANTIATE_TEST_SUITE_P(FusionAndOverlap, GradientAllreducerCases,
                         ::testing::Values(Case{std::size_t(1) << 20, true, 2}, Case{std::size_t(1) << 20, false, 2},
                                           Case{48, true, 3}, Case{48, false, 3},
                                           // Smaller than any one parameter: one buffer each.
                                           Case{1, true, 3}));

TEST(GradientAllreducer, UnusedParametersKeepNoGradient)
{
    // Parameter 1 takes no part in this backward pass on any rank.
    ToyModel model;
    GradientAllreducer reducer(comm(), model.parameters, {});
    model.backward(comm().rank(), /*skip=*/1);
    reducer.synchronize();
    EXPECT_FALSE(model.parameters[1].grad().defined());
    for (std::size_t k : {0u, 2u})
    {
        auto const& p = model.parameters[k];
        auto const expected = comm().size() == 1 ? ToyModel::gradient_on(k, 0, p) : manual_mean(k, p);
        EXPECT_TRUE(torch::equal(p.grad(), expected)) << k;
    }
}

TEST(GradientAllreducer, StatisticsAdd)
{
    AllreduceStatistics a{1, 2, 1, 100, 0.5};
    AllreduceStatistics const b{3, 4, 2, 50, 0.25};
    a += b;
    EXPECT_EQ(a.synchronizations, 4);
    EXPECT_EQ(a.allreduce_calls, 6);
    EXPECT_EQ(a.overlapped_calls, 3);
    EXPECT_EQ(a.bytes, 150);
    EXPECT_DOUBLE_EQ(a.seconds, 0.75);
}

TEST(GradientAllreducer, OwnsOnlyTheSameTensorsInTheSameOrder)
{
    ToyModel model;
    GradientAllreducer reducer(comm(), model.parameters, {});
    EXPECT_TRUE(reducer.owns(model.parameters));
    auto reordered = model.parameters;
    std::swap(reordered[0], reordered[1]);
    EXPECT_FALSE(reducer.owns(reordered));
    EXPECT_FALSE(reducer.owns({model.parameters[0], model.parameters[1]}));
    ToyModel other;
    EXPECT_FALSE(reducer.owns(other.parameters));  // equal values, other tensors
}

TEST(GradientAllreducer, RejectsWhatItCannotAverage)
{
    ToyModel model;
    EXPECT_THROW(GradientAllreducer(comm(), {}, {}), InputError);
    GradientAllreducerOptions zero;
    zero.fusion_bytes = 0;
    EXPECT_THROW(GradientAllreducer(comm(), model.parameters, zero), InputError);
    auto const half = torch::zeros({3}, torch::kFloat16).requires_grad_();
    EXPECT_THROW(GradientAllreducer(comm(), {model.parameters[0], half}, {}), InputError);
}

TEST(GradientAllreducer, NonFiniteGradientStopsBeforeAveraging)
{
    // Both ranks diverge, so both stop before starting a reduction (a single
    // diverging rank aborts the job in training, which a test cannot show).
    ToyModel model;
    GradientAllreducerOptions options;
    options.overlap = false;
    GradientAllreducer reducer(comm(), model.parameters, options);
    model.backward(comm().rank());
    model.parameters[2].mutable_grad()[1] = std::numeric_limits<double>::quiet_NaN();
    if (comm().size() == 1)
    {
        // Alone there is nothing to average and nothing to check.
        EXPECT_NO_THROW(reducer.synchronize());
        return;
    }
    try
    {
        reducer.synchronize();
        ADD_FAILURE() << "expected an InputError";
    }
    catch (InputError const& e)
    {
        EXPECT_NE(std::string(e.what()).find("training diverged"), std::string::npos) << e.what();
    }
}

TEST(GradientAllreducer, TimelineShowsEachBuffer)
{
    test::TempDir dir;
    std::string const path = dir / Timeline::path_for_rank("trace.json", comm().rank());
    ToyModel model;
    {
        Timeline timeline(path, comm().rank());
        GradientAllreducerOptions options;
        options.fusion_bytes = 48;
        options.name = "toy";
        GradientAllreducer reducer(comm(), model.parameters, options, &timeline);
        model.backward(comm().rank());
        reducer.synchronize();
    }
    std::ifstream in(path);
    auto const trace = nlohmann::json::parse(in);
    std::vector<nlohmann::json> reductions;
    for (auto const& event : trace)
        if (event.value("name", "") == "allreduce toy")
            reductions.push_back(event);
    if (comm().size() == 1)
    {
        EXPECT_TRUE(reductions.empty());
        return;
    }
    // Buffers in launch order: the float64 parameter (32 B), the 2x3 floats
    // (24 B), the 10 floats (40 B).
    ASSERT_EQ(reductions.size(), 3u);
    std::int64_t const bytes[] = {32, 24, 40};
    for (std::size_t b = 0; b < reductions.size(); ++b)
    {
        EXPECT_EQ(reductions[b].at("tid"), 1) << b;  // the communication lane
        EXPECT_EQ(reductions[b].at("args").at("bucket"), b);
        EXPECT_EQ(reductions[b].at("args").at("bytes"), bytes[b]);
    }
}
}  // namespace calo::train
