#pragma once
// Synchronous data-parallel training over MPI with Horovod's semantics
// (Sergeev & Del Balso 2018, arXiv:1802.05799; the 3DGAN runs of Carminati et
// al. 2019, docs/training.md), without the reference trainer's bugs:
//
// - rank 0's parameters, buffers, optimizer states and training position are
//   broadcast before the first step, also after a resume;
// - after each of the four backward passes of a 3DGAN batch (D real, D fake,
//   two G steps) the gradients are averaged over ranks (GradientAllreducer);
// - each rank trains its own shard of every global batch of an epoch-wide
//   permutation common to all ranks (GanTrainer::shard_events), so an epoch
//   covers the training set once and is reshuffled every epoch;
// - the learning rate is scaled with the number of ranks and warmed up over
//   the first epochs, per batch (Goyal et al. 2017, arXiv:1706.02677);
// - rank 0 alone writes checkpoints, history and progress;
// - ranks agree once per batch, so an interrupt stops all of them at the
//   same batch and no rank writes past a batch on which another one failed.
//
// Batch normalisation stays local to each rank, as in Horovod: it normalises
// with the statistics of the rank's shard (the per-rank batch, not the global
// batch) and each rank keeps its own moving averages; checkpoints hold rank
// 0's. Dropout masks differ per rank. Everything else stays bitwise identical
// on all ranks.
#include <cstdint>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/Communicator.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/GradientAllreducer.hh"
#include "calo3dgan/train/GradientSynchronization.hh"
#include "calo3dgan/train/TrainingObserver.hh"
#include "calo3dgan/train/Timeline.hh"

namespace calo::train
{
//! How the learning rate grows with the number of ranks N.
enum class LearningRateScaling
{
    linear,  //!< lr x N (Goyal et al.; the reference's Horovod trainer)
    sqrt,  //!< lr x sqrt(N) (Krizhevsky 2014, arXiv:1404.5997)
    none,  //!< lr (the reference's TF2 trainer)
};

//! "linear", "sqrt" or "none"; InputError otherwise.
LearningRateScaling parse_learning_rate_scaling(std::string const& text);
char const* to_string(LearningRateScaling scaling);

/*!
 * Learning-rate multiplier before batch `batch` of epoch `epoch` (0-based, an
 * epoch having `batches` batches). The target is N, sqrt(N) or 1; during the
 * first `warmup_epochs` it rises linearly, per batch, from 1 to the target:
 * 1 + (target - 1) t / warmup_epochs with t = epoch + batch / batches, as
 * Horovod's LearningRateWarmupCallback intended. 1 for one rank.
 */
double learning_rate_scale(LearningRateScaling scaling, int world_size, double warmup_epochs, std::int64_t epoch,
                           std::int64_t batch, std::int64_t batches);

struct DataParallelOptions
{
    double fusion_mb = 64;  //!< fusion buffer size [MiB]
    bool overlap = true;  //!< start complete fusion buffers during backward
    LearningRateScaling lr_scaling = LearningRateScaling::linear;
    double warmup_epochs = 5;  //!< learning-rate warm-up [epochs] (0: none)
    std::string timeline;  //!< Chrome trace path, ".rank<R>" added; empty: none
};

class DataParallel final : public GradientSynchronization
{
  public:
    //! `comm` must outlive this object; with a timeline, call it on every rank
    //! together (it starts after a barrier).
    DataParallel(Communicator const& comm, DataParallelOptions options);
    ~DataParallel();
    DataParallel(DataParallel const&) = delete;
    DataParallel& operator=(DataParallel const&) = delete;

    //! GradientSynchronization over the communicator's ranks. With one rank
    //! training is exactly the serial one.
    int rank() const override { return comm_.rank(); }
    int world_size() const override { return comm_.size(); }
    void synchronize(std::vector<torch::Tensor> const& parameters) override;
    void average_values(std::vector<torch::Tensor> const& values) override;
    bool any(bool flag) override;
    double learning_rate_scale(std::int64_t epoch, std::int64_t batch, std::int64_t batches) const override;

    //! The trainer's phases on the timeline's compute lane; null without a timeline.
    TrainingObserver* timeline_observer() const { return timeline_phases_.get(); }

    /*!
     * Give every rank rank 0's state (parameters, buffers, optimizer states,
     * position) and install the gradient averaging. Call on every rank after
     * constructing the trainer (with this synchronization) and, on rank 0 only,
     * resuming it; before any training step.
     */
    void attach(GanTrainer& trainer);

    /*!
     * Compare `summary` (a JSON object of every setting that must agree)
     * across the ranks of `comm` (collective). Empty if all agree, else a
     * description naming the ranks and keys that differ: the same text on
     * every rank.
     */
    static std::string find_mismatch(Communicator const& comm, nlohmann::json const& summary);

    //! Gradient averaging of both networks, summed.
    AllreduceStatistics statistics() const;
    //! Wall time [s] spent in the per-batch agreements.
    double agreement_seconds() const { return agreement_seconds_; }
    std::size_t bucket_count() const;

    Communicator const& communicator() const { return comm_; }
    Timeline* timeline() const { return timeline_.get(); }
    //! Close the timeline (it is written into place).
    void finish();

  private:
    Communicator const& comm_;
    DataParallelOptions options_;
    std::unique_ptr<Timeline> timeline_;
    std::unique_ptr<TrainingObserver> timeline_phases_;
    std::unique_ptr<GradientAllreducer> discriminator_;
    std::unique_ptr<GradientAllreducer> generator_;
    double agreement_seconds_ = 0;
};
}  // namespace calo::train
