#pragma once
// The 3DGAN training loop (spec 3dgan-reference §5), with checkpoints,
// resume, test losses and a history file.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Discriminator.hh"
#include "calo3dgan/nn/Generator.hh"
#include "calo3dgan/train/ShowerDataset.hh"
#include "calo3dgan/train/TrainBatch.hh"
#include "calo3dgan/train/TrainingHistory.hh"

namespace calo::train
{
//! Tuning and bookkeeping options; the physics and model live in the config.
struct GanTrainerOptions
{
    std::string run_dir;  //!< checkpoints/, latest, history.json
    std::int64_t epochs = 1;  //!< train until this many epochs are complete
    std::int64_t max_batches_per_epoch = 0;  //!< --steps: cap per epoch (0: all)
    std::uint64_t seed = 1;  //!< master seed: init, shuffles, noise, flips, dropout
    torch::Device device = torch::kCPU;
    std::size_t max_test_events = 0;  //!< events of the test split evaluated per epoch (0: all)
    double label_flip_probability = 0.05;  //!< 3DGAN BitFlip
    int generator_steps = 2;  //!< generator updates per batch
    bool progress = true;  //!< progress bar on a terminal
    //! Run after every backward pass, before the optimizer step (gradient
    //! averaging for data-parallel training). Receives the stepped parameters.
    std::function<void(std::vector<torch::Tensor> const&)> after_backward;
    //! Only this process writes checkpoints, history and the progress bar.
    bool is_writer = true;
    //! Data-parallel position: this rank trains shard `rank` of every global batch.
    int rank = 0;
    int world_size = 1;
    //! False keeps batch normalisation in inference mode during the steps
    //! (to compare data-parallel with serial steps exactly).
    bool batchnorm_training = true;
    //! Learning-rate multiplier per epoch (e.g. warm-up); 1 when empty.
    std::function<double(std::int64_t epoch, std::int64_t batch, std::int64_t batches)> lr_scale;
    //! Logical OR over ranks, called twice per batch: before the step with
    //! "this rank's shard is empty" (all ranks then skip it), after it with
    //! "this rank was interrupted" (all ranks stop at the same batch). A rank
    //! that failed never calls it, so no other rank writes past that batch.
    //! Identity when empty.
    std::function<bool(bool)> any_rank;
    //! Called at the start (begin = true) and end of each phase of a step
    //! ("load", "D real", "backward", ...), e.g. for a timeline. `phase` is a
    //! string literal.
    std::function<void(char const* phase, bool begin)> on_phase;
    //! Every `validate_every` completed epochs (0: never) the writer calls
    //! `validate_epoch` after the test losses; what it returns is stored in
    //! the epoch's history record as "validation" (physics metrics).
    std::int64_t validate_every = 0;
    std::function<nlohmann::json(std::int64_t completed_epoch)> validate_epoch;
};

//! Loss of one discriminator evaluation: the weighted total and its parts in
//! output order (A: BCE, MAPE(y), MAPE(ECAL); B: BCE, MAPE(y), MAE(theta), MAPE(ECAL)).
struct LossValues
{
    double total = 0;
    std::vector<double> parts;

    LossValues& operator+=(LossValues const& other);
    LossValues scaled(double factor) const;
    bool finite() const;
};

//! Where training stands: completed epochs, next batch in the current epoch,
//! and the global batch counter that keys every random draw.
struct TrainingPosition
{
    std::int64_t epoch = 0;
    std::int64_t batch = 0;
    std::int64_t step = 0;
};

struct StepLosses
{
    LossValues discriminator_real;
    LossValues discriminator_fake;
    LossValues generator;  //!< mean of the generator updates
    bool fakes_empty = false;  //!< every fake image of the D step was all zero
};

class GanTrainer
{
  public:
    GanTrainer(nn::ArchitectureConfig config, ShowerDataset const& data, GanTrainerOptions options);

    //! Continue from a checkpoint: weights, optimizer states, position.
    //! InputError if it was made with another architecture.
    void resume(nn::LoadedCheckpoint& checkpoint);

    //! Train until options.epochs are complete. Ctrl-C saves a checkpoint and
    //! throws Interrupted; a NaN loss or an all-empty generator throws
    //! InputError, keeping the last good checkpoint.
    void run();

    //! One batch of the 3DGAN loop: D on reals, D on fakes (G in inference
    //! mode), then the generator updates through the frozen D. `first_sample`
    //! is the index of the batch's first event in the global batch: random
    //! draws are keyed by it, so a batch split over ranks draws as one.
    StepLosses train_step(TrainBatch const& real, std::int64_t step, std::int64_t first_sample = 0);

    //! Test losses on the held-out split (inference mode): D on reals, D on
    //! fakes, and the generator's loss.
    StepLosses evaluate_test(std::int64_t epoch);

    //! Save a checkpoint at the current position; returns its path.
    std::string save_checkpoint();

    //! Dataset indices of this rank's shard of global batch `batch`: the
    //! global batch is `world_size` consecutive shards of `order`.
    std::vector<std::size_t> shard_events(std::vector<std::size_t> const& order, std::int64_t batch) const;

    nn::Generator& generator() { return generator_; }
    nn::Discriminator& discriminator() { return discriminator_; }
    nn::ArchitectureConfig const& config() const { return config_; }
    TrainingPosition const& position() const { return position_; }
    //! Set the position (data-parallel ranks take the root's after a resume).
    void set_position(TrainingPosition const& position) { position_ = position; }
    torch::optim::Optimizer& discriminator_optimizer() { return *optimizer_d_; }
    torch::optim::Optimizer& generator_optimizer() { return *optimizer_g_; }
    //! Batches per epoch after the --steps cap.
    std::int64_t batches_per_epoch() const;

  private:
    LossValues discriminator_loss(nn::DiscriminatorOutput const& out, torch::Tensor const& labels,
                                  torch::Tensor const& y, torch::Tensor const& theta, torch::Tensor const& ecal,
                                  torch::Tensor* total);
    void optimizer_step(torch::optim::Optimizer& optimizer, torch::Tensor const& loss,
                        std::vector<torch::Tensor> const& parameters);
    void set_learning_rate(std::int64_t epoch, std::int64_t batch);

    nn::ArchitectureConfig config_;
    ShowerDataset const& data_;
    GanTrainerOptions options_;
    nn::Generator generator_{nullptr};
    nn::Discriminator discriminator_{nullptr};
    std::unique_ptr<torch::optim::RMSprop> optimizer_d_;
    std::unique_ptr<torch::optim::RMSprop> optimizer_g_;
    TrainingPosition position_;
    TrainingHistory history_;
};
}  // namespace calo::train
