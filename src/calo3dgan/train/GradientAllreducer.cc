#include "calo3dgan/train/GradientAllreducer.hh"

#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/function_hook.h>
#include <torch/csrc/autograd/variable.h>
#include <torch/cuda.h>

#include <chrono>
#include <cmath>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/train/Timeline.hh"

namespace calo::train
{
namespace
{
double seconds_now()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

//! Adds the wall time of a scope to a counter.
class AddTime
{
  public:
    explicit AddTime(double& total) : total_(total), start_(seconds_now()) {}
    ~AddTime() { total_ += seconds_now() - start_; }
    AddTime(AddTime const&) = delete;
    AddTime& operator=(AddTime const&) = delete;

  private:
    double& total_;
    double start_;
};
}  // namespace

AllreduceStatistics& AllreduceStatistics::operator+=(AllreduceStatistics const& other)
{
    synchronizations += other.synchronizations;
    allreduce_calls += other.allreduce_calls;
    overlapped_calls += other.overlapped_calls;
    bytes += other.bytes;
    seconds += other.seconds;
    return *this;
}

//! One fusion buffer: consecutive (in backward order) parameters of one dtype.
struct GradientAllreducer::Bucket
{
    std::vector<std::size_t> members;  //!< parameter indices
    torch::Tensor buffer;  //!< flat; host memory unless MPI is CUDA-aware
    std::size_t waiting = 0;  //!< members not yet packed in this pass
    Communicator::Request request;
    bool launched = false;
    double launch_us = 0;  //!< timeline: when the reduction started
};

//! Runs after autograd has accumulated a parameter's gradient into .grad.
class GradientAllreducer::ReadyHook : public torch::autograd::FunctionPostHook
{
  public:
    ReadyHook(GradientAllreducer* owner, std::size_t index) : owner_(owner), index_(index) {}
    torch::autograd::variable_list operator()(torch::autograd::variable_list const& outputs,
                                              torch::autograd::variable_list const&) override
    {
        owner_->on_gradient_ready(index_);
        return outputs;
    }

