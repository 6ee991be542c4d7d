#pragma once
// Fitness of a regressor parameter vector: its mean relative error on the
// generation's minibatch (Carminati et al. 2019, §5.1: 128 events per evaluation).
#include "calo3dgan/evolve/Regressor.hh"
#include "calo3dgan/evolve/FitnessFunction.hh"
#include "calo3dgan/evolve/MinibatchSchedule.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"

namespace calo::evolve
{
class RegressionFitness final : public FitnessFunction
{
  public:
    //! Keeps references to its arguments.
    RegressionFitness(Regressor const& regressor, ProjectedShowers const& train,
                      MinibatchSchedule const& schedule);

    //! Candidates run in parallel, each on one thread: a candidate's loss is
    //! then computed the same way whatever the thread or rank count, which
    //! keeps distributed runs identical to serial ones.
    std::vector<double> evaluate(std::vector<std::vector<float>> const& candidates,
                                 std::int64_t generation) const override;

  private:
    Regressor const& regressor_;
    ProjectedShowers const& train_;
    MinibatchSchedule const& schedule_;
};
}  // namespace calo::evolve
