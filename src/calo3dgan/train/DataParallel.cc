#include "calo3dgan/train/DataParallel.hh"

#include <chrono>
#include <cmath>
#include <set>
#include <sstream>

#include "calo3dgan/base/Error.hh"

namespace calo::train
{
namespace
{
//! Rank 0's values of `tensors` on every rank (staged through host memory).
void broadcast_tensors(Communicator const& comm, std::vector<torch::Tensor> const& tensors)
{
    torch::NoGradGuard no_grad;
    for (auto const& t : tensors)
    {
        auto host = t.detach().to(torch::kCPU).contiguous();
        comm.broadcast(host.data_ptr(), host.nbytes(), 0);
        if (!host.is_same(t))
            t.detach().copy_(host);
    }
}

std::vector<torch::Tensor> state_of(torch::nn::Module const& module)
{
    auto tensors = module.parameters();
    for (auto const& b : module.buffers())
        tensors.push_back(b);
    return tensors;
}

//! Rank 0's optimizer state (RMSprop moving averages, step counts) everywhere.
void broadcast_optimizer(Communicator const& comm, torch::optim::Optimizer& optimizer, torch::Device device)
{
    std::string bytes;
    if (comm.is_root())
    {
        torch::serialize::OutputArchive archive;
        optimizer.save(archive);
        std::ostringstream os;
        archive.save_to(os);
        bytes = os.str();
    }
    std::uint64_t size = bytes.size();
    comm.broadcast(&size, sizeof size, 0);
    bytes.resize(size);
    comm.broadcast(bytes.data(), size, 0);
    if (!comm.is_root())
    {
        std::istringstream is(bytes);
        torch::serialize::InputArchive archive;
        archive.load_from(is, device);
        optimizer.load(archive);
    }
}

//! A JSON value for a message, shortened.
std::string brief(nlohmann::json const& value)
{
    auto text = value.dump();
    if (text.size() > 48)
        text = text.substr(0, 40) + "...";
    return text;
}
}  // namespace

LearningRateScaling parse_learning_rate_scaling(std::string const& text)
{
    if (text == "linear")
        return LearningRateScaling::linear;
    if (text == "sqrt")
        return LearningRateScaling::sqrt;
    if (text == "none")
        return LearningRateScaling::none;
    throw InputError("unknown learning-rate scaling '" + text + "' — use linear, sqrt or none");
}

char const* to_string(LearningRateScaling scaling)
{
    switch (scaling)
    {
        case LearningRateScaling::linear:
            return "linear";
        case LearningRateScaling::sqrt:
            return "sqrt";
        case LearningRateScaling::none:
            return "none";
    }
    return "?";
}

double learning_rate_scale(LearningRateScaling scaling, int world_size, double warmup_epochs, std::int64_t epoch,
                           std::int64_t batch, std::int64_t batches)
{
    double const n = world_size;
    double const target = scaling == LearningRateScaling::linear ? n
                          : scaling == LearningRateScaling::sqrt ? std::sqrt(n)
                                                                 : 1.0;
    double const t = static_cast<double>(epoch) + (batches > 0 ? static_cast<double>(batch) / batches : 0.0);
    if (warmup_epochs <= 0 || t >= warmup_epochs)
        return target;
    return 1.0 + (target - 1.0) * t / warmup_epochs;
}

namespace
{
//! The trainer's phases as spans on a timeline's compute lane.
class TimelinePhases final : public TrainingObserver
{
  public:
    explicit TimelinePhases(Timeline& timeline) : timeline_(timeline) {}
    void phase_begin(char const* phase) override { timeline_.begin(Timeline::Lane::compute, phase); }
    void phase_end(char const*) override { timeline_.end(Timeline::Lane::compute); }

