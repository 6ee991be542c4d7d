#pragma once
// Train and test loss of a model as training goes on, on a common axis for
// the GA and RMSprop: epochs = minibatches consumed / minibatches per epoch.
#include <cstdint>
#include <optional>
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::evolve
{
struct LossHistory
{
    std::vector<std::int64_t> minibatches;  //!< minibatches consumed (GA generations + 1, RMSprop steps)
    std::vector<double> epoch;
    std::vector<double> train_loss;  //!< mean relative error on the whole training set
    std::vector<double> test_loss;  //!< mean relative error on the held-out set
    std::vector<double> seconds;  //!< training wall time so far [s], evaluations of this history excluded

    void add(std::int64_t minibatches_done, double epochs_done, double train, double test, double elapsed_s);
    std::size_t size() const { return epoch.size(); }
    //! Training time at the first point whose test loss is below `threshold`, if any.
    std::optional<double> seconds_to_reach(double threshold) const;
    //! Epochs at that point.
    std::optional<double> epochs_to_reach(double threshold) const;
    //! Drop the points after `minibatches_done` (a resumed run redoes them).
    void truncate(std::int64_t minibatches_done);

    nlohmann::json to_json() const;
    static LossHistory from_json(nlohmann::json const& json);
};
}  // namespace calo::evolve
