#pragma once
// The baseline of Carminati et al. 2019 (§5.2): the same regressor and data trained by gradient
// descent with RMSprop (Tieleman & Hinton 2012) on the same minibatches as the GA.
#include <cstdint>
#include <functional>
#include <vector>

#include "calo3dgan/evolve/Regressor.hh"
#include "calo3dgan/evolve/LossHistory.hh"
#include "calo3dgan/evolve/MinibatchSchedule.hh"
#include "calo3dgan/evolve/ProjectedShowers.hh"

namespace calo::evolve
{
struct RmspropOptions
{
    std::int64_t epochs = 50;
    double learning_rate = 1e-3;  //!< Keras RMSprop default
    double alpha = 0.9;  //!< squared-gradient average decay (Keras rho = 0.9; PyTorch's default is 0.99)
    double eps = 1e-7;  //!< Keras default
    //! Minibatches between history points (0: one epoch).
    std::int64_t history_every = 0;
    //! False: no history at all (no evaluations on the whole sets), only the
    //! final parameters: architecture search trains many candidates.
    bool history = true;
    //! Called after every epoch with the epochs done and the parameters
    //! (e.g. to keep the best on a validation set); outside the timing.
    std::function<void(std::int64_t epoch, std::vector<float> const& parameters)> after_epoch;
};

struct RmspropResult
{
    std::vector<float> parameters;
    LossHistory history;
    std::int64_t steps = 0;
    double seconds = 0;  //!< training wall time, history evaluations excluded
};

//! Train from `initial` for options.epochs epochs of schedule's minibatches;
//! the history starts with the initial parameters. Throws calo::Interrupted on Ctrl-C.
RmspropResult train_rmsprop(Regressor const& regressor, std::vector<float> const& initial,
                            ProjectedShowers const& train, ProjectedShowers const& test,
                            MinibatchSchedule const& schedule, RmspropOptions const& options);
}  // namespace calo::evolve
