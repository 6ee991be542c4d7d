#pragma once
// Fitness of an architecture candidate: build the regressor its genes
// describe, train it for a fixed budget (RMSprop epochs at its learning rate
// and batch, or the GA of `evolve` over its weights: the combined architecture-
// and-weight evolution of AISIS 2019 §5), then measure its relative error on
// the validation split (the fitness) and on the test split (reported only).
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "calo3dgan/evolve/ArchitectureSpace.hh"
#include "calo3dgan/evolve/CandidateEvaluator.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"
#include "calo3dgan/evolve/RegressorArchitecture.hh"

namespace calo::evolve
{
enum class WeightTraining
{
    rmsprop,  //!< gradient descent, the AISIS 2019 paper's baseline optimiser
    ga  //!< the (1+lambda) GA of `calo3dgan evolve`, one minibatch per generation
};
WeightTraining parse_weight_training(std::string const& name);
std::string to_string(WeightTraining training);

struct RegressorTrainingOptions
{
    std::int64_t epochs = 2;  //!< epochs of training per candidate
    WeightTraining weights = WeightTraining::rmsprop;
    // The GA (--weights ga): Table 1 of the AISIS 2019 paper and the `evolve` defaults.
    int ga_parents = 8;  //!< M
    int ga_children = 8;  //!< lambda
    double ga_mutation_rate = 0.1;
    double ga_mutation_power = 0.005;
};

//! One point of the fixed-network baseline's training: after `epochs` epochs.
struct BaselinePoint
{
    std::int64_t epochs = 0;
    double validation_error = 0;
    double test_error = 0;
    double seconds = 0;  //!< training time so far
};

class RegressorEvaluator final : public CandidateEvaluator
{
  public:
    //! Keeps references to its arguments.
    RegressorEvaluator(ArchitectureSpace const& space, ProjectedShowers const& train,
                       ProjectedShowers const& validation, ProjectedShowers const& test,
                       RegressorTrainingOptions options);

    CandidateResult evaluate(std::vector<float> const& genes, std::uint64_t seed) const override;
    //! The same for an architecture given directly (the AISIS 2019 paper's network).
    CandidateResult evaluate_architecture(RegressorArchitecture const& architecture, std::uint64_t seed) const;

    /*!
     * The paper's fixed network trained by RMSprop for `epochs` epochs in one
     * run (the search's budget spent on one training), measured every
     * `every` epochs. The point with the lowest validation error is the
     * baseline's result, chosen as a search would choose.
     */
    std::vector<BaselinePoint> train_paper_network(std::uint64_t seed, std::int64_t epochs,
                                                  std::int64_t every) const;

  private:
    ArchitectureSpace const& space_;
    ProjectedShowers const& train_;
    ProjectedShowers const& validation_;
    ProjectedShowers const& test_;
    RegressorTrainingOptions options_;
};
}  // namespace calo::evolve
