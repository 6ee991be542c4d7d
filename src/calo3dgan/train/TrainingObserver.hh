#pragma once
// What watches a training without changing it: progress, a timeline of the
// phases of each step, and physics validation after an epoch. The trainer
// calls every observer it was given, in order.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace calo::train
{
//! Running state of an epoch, for progress displays.
struct BatchProgress
{
    std::int64_t epoch = 0;  //!< 0-based running epoch
    std::int64_t epochs = 0;  //!< epochs of the run
    std::int64_t batch = 0;  //!< batches done in this epoch
    std::int64_t batches = 0;  //!< batches of the epoch
    double discriminator_loss = 0;  //!< running mean of (real + fake) / 2
    double generator_loss = 0;  //!< running mean
    double samples_per_second = 0;  //!< whole job
    bool trained = false;  //!< false until a batch has been trained (losses undefined)
};

class TrainingObserver
{
  public:
    virtual ~TrainingObserver() = default;

    //! Start and end of a phase of a step ("load", "D real", "backward", ...);
    //! `phase` is a string literal.
    virtual void phase_begin(char const* /*phase*/) {}
    virtual void phase_end(char const* /*phase*/) {}

    //! `progress.batch` is the first batch to run (later than 0 after a resume).
    virtual void epoch_begin(BatchProgress const& /*progress*/) {}
    virtual void batch_end(BatchProgress const& /*progress*/) {}
    virtual void epoch_end(BatchProgress const& /*progress*/) {}

    /*!
     * Physics metrics after `completed_epoch` epochs, stored as "validation"
     * in the epoch's history record; null for none. Called on the writer only,
     * after the test losses and before the checkpoint.
     */
    virtual nlohmann::json validate(std::int64_t /*completed_epoch*/) { return nullptr; }
};
}  // namespace calo::train
