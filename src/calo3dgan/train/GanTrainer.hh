#pragma once
// The 3DGAN training loop (docs/training.md), with checkpoints, resume, test
// losses and a history file. Data-parallel training plugs in through a
// GradientSynchronization; progress, timelines and validation watch through
// TrainingObservers.
//
// The implementation is split by job: GanTrainer.cc (set-up and the epoch
// loop), GanTrainerStep.cc (one step and the test losses), and
// GanTrainerCheckpoint.cc (save and resume).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "calo3dgan/nn/ArchitectureConfig.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Discriminator.hh"
#include "calo3dgan/nn/Generator.hh"
#include "calo3dgan/train/GradientSynchronization.hh"
#include "calo3dgan/train/Precision.hh"
#include "calo3dgan/train/ShowerDataset.hh"
#include "calo3dgan/train/StepLosses.hh"
#include "calo3dgan/train/TrainBatch.hh"
#include "calo3dgan/train/TrainingHistory.hh"
#include "calo3dgan/train/TrainingObserver.hh"

namespace calo::train
{
//! Tuning and bookkeeping options; the physics and model live in the config.
struct GanTrainerOptions
{
    std::string run_dir;  //!< checkpoints/, latest, history.json
    std::int64_t epochs = 1;  //!< train until this many epochs are complete
    std::int64_t max_batches_per_epoch = 0;  //!< cap per epoch (0: all)
    //! Stop after this many training batches of this run (0: no cap); the
    //! epoch in progress ends there, with its test losses and checkpoint.
    std::int64_t max_steps = 0;
    //! Also checkpoint every this many batches inside an epoch (0 or less:
    //! at the end of epochs only), so a fault loses at most this many batches.
    std::int64_t checkpoint_every = 0;
    std::uint64_t seed = 1;  //!< master seed: init, shuffles, noise, flips, dropout
    torch::Device device = torch::kCPU;
    std::size_t max_test_events = 0;  //!< events of the test split evaluated per epoch (0: all)
    //! Knobs that change results: recorded in checkpoints, checked on resume.
    double label_flip_probability = 0.05;  //!< 3DGAN BitFlip
    int generator_steps = 2;  //!< generator updates per batch
    //! False keeps batch normalisation in inference mode during the steps
    //! (to compare data-parallel with serial steps exactly).
    bool batchnorm_training = true;
    //! fp32, or bf16 autocast for the networks' forward passes.
    Precision precision = Precision::fp32;
    bool progress = true;  //!< progress bar on a terminal (writer only)
};

/*!
 * The training position: completed epochs, next batch in the current epoch,
 * and the global batch counter that keys every random draw.
 */
struct TrainingPosition
{
    std::int64_t epoch = 0;
    std::int64_t batch = 0;
    std::int64_t step = 0;
};

class GanTrainer
{
  public:
    /*!
     * `sync` (default: one process) and the observers must outlive the
     * trainer. Validates the configuration, that the data fit the model and
     * hold at least one global batch, and (writer) that the run folder is
     * writable.
     */
    GanTrainer(nn::ArchitectureConfig config, ShowerDataset const& data, GanTrainerOptions options,
               GradientSynchronization* sync = nullptr, std::vector<TrainingObserver*> observers = {});
    ~GanTrainer();

    //! Continue from a checkpoint: weights, optimizer states, position.
    //! InputError if it was made with another architecture, seed or knobs.
    void resume(nn::LoadedCheckpoint& checkpoint);

    //! Train until options.epochs are complete. Ctrl-C saves a checkpoint and
    //! throws Interrupted; a NaN loss or an all-empty generator throws
    //! TrainingDiverged, keeping the last good checkpoint.
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
    //! Batches per epoch after the cap.
    std::int64_t batches_per_epoch() const;

  private:
    class Phase;

    //! D's forward pass in the training precision.
    nn::DiscriminatorOutput forward_discriminator(torch::Tensor const& images);
    LossValues discriminator_loss(nn::DiscriminatorOutput const& out, torch::Tensor const& labels,
                                  torch::Tensor const& y, torch::Tensor const& theta, torch::Tensor const& ecal,
                                  torch::Tensor* total);
    void optimizer_step(torch::optim::Optimizer& optimizer, torch::Tensor const& loss,
                        std::vector<torch::Tensor> const& parameters);
    void set_learning_rate(std::int64_t epoch, std::int64_t batch);
    //! The settings a resumed run must share with its checkpoint.
    nlohmann::json result_knobs() const;
    //! Keep `path` as the one mid-epoch checkpoint (empty: none), removing the previous one.
    void replace_periodic_checkpoint(std::string const& path);
    //! Agreement over processes, shown as a phase.
    //! Batch-norm running statistics averaged over the processes (before checkpoints).
    void average_statistics();
    bool any_process(bool flag);
    bool is_writer() const { return sync_->is_writer(); }

    nn::ArchitectureConfig config_;
    ShowerDataset const& data_;
    GanTrainerOptions options_;
    std::unique_ptr<GradientSynchronization> local_sync_;
    GradientSynchronization* sync_ = nullptr;
    std::vector<TrainingObserver*> observers_;
    std::unique_ptr<TrainingObserver> progress_;
    nn::Generator generator_{nullptr};
    nn::Discriminator discriminator_{nullptr};
    std::unique_ptr<torch::optim::RMSprop> optimizer_d_;
    std::unique_ptr<torch::optim::RMSprop> optimizer_g_;
    TrainingPosition position_;
    TrainingHistory history_;
    std::string periodic_checkpoint_;  //!< the mid-epoch checkpoint kept (writer)
};
}  // namespace calo::train