  private:
    GradientAllreducer* owner_;
    std::size_t index_;
};

GradientAllreducer::GradientAllreducer(Communicator const& comm, std::vector<torch::Tensor> parameters,
                                       GradientAllreducerOptions options, Timeline* timeline)
    : comm_(comm)
    , parameters_(std::move(parameters))
    , options_(std::move(options))
    , timeline_(timeline)
    , owner_thread_(std::this_thread::get_id())
{
    CALO_VALIDATE(options_.fusion_bytes > 0, "fusion buffer size must be positive");
    CALO_VALIDATE(!parameters_.empty(), "no parameters to average");
    auto const device = parameters_.front().device();
    for (auto const& p : parameters_)
    {
        CALO_VALIDATE(p.scalar_type() == torch::kFloat32 || p.scalar_type() == torch::kFloat64,
                      "gradient averaging supports float32 and float64 parameters only");
        CALO_VALIDATE(p.device() == device, "all parameters of one optimizer must be on one device");
    }
    bool const on_device = !device.is_cpu();
    auto const buffer_options = torch::TensorOptions()
                                    .device(on_device && comm_.cuda_aware() ? device : torch::Device(torch::kCPU))
                                    .pinned_memory(on_device && !comm_.cuda_aware());

    // Backward produces the last layers' gradients first: fill buckets from
    // the back so that the first bucket is complete first.
    bucket_of_.assign(parameters_.size(), 0);
    offset_of_.assign(parameters_.size(), 0);
    ready_.assign(parameters_.size(), false);
    std::size_t bucket_bytes = 0;
    for (std::size_t k = parameters_.size(); k-- > 0;)
    {
        auto const& p = parameters_[k];
        auto const bytes = static_cast<std::size_t>(p.numel()) * p.element_size();
        bool const new_bucket = buckets_.empty() || bucket_bytes + bytes > options_.fusion_bytes
                                || parameters_[buckets_.back().members.front()].scalar_type() != p.scalar_type();
        if (new_bucket)
        {
            buckets_.emplace_back();
            bucket_bytes = 0;
        }
        auto& bucket = buckets_.back();
        bucket_of_[k] = buckets_.size() - 1;
        offset_of_[k] = static_cast<std::int64_t>(bucket_bytes / p.element_size());
        bucket.members.push_back(k);
        bucket_bytes += bytes;
    }
    for (auto& bucket : buckets_)
    {
        std::int64_t n = 0;
        for (auto k : bucket.members)
            n += parameters_[k].numel();
        bucket.buffer = torch::zeros({n}, buffer_options.dtype(parameters_[bucket.members.front()].scalar_type()));
        bucket.waiting = bucket.members.size();
    }

    // Overlap needs autograd to call the hooks on this thread (true for CPU
    // tensors: the thread that calls backward runs the CPU work).
    if (options_.overlap && !on_device && comm_.size() > 1)
    {
        for (std::size_t k = 0; k < parameters_.size(); ++k)
        {
            auto accumulator = torch::autograd::impl::grad_accumulator(parameters_[k]);
            CALO_VALIDATE(accumulator, "parameter " + std::to_string(k) + " does not require a gradient");
            auto const key = accumulator->add_post_hook(std::make_unique<ReadyHook>(this, k));
            hooks_.emplace_back(std::move(accumulator), key);
        }
        hooks_active_ = true;
    }
}

GradientAllreducer::~GradientAllreducer()
{
    for (auto& [accumulator, key] : hooks_)
        accumulator->del_post_hook(key);
    // Only a failing rank gets here with reductions in flight, on its way to
    // MPI_Abort: keep their buffers alive rather than wait for the others.
    for (auto& bucket : buckets_)
        if (bucket.request.pending())
        {
            static auto* in_flight = new std::vector<torch::Tensor>;
            in_flight->push_back(bucket.buffer);
            new Communicator::Request(std::move(bucket.request));
        }
}

std::size_t GradientAllreducer::bucket_count() const
{
    return buckets_.size();
}

bool GradientAllreducer::owns(std::vector<torch::Tensor> const& parameters) const
{
    if (parameters.size() != parameters_.size())
        return false;
    for (std::size_t k = 0; k < parameters.size(); ++k)
        if (!parameters[k].is_same(parameters_[k]))
            return false;
    return true;
}

void GradientAllreducer::pack(std::size_t index)
{
    auto& bucket = buckets_[bucket_of_[index]];
    auto const& p = parameters_[index];
    auto slice = bucket.buffer.narrow(0, offset_of_[index], p.numel());
    if (p.grad().defined())
        slice.copy_(p.grad().reshape({-1}));
    else
        slice.zero_();  // unused in this pass (the same on every rank)
    ready_[index] = true;
    --bucket.waiting;
}

void GradientAllreducer::launch(std::size_t index, bool during_backward)
{
    auto& bucket = buckets_[index];
    // A NaN from one rank would spread to every rank's weights: stop here,
    // on the rank it comes from, which then names itself as it fails. (One
    // pass: the sum is non-finite if an element is, or if the gradients
    // reach ~1e38, which is divergence too.)
    CALO_VALIDATE(std::isfinite(bucket.buffer.sum().item<double>()),
                  "training diverged: non-finite " + options_.name
                      + " gradient on this rank, before averaging — lower the learning rate, or check this rank's "
                        "data");
    if (bucket.buffer.is_cuda())
        torch::cuda::synchronize(bucket.buffer.device().index());  // CUDA-aware MPI reads device memory
    auto& buffer = bucket.buffer;
    if (buffer.scalar_type() == torch::kFloat32)
        bucket.request = comm_.iallreduce_sum(buffer.data_ptr<float>(), static_cast<std::size_t>(buffer.numel()));
    else
        bucket.request = comm_.iallreduce_sum(buffer.data_ptr<double>(), static_cast<std::size_t>(buffer.numel()));
    bucket.launched = true;
    if (timeline_)
        bucket.launch_us = timeline_->now_us();
    ++statistics_.allreduce_calls;
    statistics_.overlapped_calls += during_backward ? 1 : 0;
    statistics_.bytes += buffer.numel() * static_cast<std::int64_t>(buffer.element_size());
}

void GradientAllreducer::progress()
{
    // Open MPI progresses non-blocking collectives only inside MPI calls.
    for (std::size_t b = 0; b < next_launch_; ++b)
        if (buckets_[b].request.pending())
            comm_.test(buckets_[b].request);
}

void GradientAllreducer::on_gradient_ready(std::size_t index)
{
    if (std::this_thread::get_id() != owner_thread_)
        return;  // synchronize() packs it
    AddTime timer(statistics_.seconds);
    CALO_EXPECT(!ready_[index]);
    pack(index);
    while (next_launch_ < buckets_.size() && buckets_[next_launch_].waiting == 0)
        launch(next_launch_++, /*during_backward=*/true);
    progress();
}

void GradientAllreducer::synchronize()
{
    AddTime timer(statistics_.seconds);
    ++statistics_.synchronizations;
    if (comm_.size() == 1)
        return;
    auto const ranks = torch::scalar_tensor(static_cast<double>(comm_.size()),
                                            torch::TensorOptions().dtype(torch::kFloat64));

    // Gradients whose hooks did not run (no overlap, device tensors).
    for (std::size_t k = 0; k < parameters_.size(); ++k)
        if (!ready_[k])
            pack(k);
    while (next_launch_ < buckets_.size())
        launch(next_launch_++, /*during_backward=*/false);

    for (std::size_t b = 0; b < buckets_.size(); ++b)
    {
        auto& bucket = buckets_[b];
        comm_.wait(bucket.request);
        if (timeline_)
            timeline_->record(Timeline::Lane::communication, "allreduce " + options_.name, bucket.launch_us,
                              timeline_->now_us(),
                              "{\"bucket\":" + std::to_string(b) + ",\"bytes\":"
                                  + std::to_string(bucket.buffer.numel() * bucket.buffer.element_size()) + "}");
        for (auto k : bucket.members)
        {
            auto& p = parameters_[k];
            if (!p.grad().defined())
                continue;  // unused on every rank: the optimizer skips it
            auto const slice = bucket.buffer.narrow(0, offset_of_[k], p.numel()).view(p.grad().sizes());
            if (p.grad().device() == slice.device())
                torch::div_out(p.mutable_grad(), slice, ranks);  // mean, in one pass
            else
                p.mutable_grad().copy_(slice.div(ranks));
        }
        bucket.launched = false;
        bucket.waiting = bucket.members.size();
    }
    std::fill(ready_.begin(), ready_.end(), false);
    next_launch_ = 0;
}
}  // namespace calo::train
