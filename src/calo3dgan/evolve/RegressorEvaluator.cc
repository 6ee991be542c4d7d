#include "calo3dgan/evolve/RegressorEvaluator.hh"

#include <chrono>
#include <cmath>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/evolve/ConvRegressor.hh"
#include "calo3dgan/evolve/ElitistStrategy.hh"
#include "calo3dgan/evolve/MinibatchSchedule.hh"
#include "calo3dgan/evolve/PointMutation.hh"
#include "calo3dgan/evolve/RegressionFitness.hh"
#include "calo3dgan/evolve/RmspropBaseline.hh"

namespace calo::evolve
{
namespace
{
using Clock = std::chrono::steady_clock;
constexpr std::uint64_t kWeightsDomain = 0x5345415243480101ull;
constexpr std::uint64_t kScheduleDomain = 0x5345415243480102ull;
constexpr std::uint64_t kGaDomain = 0x5345415243480103ull;

double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}
}  // namespace

WeightTraining parse_weight_training(std::string const& name)
{
    if (name == "rmsprop")
        return WeightTraining::rmsprop;
    if (name == "ga")
        return WeightTraining::ga;
    throw UsageError("--weights '" + name + "' is unknown — use rmsprop or ga");
}

std::string to_string(WeightTraining training)
{
    return training == WeightTraining::ga ? "ga" : "rmsprop";
}

RegressorEvaluator::RegressorEvaluator(ArchitectureSpace const& space, ProjectedShowers const& train,
                                       ProjectedShowers const& validation, ProjectedShowers const& test,
                                       RegressorTrainingOptions options)
    : space_(space), train_(train), validation_(validation), test_(test), options_(options)
{
    CALO_VALIDATE_USAGE(options_.epochs >= 1, "--epochs-per-candidate must be at least 1");
}

CandidateResult RegressorEvaluator::evaluate(std::vector<float> const& genes, std::uint64_t seed) const
{
    return evaluate_architecture(space_.decode(genes, train_.rows, train_.cols), seed);
}

CandidateResult RegressorEvaluator::evaluate_architecture(RegressorArchitecture const& architecture,
                                                          std::uint64_t seed) const
{
    auto const start = Clock::now();
    ConvRegressor const regressor(train_.rows, train_.cols, architecture);
    // A batch larger than the training set is one batch of all of it.
    auto const batch = std::min<std::size_t>(static_cast<std::size_t>(architecture.batch), train_.size());
    MinibatchSchedule const schedule(train_.size(), batch, derive_seed(seed, 0, kScheduleDomain));
    auto const initial = regressor.space().sample(derive_seed(seed, 0, kWeightsDomain));
    std::vector<float> trained;
    if (options_.weights == WeightTraining::rmsprop)
    {
        RmspropOptions rms;
        rms.epochs = options_.epochs;
        rms.learning_rate = architecture.learning_rate;
        rms.history = false;
        trained = train_rmsprop(regressor, initial, train_, validation_, schedule, rms).parameters;
    }
    else
    {
        // The paper's GA over this architecture's weights; the candidate is
        // trained on this rank alone.
        PointMutation const mutation({options_.ga_mutation_rate, MutationDistribution::uniform});
        RegressionFitness const fitness(regressor, train_, schedule);
        ElitistStrategy::Options ga;
        ga.parents = options_.ga_parents;
        ga.children = options_.ga_children;
        ga.seed = derive_seed(seed, 0, kGaDomain);
        ga.step_size.initial_power = options_.ga_mutation_power;
        ElitistStrategy strategy(regressor.space(), mutation, fitness, Communicator::local(), ga);
        strategy.initialize();
        auto const generations = options_.epochs * schedule.batches_per_epoch() - 1;
        for (std::int64_t g = 0; g < generations; ++g)
        {
            throw_if_interrupted();
            strategy.step();
        }
        trained = strategy.elite_parameters();
    }
    CandidateResult result;
    result.validation_error = regressor.loss(trained, validation_);
    result.test_error = regressor.loss(trained, test_);
    if (!std::isfinite(result.validation_error))
        result.validation_error = std::nan("");
    result.parameters = static_cast<std::int64_t>(regressor.space().size());
    result.operations = regressor.operations();
    result.details = {{"architecture", to_json(architecture)}};
    result.seconds = seconds_since(start);
    return result;
}

std::vector<BaselinePoint> RegressorEvaluator::train_paper_network(std::uint64_t seed, std::int64_t epochs,
                                                                  std::int64_t every) const
{
    auto const architecture = fitted(paper_architecture(), train_.rows, train_.cols);
    ConvRegressor const regressor(train_.rows, train_.cols, architecture);
    auto const batch = std::min<std::size_t>(static_cast<std::size_t>(architecture.batch), train_.size());
    MinibatchSchedule const schedule(train_.size(), batch, derive_seed(seed, 0, kScheduleDomain));
    RmspropOptions rms;
    rms.epochs = epochs;
    rms.learning_rate = architecture.learning_rate;
    rms.history = false;
    std::vector<BaselinePoint> points;
    auto const start = Clock::now();
    double measuring = 0;  // evaluation time, left out of the training time
    rms.after_epoch = [&](std::int64_t epoch, std::vector<float> const& parameters) {
        if (epoch % every != 0 && epoch != epochs)
            return;
        auto const t = Clock::now();
        double const validation = regressor.loss(parameters, validation_);
        double const test = regressor.loss(parameters, test_);
        measuring += seconds_since(t);
        points.push_back({epoch, validation, test, seconds_since(start) - measuring});
    };
    train_rmsprop(regressor, regressor.space().sample(derive_seed(seed, 0, kWeightsDomain)), train_, validation_,
                  schedule, rms);
    return points;
}
}  // namespace calo::evolve
