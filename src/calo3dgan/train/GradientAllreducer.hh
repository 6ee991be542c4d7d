#pragma once
// Averages the gradients of one set of parameters over MPI ranks after each
// backward pass, with few MPI calls (Horovod's tensor fusion, PyTorch DDP's
// gradient buckets).
//
// The parameters are packed, in reverse order (the order in which backward
// produces their gradients), into fusion buffers of at most
// `fusion_bytes`; each buffer is one in-place MPI_Iallreduce (sum), then
// divided by the number of ranks. Each rank's loss is the mean over its
// shard of the global batch, so with equal shards the mean of the ranks'
// gradients is the gradient of the global-batch mean loss.
//
// With `overlap`, a hook on each parameter's gradient accumulator copies the
// gradient into its buffer as soon as backward has produced it, and starts
// the reduction of a buffer once all of its gradients are in, while backward
// still runs on the earlier layers. Buffers are started strictly in order, so
// every rank issues the same sequence of collectives. With the default 64 MB
// buffer a 3DGAN network fits in one buffer: one MPI call per optimizer step.
//
// CPU gradients are reduced in place in host buffers. CUDA gradients are
// staged through host memory, or reduced in device buffers when the MPI
// library is CUDA-aware; their hooks only run the reduction after backward
// (autograd's device threads must not call MPI).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <torch/torch.h>

#include "calo3dgan/base/Communicator.hh"

namespace torch::autograd
{
struct Node;
}

namespace calo::train
{
class Timeline;

struct GradientAllreducerOptions
{
    std::size_t fusion_bytes = std::size_t(64) << 20;  //!< fusion buffer size [bytes]
    bool overlap = true;  //!< start complete buffers during backward
    std::string name = "gradients";  //!< label in the timeline
};

//! Cumulative counts of one allreducer.
struct AllreduceStatistics
{
    std::int64_t synchronizations = 0;  //!< backward passes averaged
    std::int64_t allreduce_calls = 0;  //!< MPI_Iallreduce calls
    std::int64_t overlapped_calls = 0;  //!< of those, started while backward ran
    std::int64_t bytes = 0;  //!< bytes reduced by this rank
    //! Wall time [s] the training thread spent in this allreducer: packing,
    //! starting, waiting and unpacking (the communication cost not hidden
    //! behind computation).
    double seconds = 0;

    AllreduceStatistics& operator+=(AllreduceStatistics const& other);
};

class GradientAllreducer
{
  public:
    //! Average the gradients of `parameters` over the ranks of `comm`. The
    //! communicator and timeline (may be null) must outlive this object.
    GradientAllreducer(Communicator const& comm, std::vector<torch::Tensor> parameters,
                       GradientAllreducerOptions options, Timeline* timeline = nullptr);
    ~GradientAllreducer();
    GradientAllreducer(GradientAllreducer const&) = delete;
    GradientAllreducer& operator=(GradientAllreducer const&) = delete;

    //! Replace every defined gradient by its mean over ranks. Call on every
    //! rank after each backward pass through these parameters.
    void synchronize();

    //! True if `parameters` are this allreducer's (same tensors, same order).
    bool owns(std::vector<torch::Tensor> const& parameters) const;
    std::size_t bucket_count() const;
    AllreduceStatistics const& statistics() const { return statistics_; }

  private:
    struct Bucket;
    class ReadyHook;

    void on_gradient_ready(std::size_t index);
    void pack(std::size_t index);
    void launch(std::size_t bucket, bool during_backward);
    void progress();

    Communicator const& comm_;
    std::vector<torch::Tensor> parameters_;
    GradientAllreducerOptions options_;
    Timeline* timeline_;
    std::vector<Bucket> buckets_;
    std::vector<std::size_t> bucket_of_;  //!< parameter -> bucket
    std::vector<std::int64_t> offset_of_;  //!< parameter -> element offset in its bucket
    std::vector<bool> ready_;  //!< gradient packed in this backward pass
    std::size_t next_launch_ = 0;  //!< buckets are started in order
    bool hooks_active_ = false;
    std::thread::id owner_thread_;
    //! Gradient accumulators with our post-hooks (kept alive, as DDP does).
    std::vector<std::pair<std::shared_ptr<torch::autograd::Node>, std::uintptr_t>> hooks_;
    AllreduceStatistics statistics_;
};
}  // namespace calo::train
