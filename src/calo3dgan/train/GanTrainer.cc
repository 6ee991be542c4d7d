#include "calo3dgan/train/GanTrainer.hh"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <limits>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/train/GanTrainerPhase.hh"
#include "calo3dgan/train/ProgressObserver.hh"
#include "calo3dgan/train/SampleStreams.hh"

namespace calo::train
{
namespace
{
//! Steps before an all-empty generator counts as divergence (B-ref waits 10 batches).
constexpr std::int64_t kEmptyGuardSteps = 10;
}  // namespace

GanTrainer::GanTrainer(nn::ArchitectureConfig config, ShowerDataset const& data, GanTrainerOptions options,
                       GradientSynchronization* sync, std::vector<TrainingObserver*> observers)
    : config_(std::move(config)), data_(data), options_(std::move(options)), observers_(std::move(observers))
{
    if (!sync)
    {
        local_sync_ = std::make_unique<LocalSynchronization>();
        sync = local_sync_.get();
    }
    sync_ = sync;
    nn::validate(config_);
    CALO_VALIDATE(options_.epochs > 0, "epochs must be positive");
    CALO_VALIDATE(options_.label_flip_probability >= 0 && options_.label_flip_probability <= 1,
                  "label flip probability must be in [0, 1]");
    CALO_VALIDATE(options_.generator_steps >= 1, "generator steps per batch must be at least 1");
    CALO_VALIDATE(data_.reader().shape() == config_.image_shape,
                  "data shape " + data_.reader().shape().to_string() + " does not fit model '" + config_.name +
                      "' (image shape " + config_.image_shape.to_string() + ") — use the matching preset");
    CALO_VALIDATE(!config_.has_angle_head() || data_.preprocess_options().use_measured_angle ||
                      data_.reader().has_theta(),
                  "model '" + config_.name + "' is conditioned on the angle but the data have none");
    int const ranks = sync_->world_size();
    CALO_VALIDATE(data_.train_size() >= static_cast<std::size_t>(config_.train.batch_size) * ranks,
                  "fewer training events (" + std::to_string(data_.train_size()) + ") than one batch (" +
                      std::to_string(config_.train.batch_size) +
                      (ranks > 1 ? " x " + std::to_string(ranks) + " ranks" : std::string()) +
                      ") — use more data or a smaller --batch");
    if (is_writer())
    {
        // Trainers used for single steps (benchmarks) write nothing
        if (!options_.run_dir.empty())
            ensure_writable_directory(options_.run_dir);
        progress_ = std::make_unique<ProgressObserver>(options_.progress);
        observers_.insert(observers_.begin(), progress_.get());
    }
    generator_ = nn::Generator(config_, seed_of(options_.seed, 0, SeedDomain::init));
    discriminator_ = nn::Discriminator(config_, seed_of(options_.seed, 1, SeedDomain::init));
    generator_->to(options_.device);
    discriminator_->to(options_.device);
    auto const rmsprop =
        torch::optim::RMSpropOptions(config_.train.learning_rate).alpha(config_.train.rho).eps(config_.train.epsilon);
    // Keras keeps separate RMSprop instances for D and for the combined model.
    optimizer_d_ = std::make_unique<torch::optim::RMSprop>(discriminator_->parameters(), rmsprop);
    optimizer_g_ = std::make_unique<torch::optim::RMSprop>(generator_->parameters(), rmsprop);
}

GanTrainer::~GanTrainer() = default;

std::int64_t GanTrainer::batches_per_epoch() const
{
    // Like the reference, an epoch is the whole global batches of the
    // training split; a global batch is batch_size events on every rank.
    auto n = static_cast<std::int64_t>(data_.train_size()) / (config_.train.batch_size * sync_->world_size());
    if (options_.max_batches_per_epoch > 0)
        n = std::min(n, options_.max_batches_per_epoch);
    return n;
}

std::vector<std::size_t> GanTrainer::shard_events(std::vector<std::size_t> const& order, std::int64_t batch) const
{
    // Global batch b is split into world_size consecutive shards; this rank
    // takes shard `rank`, so one epoch covers the training set once.
    auto const batch_size = config_.train.batch_size;
    auto const first = (batch * sync_->world_size() + sync_->rank()) * batch_size;
    CALO_EXPECT(first + batch_size <= static_cast<std::int64_t>(order.size()));
    return std::vector<std::size_t>(order.begin() + first, order.begin() + first + batch_size);
}

void GanTrainer::replace_periodic_checkpoint(std::string const& path)
{
    // Only the newest mid-epoch checkpoint is kept: epoch checkpoints are
    // what validation and epoch selection read, mid-epoch ones only bound
    // lost work. `latest` already points at the new one.
    if (!periodic_checkpoint_.empty() && periodic_checkpoint_ != path)
    {
        std::error_code ignored;
        std::filesystem::remove(periodic_checkpoint_, ignored);
    }
    periodic_checkpoint_ = path;
}

void GanTrainer::average_statistics()
{
    if (sync_->world_size() == 1)
        return;
    Phase phase(observers_, "agree");
    auto buffers = generator_->buffers();
    for (auto const& b : discriminator_->buffers()) buffers.push_back(b);
    sync_->average_values(buffers);
}

bool GanTrainer::any_process(bool flag)
{
    if (sync_->world_size() == 1)
        return flag;
    Phase phase(observers_, "agree");
    return sync_->any(flag);
}

void GanTrainer::run()
{
    CALO_VALIDATE(!is_writer() || !options_.run_dir.empty(), "no run folder to write checkpoints to — give -o");
    auto const n_batches = batches_per_epoch();
    std::string last_checkpoint;
    auto const diverged = [&](std::string const& what, std::int64_t epoch, std::int64_t batch)
    {
        return TrainingDiverged(fmt::format("training diverged: {} at epoch {} batch {} — last good checkpoint kept{}",
                                            what, epoch + 1, batch + 1,
                                            last_checkpoint.empty() ? "" : " (" + last_checkpoint + ")"));
    };
    auto const step_limit =
        options_.max_steps > 0 ? position_.step + options_.max_steps : std::numeric_limits<std::int64_t>::max();
    while (position_.epoch < options_.epochs && position_.step < step_limit)
    {
        auto const epoch = position_.epoch;  // 0-based index of the running epoch
        auto const order = data_.epoch_order(epoch);
        BatchProgress progress{epoch, options_.epochs, position_.batch, n_batches};
        for (auto* observer : observers_) observer->epoch_begin(progress);
        StepLosses train_sum;
        std::int64_t counted = 0;
        std::int64_t samples = 0;
        auto const start = std::chrono::steady_clock::now();
        for (std::int64_t b = position_.batch; b < n_batches && position_.step < step_limit; ++b)
        {
            set_learning_rate(epoch, b);
            TrainBatch real;
            {
                Phase phase(observers_, "load");
                real = to_tensors(data_.load(shard_events(order, b)), options_.device);
            }
            // A shard the preprocessing emptied (model B's ECAL cut) skips the
            // step on every rank: the gradient reductions must match up.
            if (!any_process(real.size() == 0))
            {
                auto const first_sample = sync_->rank() * static_cast<std::int64_t>(config_.train.batch_size);
                auto const losses = train_step(real, position_.step, first_sample);
                if (!losses.finite())
                    throw diverged("non-finite loss", epoch, b);
                if (losses.fakes_empty && position_.step >= kEmptyGuardSteps)
                    throw diverged("the generator produces only empty showers", epoch, b);
                train_sum += losses;
                ++counted;
                // Throughput of the whole job: every rank trains an equal shard.
                samples += real.size() * sync_->world_size();
            }
            ++position_.step;
            position_.batch = b + 1;
            double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            progress.batch = b + 1;
            progress.trained = counted > 0;
            if (counted > 0)
            {
                progress.discriminator_loss =
                    0.5 * (train_sum.discriminator_real.total + train_sum.discriminator_fake.total) / counted;
                progress.generator_loss = train_sum.generator.total / counted;
                progress.samples_per_second = samples / seconds;
            }
            for (auto* observer : observers_) observer->batch_end(progress);
            // Mid-epoch checkpoints bound the work a fault loses; the epoch's
            // last batch (or the run's) is followed by the end-of-epoch
            // checkpoint anyway.
            bool const periodic = options_.checkpoint_every > 0 && (b + 1) % options_.checkpoint_every == 0 &&
                                  b + 1 < n_batches && position_.step < step_limit;
            if (periodic)
                average_statistics();
            if (periodic && is_writer())
            {
                Phase phase(observers_, "checkpoint");
                last_checkpoint = save_checkpoint();
                replace_periodic_checkpoint(last_checkpoint);
            }
            if (any_process(interrupt_requested()))
            {
                average_statistics();
                if (is_writer())
                {
                    auto const path = save_checkpoint();
                    spdlog::warn("interrupted at epoch {} batch {}: checkpoint saved to {} (continue with --resume)",
                                 epoch + 1, b + 1, path);
                }
                throw Interrupted();
            }
        }
        average_statistics();
        for (auto* observer : observers_) observer->epoch_end(progress);
        double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // Only the writer reports test losses; evaluation changes no state.
        StepLosses test;
        if (is_writer())
        {
            Phase phase(observers_, "test");
            test = evaluate_test(epoch);
        }
        position_.epoch = epoch + 1;
        position_.batch = 0;
        auto const train = train_sum.scaled(counted > 0 ? 1.0 / counted : 0.0);
        nlohmann::json record = {{"epoch", position_.epoch},
                                 {"steps", position_.step},
                                 {"seconds", seconds},
                                 {"samples_per_second", seconds > 0 ? samples / seconds : 0.0},
                                 {"train", to_json(train)},
                                 {"test", to_json(test)}};
        if (!is_writer())
            continue;
        {
            Phase phase(observers_, "validate");
            for (auto* observer : observers_)
            {
                auto metrics = observer->validate(position_.epoch);
                if (!metrics.is_null())
                    record["validation"] = std::move(metrics);
            }
        }
        history_.append(record);
        history_.save(options_.run_dir);
        {
            Phase phase(observers_, "checkpoint");
            last_checkpoint = save_checkpoint();
            replace_periodic_checkpoint({});
        }
        double const d_train = 0.5 * (train.discriminator_real.total + train.discriminator_fake.total);
        spdlog::info("epoch {}/{}: train D {:.4f} G {:.4f} | test D real {:.4f} fake {:.4f} G {:.4f} | "
                     "{:.1f} s, {:.2f} samples/s | {}",
                     position_.epoch, options_.epochs, d_train, train.generator.total, test.discriminator_real.total,
                     test.discriminator_fake.total, test.generator.total, seconds,
                     seconds > 0 ? samples / seconds : 0.0, last_checkpoint);
        if (record.contains("validation"))
            spdlog::info("epoch {} validation: figure of merit {:.4f}, sampling-fraction MRE {:.4f}",
                         position_.epoch, record["validation"].value("figure_of_merit", 0.0),
                         record["validation"].value("sampling_fraction_mre", 0.0));
    }
}
}  // namespace calo::train