  private:
    Timeline& timeline_;
};
}  // namespace

DataParallel::DataParallel(Communicator const& comm, DataParallelOptions options)
    : comm_(comm), options_(std::move(options))
{
    CALO_VALIDATE(options_.fusion_mb > 0 && options_.fusion_mb <= 2048,
                  "fusion buffer size must be in (0, 2048] MB (--fusion-mb)");
    CALO_VALIDATE(options_.warmup_epochs >= 0, "warm-up epochs must not be negative (--warmup-epochs)");
    if (!options_.timeline.empty())
    {
        comm_.barrier();  // a common time zero for the ranks' traces
        timeline_ = std::make_unique<Timeline>(Timeline::path_for_rank(options_.timeline, comm_.rank()), comm_.rank());
        timeline_phases_ = std::make_unique<TimelinePhases>(*timeline_);
    }
}

DataParallel::~DataParallel() = default;

double DataParallel::learning_rate_scale(std::int64_t epoch, std::int64_t batch, std::int64_t batches) const
{
    return train::learning_rate_scale(options_.lr_scaling, comm_.size(), options_.warmup_epochs, epoch, batch,
                                      batches);
}

bool DataParallel::any(bool flag)
{
    auto const start = std::chrono::steady_clock::now();
    bool const result = comm_.any(flag);
    agreement_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
}

void DataParallel::attach(GanTrainer& trainer)
{
    if (comm_.size() == 1)
        return;
    // The position first: rank 0 may have resumed.
    auto position = trainer.position();
    std::int64_t values[3] = {position.epoch, position.batch, position.step};
    comm_.broadcast(values, sizeof values, 0);
    trainer.set_position({values[0], values[1], values[2]});

    auto& g = *trainer.generator();
    auto& d = *trainer.discriminator();
    broadcast_tensors(comm_, state_of(g));
    broadcast_tensors(comm_, state_of(d));
    auto const device = g.parameters().front().device();
    broadcast_optimizer(comm_, trainer.discriminator_optimizer(), device);
    broadcast_optimizer(comm_, trainer.generator_optimizer(), device);

    GradientAllreducerOptions reduce;
    reduce.fusion_bytes = static_cast<std::size_t>(options_.fusion_mb * 1024 * 1024);
    reduce.overlap = options_.overlap;
    reduce.name = "discriminator";
    discriminator_ = std::make_unique<GradientAllreducer>(comm_, d.parameters(), reduce, timeline_.get());
    reduce.name = "generator";
    generator_ = std::make_unique<GradientAllreducer>(comm_, g.parameters(), reduce, timeline_.get());
}

void DataParallel::average_values(std::vector<torch::Tensor> const& values)
{
    if (comm_.size() == 1)
        return;
    // One packed fp64 sum (a few thousand values), so every rank ends with
    // the same bits whatever the reduction order.
    std::vector<torch::Tensor> floating;
    for (auto const& v : values)
    {
        if (v.is_floating_point())
            floating.push_back(v);
    }
    if (floating.empty())
        return;
    std::vector<torch::Tensor> flat;
    for (auto const& v : floating) flat.push_back(v.detach().to(torch::kCPU, torch::kDouble).flatten());
    auto packed = torch::cat(flat).contiguous();
    comm_.allreduce_sum(packed.data_ptr<double>(), static_cast<std::size_t>(packed.numel()));
    packed.div_(static_cast<double>(comm_.size()));
    torch::NoGradGuard no_grad;
    std::int64_t offset = 0;
    for (auto& v : floating)
    {
        v.copy_(packed.narrow(0, offset, v.numel()).view(v.sizes()));
        offset += v.numel();
    }
}

void DataParallel::synchronize(std::vector<torch::Tensor> const& parameters)
{
    if (comm_.size() == 1)
        return;
    if (discriminator_ && discriminator_->owns(parameters))
        discriminator_->synchronize();
    else if (generator_ && generator_->owns(parameters))
        generator_->synchronize();
    else
        throw InputError("gradient averaging was asked for parameters of neither network — call "
                         "DataParallel::attach before training");
}

std::string DataParallel::find_mismatch(Communicator const& comm, nlohmann::json const& summary)
{
    CALO_VALIDATE(summary.is_object(), "run summary must be a JSON object");
    auto const texts = comm.allgather(summary.dump());
    auto const root = nlohmann::json::parse(texts.front());
    std::ostringstream problems;
    int count = 0;
    for (std::size_t r = 1; r < texts.size(); ++r)
    {
        auto const other = nlohmann::json::parse(texts[r]);
        std::set<std::string> keys;
        for (auto const& item : root.items())
            keys.insert(item.key());
        for (auto const& item : other.items())
            keys.insert(item.key());
        for (auto const& key : keys)
        {
            auto const mine = root.contains(key) ? root.at(key) : nlohmann::json();
            auto const theirs = other.contains(key) ? other.at(key) : nlohmann::json();
            if (mine == theirs)
                continue;
            if (count++ < 4)
                problems << (count > 1 ? "; " : "") << "rank " << r << " has " << key << " = " << brief(theirs)
                         << " where rank 0 has " << brief(mine);
        }
    }
    if (count == 0)
        return {};
    if (count > 4)
        problems << "; and " << (count - 4) << " more";
    return "ranks disagree on the run settings: " + problems.str()
           + " — start every rank with the same options and data";
}

AllreduceStatistics DataParallel::statistics() const
{
    AllreduceStatistics total;
    if (discriminator_)
        total += discriminator_->statistics();
    if (generator_)
        total += generator_->statistics();
    return total;
}

std::size_t DataParallel::bucket_count() const
{
    return (discriminator_ ? discriminator_->bucket_count() : 0) + (generator_ ? generator_->bucket_count() : 0);
}

void DataParallel::finish()
{
    if (timeline_)
        timeline_->close();
}
}  // namespace calo::train
