#pragma once
// How the processes of a training agree: gradient averaging after every
// backward pass, a logical OR per batch, and the learning-rate schedule that
// goes with the global batch. One process trains alone (LocalSynchronization);
// DataParallel averages over MPI ranks.
#include <cstdint>
#include <vector>

#include <torch/torch.h>

namespace calo::train
{
class GradientSynchronization
{
  public:
    virtual ~GradientSynchronization() = default;

    //! This process's shard of every global batch, and the number of shards.
    virtual int rank() const = 0;
    virtual int world_size() const = 0;
    //! Whether this process writes checkpoints, history and progress.
    bool is_writer() const { return rank() == 0; }

    //! Make the gradients of `parameters` (one network's, just back-propagated)
    //! equal on every process: their mean over the processes.
    virtual void synchronize(std::vector<torch::Tensor> const& parameters) = 0;

    /*!
     * Logical OR over processes, called twice per batch: before the step with
     * "this shard is empty" (all then skip it), after it with "interrupted"
     * (all stop at the same batch). A process that failed never calls it, so
     * no other one writes past that batch.
     */
    virtual bool any(bool flag) = 0;
    /*!
     * Make floating-point `values` (batch-normalisation running statistics,
     * which every process updates from its own shard) equal on every
     * process: their mean. Called by all processes before each checkpoint,
     * so that the checkpoint holds the state of every process and a resume
     * continues exactly as the uninterrupted run does.
     */
    virtual void average_values(std::vector<torch::Tensor> const& values) = 0;

    //! Learning-rate multiplier before batch `batch` of `batches` in `epoch`.
    virtual double learning_rate_scale(std::int64_t epoch, std::int64_t batch, std::int64_t batches) const = 0;
};

//! One process: nothing to average or agree on; the learning rate as configured.
class LocalSynchronization final : public GradientSynchronization
{
  public:
    int rank() const override { return 0; }
    int world_size() const override { return 1; }
    void synchronize(std::vector<torch::Tensor> const&) override {}
    bool any(bool flag) override { return flag; }
    void average_values(std::vector<torch::Tensor> const&) override {}
    double learning_rate_scale(std::int64_t, std::int64_t, std::int64_t) const override { return 1.0; }
};
}  // namespace calo::train
