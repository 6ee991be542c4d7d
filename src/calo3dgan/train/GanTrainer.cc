#include "calo3dgan/train/GanTrainer.hh"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"
#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/nn/LatentSampler.hh"
#include "calo3dgan/train/EcalFit.hh"
#include "calo3dgan/train/Losses.hh"

namespace fs = std::filesystem;

namespace calo::train
{
namespace
{
// Seed domains: every random draw is keyed by (master seed, step, domain), so
// a resumed run draws exactly what an uninterrupted one would.
constexpr std::uint64_t kStepDomain = 1;  // label flips, sampled energies
constexpr std::uint64_t kNoiseDomain = 2;  // latent noise
constexpr std::uint64_t kDropoutDomain = 3;  // torch's generator (dropout masks)
constexpr std::uint64_t kTestDomain = 4;  // test-time fakes
constexpr std::uint64_t kInitDomain = 5;  // weight initialisation

//! Steps before an all-empty generator counts as divergence (B-ref waits 10 batches).
constexpr std::int64_t kEmptyGuardSteps = 10;

//! Random draws keyed by the sample's index in the global batch, so that a
//! step gives the same draws whether the batch is on one rank or split over
//! many: sample j of draw `draw` in step `step` has its own stream.
class SampleStreams
{
  public:
    SampleStreams(std::uint64_t seed, std::int64_t step, std::int64_t first_sample, torch::Device device)
        : seed_(derive_seed(seed, static_cast<std::uint64_t>(step), kStepDomain))
        , first_(first_sample)
        , device_(device)
    {
    }

    //! Column of n values U[lo, hi) for draw `draw`.
    torch::Tensor uniform(std::uint64_t draw, std::int64_t n, double lo, double hi) const
    {
        std::vector<float> values(n);
        for (std::int64_t j = 0; j < n; ++j)
            values[j] = static_cast<float>(lo + (hi - lo) * rng(draw, j).uniform());
        return column(values);
    }

    //! 3DGAN BitFlip: hard labels `label`, each flipped with probability p.
    torch::Tensor labels(std::uint64_t draw, std::int64_t n, float label, double p) const
    {
        std::vector<float> values(n);
        for (std::int64_t j = 0; j < n; ++j)
            values[j] = rng(draw, j).uniform() < p ? 1.0f - label : label;
        return column(values);
    }

    //! (n, noise_size) standard normal noise for draw `draw`.
    torch::Tensor noise(nn::ArchitectureConfig const& config, std::uint64_t draw, std::int64_t n) const
    {
        std::vector<torch::Tensor> rows;
        rows.reserve(n);
        for (std::int64_t j = 0; j < n; ++j)
            rows.push_back(nn::LatentSampler(config, derive_seed(seed_, stream(j), kNoiseDomain + draw)).noise(1));
        return torch::cat(rows, 0).to(device_);
    }

  private:
    std::uint64_t stream(std::int64_t j) const { return static_cast<std::uint64_t>(first_ + j); }
    Rng rng(std::uint64_t draw, std::int64_t j) const { return Rng(derive_seed(seed_, stream(j), 100 + draw)); }
    torch::Tensor column(std::vector<float>& values) const
    {
        auto const n = static_cast<std::int64_t>(values.size());
        return torch::from_blob(values.data(), {n, 1}, torch::kFloat32).clone().to(device_);
    }

    std::uint64_t seed_;
    std::int64_t first_;
    torch::Device device_;
};

//! Model-A ECAL targets for sampled y (GetEcalFit), on the device of y.
torch::Tensor ecal_targets(torch::Tensor const& y, double xscale)
{
    auto values = y.to(torch::kCPU).clone();
    auto acc = values.accessor<float, 2>();
    for (std::int64_t i = 0; i < values.size(0); ++i)
        acc[i][0] = static_cast<float>(ecal_fit(acc[i][0], xscale));
    return values.to(y.device());
}

//! Training mode for a network; batch normalisation optionally kept in
//! inference mode (used to compare data-parallel and serial steps).
void set_training(torch::nn::Module& module, bool batchnorm_training)
{
    module.train();
    if (!batchnorm_training)
        for (auto& child : module.modules(/*include_self=*/false))
            if (dynamic_cast<torch::nn::BatchNorm3dImpl*>(child.get()))
                child->eval();
}

nlohmann::json to_json(LossValues const& loss)
{
    return {{"total", loss.total}, {"parts", loss.parts}};
}

std::string checkpoint_name(TrainingPosition const& p)
{
    char name[64];
    if (p.batch == 0)
        std::snprintf(name, sizeof name, "epoch%04lld.pt", static_cast<long long>(p.epoch));
    else
        std::snprintf(name, sizeof name, "epoch%04lld_batch%07lld.pt", static_cast<long long>(p.epoch),
                      static_cast<long long>(p.batch));
    return name;
}

//! Marks a phase of a step for GanTrainerOptions::on_phase (a timeline).
class PhaseScope
{
  public:
    PhaseScope(std::function<void(char const*, bool)> const& hook, char const* phase) : hook_(hook), phase_(phase)
    {
        if (hook_)
            hook_(phase_, true);
    }
    ~PhaseScope()
    {
        if (hook_)
            hook_(phase_, false);
    }
    PhaseScope(PhaseScope const&) = delete;
    PhaseScope& operator=(PhaseScope const&) = delete;

  private:
    std::function<void(char const*, bool)> const& hook_;
    char const* phase_;
};

//! Architecture equality ignoring values a resumed run may change.
bool same_model(nn::ArchitectureConfig a, nn::ArchitectureConfig b)
{
    a.train.epochs = b.train.epochs;
    return a == b;
}
}  // namespace

LossValues& LossValues::operator+=(LossValues const& other)
{
    total += other.total;
    if (parts.empty())
        parts.assign(other.parts.size(), 0.0);
    for (std::size_t i = 0; i < other.parts.size(); ++i)
        parts[i] += other.parts[i];
    return *this;
}

LossValues LossValues::scaled(double factor) const
{
    LossValues out{total * factor, parts};
    for (auto& p : out.parts)
        p *= factor;
    return out;
}

bool LossValues::finite() const
{
    if (!std::isfinite(total))
        return false;
    for (double p : parts)
        if (!std::isfinite(p))
            return false;
    return true;
}

GanTrainer::GanTrainer(nn::ArchitectureConfig config, ShowerDataset const& data, GanTrainerOptions options)
    : config_(std::move(config)), data_(data), options_(std::move(options))
{
    CALO_VALIDATE(config_.train.batch_size > 0, "batch size must be positive");
    CALO_VALIDATE(options_.epochs > 0, "epochs must be positive");
    CALO_VALIDATE(options_.world_size > 0 && options_.rank >= 0 && options_.rank < options_.world_size,
                  "rank " + std::to_string(options_.rank) + " outside a world of " + std::to_string(options_.world_size));
    CALO_VALIDATE(options_.label_flip_probability >= 0 && options_.label_flip_probability <= 1,
                  "label flip probability must be in [0, 1]");
    CALO_VALIDATE(data_.reader().shape() == config_.image_shape,
                  "data shape " + data_.reader().shape().to_string() + " does not fit model '" + config_.name
                      + "' (image shape " + config_.image_shape.to_string() + ") — use the matching preset");
    CALO_VALIDATE(!config_.has_angle_head() || data_.preprocess_options().use_measured_angle
                      || data_.reader().has_theta(),
                  "model '" + config_.name + "' is conditioned on the angle but the data have none");
    generator_ = nn::Generator(config_, derive_seed(options_.seed, 0, kInitDomain));
    discriminator_ = nn::Discriminator(config_, derive_seed(options_.seed, 1, kInitDomain));
    generator_->to(options_.device);
    discriminator_->to(options_.device);
    auto const rmsprop = torch::optim::RMSpropOptions(config_.train.learning_rate)
                             .alpha(config_.train.rho)
                             .eps(config_.train.epsilon);
    // Keras keeps separate RMSprop instances for D and for the combined model.
    optimizer_d_ = std::make_unique<torch::optim::RMSprop>(discriminator_->parameters(), rmsprop);
    optimizer_g_ = std::make_unique<torch::optim::RMSprop>(generator_->parameters(), rmsprop);
}

std::int64_t GanTrainer::batches_per_epoch() const
{
    // Like the reference, an epoch is the whole global batches of the
    // training split; a global batch is batch_size events on every rank.
    auto n = static_cast<std::int64_t>(data_.train_size()) / (config_.train.batch_size * options_.world_size);
    if (options_.max_batches_per_epoch > 0)
        n = std::min(n, options_.max_batches_per_epoch);
    return n;
}

void GanTrainer::resume(nn::LoadedCheckpoint& checkpoint)
{
    CALO_VALIDATE(same_model(checkpoint.config, config_),
                  "checkpoint was made with another model or config (where: " + checkpoint.path
                      + ") — resume with the same --config and --set values");
    CALO_VALIDATE(checkpoint.discriminator, "checkpoint has no discriminator (where: " + checkpoint.path
                                                + ") — cannot resume training from it");
    {
        torch::NoGradGuard no_grad;
        auto copy = [](torch::nn::Module& to, torch::nn::Module const& from) {
            auto const src_params = from.named_parameters();
            for (auto& p : to.named_parameters())
                p.value().copy_(src_params[p.key()]);
            auto const src_buffers = from.named_buffers();
            for (auto& b : to.named_buffers())
                b.value().copy_(src_buffers[b.key()]);
        };
        copy(*generator_, *checkpoint.generator);
        copy(*discriminator_, *checkpoint.discriminator);
    }
    torch::serialize::InputArchive od, og;
    CALO_VALIDATE(checkpoint.archive.try_read("optimizer_d", od) && checkpoint.archive.try_read("optimizer_g", og),
                  "checkpoint has no optimizer state (where: " + checkpoint.path
                      + ") — it cannot be resumed; start a new run from it instead");
    optimizer_d_->load(od);
    optimizer_g_->load(og);
    auto const meta = nlohmann::json::parse(checkpoint.metadata_json);
    auto const& pos = meta.at("position");
    position_.epoch = pos.at("epoch").get<std::int64_t>();
    position_.batch = pos.at("batch").get<std::int64_t>();
    position_.step = pos.at("step").get<std::int64_t>();
    // A global batch is batch_size x world_size events: resuming mid-epoch
    // with another rank count starts at the first global batch that holds
    // no event already trained on (the few skipped ones are seen next epoch).
    auto const saved_world = meta.value("world_size", std::int64_t{1});
    if (saved_world != options_.world_size && position_.batch > 0)
    {
        auto const done = position_.batch * saved_world;
        auto const batch = (done + options_.world_size - 1) / options_.world_size;
        spdlog::info("checkpoint was written by {} ranks, resuming on {}: batch {} of epoch {} becomes batch {}",
                     saved_world, options_.world_size, position_.batch, position_.epoch + 1, batch);
        position_.batch = batch;
    }
    CALO_VALIDATE(meta.value("seed", options_.seed) == options_.seed,
                  "checkpoint was trained with seed " + std::to_string(meta.value("seed", 0ull))
                      + " — resume with the same --seed");
    history_.load(options_.run_dir, position_.epoch);
    spdlog::info("resuming from {} at epoch {} batch {}", checkpoint.path, position_.epoch + 1, position_.batch);
}

LossValues GanTrainer::discriminator_loss(nn::DiscriminatorOutput const& out, torch::Tensor const& labels,
                                          torch::Tensor const& y, torch::Tensor const& theta,
                                          torch::Tensor const& ecal, torch::Tensor* total)
{
    std::vector<torch::Tensor> parts{clipped_binary_cross_entropy(out.probability, labels),
                                     mean_absolute_percentage_error(out.energy, y)};
    if (config_.has_angle_head())
        parts.push_back(mean_absolute_error(out.angle, theta));
    parts.push_back(mean_absolute_percentage_error(out.ecal, ecal));
    auto const& w = config_.train.loss_weights;
    CALO_VALIDATE(w.size() == parts.size(), "train.loss_weights needs " + std::to_string(parts.size())
                                                + " values for model family " + nn::to_string(config_.family));
    torch::Tensor sum = w[0] * parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i)
        sum = sum + w[i] * parts[i];
    LossValues values;
    values.total = sum.item<double>();
    for (auto const& p : parts)
        values.parts.push_back(p.item<double>());
    if (total)
        *total = sum;
    return values;
}

void GanTrainer::optimizer_step(torch::optim::Optimizer& optimizer, torch::Tensor const& loss,
                                std::vector<torch::Tensor> const& parameters)
{
    optimizer.zero_grad();
    {
        PhaseScope phase(options_.on_phase, "backward");
        loss.backward();
    }
    if (options_.after_backward)
    {
        PhaseScope phase(options_.on_phase, "gradient allreduce");
        options_.after_backward(parameters);
    }
    PhaseScope phase(options_.on_phase, "optimizer step");
    optimizer.step();
}

void GanTrainer::set_learning_rate(std::int64_t epoch, std::int64_t batch)
{
    double const scale = options_.lr_scale ? options_.lr_scale(epoch, batch, batches_per_epoch()) : 1.0;
    for (auto* optimizer : {optimizer_d_.get(), optimizer_g_.get()})
        for (auto& group : optimizer->param_groups())
            static_cast<torch::optim::RMSpropOptions&>(group.options()).lr(config_.train.learning_rate * scale);
}

StepLosses GanTrainer::train_step(TrainBatch const& real, std::int64_t step, std::int64_t first_sample)
{
    auto const device = options_.device;
    auto const n = real.size();
    bool const family_b = config_.has_angle_head();
    auto const& t = config_.train;
    SampleStreams const draws(options_.seed, step, first_sample, device);
    // Dropout masks come from torch's generator: keyed by step and rank.
    torch::manual_seed(derive_seed(options_.seed, static_cast<std::uint64_t>(step),
                                   kDropoutDomain + 16 * static_cast<std::uint64_t>(options_.rank)));

    // Conditions of the fakes of draw k: model A samples energies and takes
    // the ECAL target from the fit; model B reuses the real batch's conditions.
    auto fake_targets = [&](std::uint64_t k, torch::Tensor& cond, torch::Tensor& y, torch::Tensor& ecal) {
        if (family_b)
        {
            y = real.y;
            cond = real.conditions(true);
            ecal = real.ecal;
        }
        else
        {
            y = draws.uniform(k, n, t.energy_min, t.energy_max);
            cond = y;
            ecal = ecal_targets(y, t.xscale);
        }
    };

    StepLosses losses;
    torch::Tensor cond, y_fake, ecal_fake;
    fake_targets(0, cond, y_fake, ecal_fake);
    torch::Tensor fakes;
    {
        // Fakes for the D step come from G in inference mode (moving BN statistics).
        PhaseScope phase(options_.on_phase, "fakes");
        torch::NoGradGuard no_grad;
        generator_->eval();
        fakes = generator_->forward(draws.noise(config_, 0, n), cond);
    }
    losses.fakes_empty = fakes.sum().item<double>() == 0.0;

    auto const d_params = discriminator_->parameters();
    auto const g_params = generator_->parameters();
    set_training(*discriminator_, options_.batchnorm_training);
    {
        PhaseScope phase(options_.on_phase, "D real");
        torch::Tensor loss;
        auto const labels = draws.labels(10, n, 1.0f, options_.label_flip_probability);
        losses.discriminator_real = discriminator_loss(discriminator_->forward(real.images), labels, real.y,
                                                       real.theta, real.ecal, &loss);
        optimizer_step(*optimizer_d_, loss, d_params);
    }
    {
        PhaseScope phase(options_.on_phase, "D fake");
        torch::Tensor loss;
        auto const labels = draws.labels(11, n, 0.0f, options_.label_flip_probability);
        losses.discriminator_fake = discriminator_loss(discriminator_->forward(fakes), labels, y_fake, real.theta,
                                                       ecal_fake, &loss);
        optimizer_step(*optimizer_d_, loss, d_params);
    }

    // Generator updates through a frozen D in training mode (batch statistics,
    // dropout), as Keras trains the combined model.
    set_training(*generator_, options_.batchnorm_training);
    for (auto& p : d_params)
        p.set_requires_grad(false);
    auto const ones = torch::ones({n, 1}, torch::TensorOptions().device(device));
    for (int k = 0; k < options_.generator_steps; ++k)
    {
        PhaseScope phase(options_.on_phase, "G step");
        auto const draw = static_cast<std::uint64_t>(1 + k);
        fake_targets(draw, cond, y_fake, ecal_fake);
        torch::Tensor loss;
        auto const out = discriminator_->forward(generator_->forward(draws.noise(config_, draw, n), cond));
        losses.generator += discriminator_loss(out, ones, y_fake, real.theta, ecal_fake, &loss);
        optimizer_step(*optimizer_g_, loss, g_params);
    }
    for (auto& p : d_params)
        p.set_requires_grad(true);
    losses.generator = losses.generator.scaled(1.0 / std::max(1, options_.generator_steps));
    return losses;
}

StepLosses GanTrainer::evaluate_test(std::int64_t epoch)
{
    torch::NoGradGuard no_grad;
    generator_->eval();
    discriminator_->eval();
    auto const device = options_.device;
    bool const family_b = config_.has_angle_head();
    auto const& t = config_.train;
    std::size_t n_test = data_.test_size();
    if (options_.max_test_events > 0)
        n_test = std::min(n_test, options_.max_test_events);
    StepLosses sum;
    std::int64_t counted = 0;
    auto const batch_size = static_cast<std::size_t>(t.batch_size);
    for (std::size_t first = 0; first < n_test; first += batch_size)
    {
        auto const real = to_tensors(data_.load_test(first, std::min(batch_size, n_test - first)), device);
        auto const n = real.size();
        if (n == 0)
            continue;
        // Test draws are keyed by epoch and test event, in a domain of their own.
        SampleStreams const draws(derive_seed(options_.seed, kTestDomain), epoch, static_cast<std::int64_t>(first),
                                  device);
        torch::Tensor y = real.y, cond, ecal = real.ecal;
        if (family_b)
            cond = real.conditions(true);
        else
        {
            y = draws.uniform(0, n, t.energy_min, t.energy_max);
            cond = y;
            ecal = ecal_targets(y, t.xscale);
        }
        auto const fakes = generator_->forward(draws.noise(config_, 0, n), cond);
        auto const ones = torch::ones({n, 1}, torch::TensorOptions().device(device));
        auto const zeros = torch::zeros({n, 1}, torch::TensorOptions().device(device));
        sum.discriminator_real += discriminator_loss(discriminator_->forward(real.images), ones, real.y, real.theta,
                                                     real.ecal, nullptr)
                                      .scaled(static_cast<double>(n));
        auto const fake_out = discriminator_->forward(fakes);
        sum.discriminator_fake += discriminator_loss(fake_out, zeros, y, real.theta, ecal, nullptr)
                                      .scaled(static_cast<double>(n));
        sum.generator += discriminator_loss(fake_out, ones, y, real.theta, ecal, nullptr).scaled(static_cast<double>(n));
        counted += n;
    }
    if (counted == 0)
        return sum;
    double const inv = 1.0 / static_cast<double>(counted);
    sum.discriminator_real = sum.discriminator_real.scaled(inv);
    sum.discriminator_fake = sum.discriminator_fake.scaled(inv);
    sum.generator = sum.generator.scaled(inv);
    return sum;
}

std::string GanTrainer::save_checkpoint()
{
    fs::path const dir = fs::path(options_.run_dir) / nn::run_layout::kCheckpointDir;
    fs::create_directories(dir);
    nlohmann::json meta = {{"tool", "calo3dgan"},
                           {"version", kVersion},
                           {"git_revision", kGitRevision},
                           {"seed", options_.seed},
                           {"world_size", options_.world_size},
                           {"position", {{"epoch", position_.epoch}, {"batch", position_.batch}, {"step", position_.step}}},
                           {"data", {{"shape", {config_.image_shape.nx, config_.image_shape.ny, config_.image_shape.nz}},
                                     {"train_events", data_.train_size()},
                                     {"test_events", data_.test_size()}}}};
    torch::serialize::OutputArchive archive;
    nn::write_checkpoint_entries(archive, config_, generator_, discriminator_, meta.dump());
    torch::serialize::OutputArchive od, og;
    optimizer_d_->save(od);
    optimizer_g_->save(og);
    archive.write("optimizer_d", od);
    archive.write("optimizer_g", og);
    std::string const name = checkpoint_name(position_);
    std::string const path = (dir / name).string();
    nn::save_archive_atomically(archive, path);
    // The pointer to the latest checkpoint is replaced atomically too.
    AtomicFile latest((fs::path(options_.run_dir) / nn::run_layout::kLatestFile).string());
    std::ofstream(latest.temp_path()) << name << '\n';
    latest.commit();
    return path;
}

std::vector<std::size_t> GanTrainer::shard_events(std::vector<std::size_t> const& order, std::int64_t batch) const
{
    // Global batch b is split into world_size consecutive shards; this rank
    // takes shard `rank`, so one epoch covers the training set once.
    auto const batch_size = config_.train.batch_size;
    auto const first = (batch * options_.world_size + options_.rank) * batch_size;
    CALO_EXPECT(first + batch_size <= static_cast<std::int64_t>(order.size()));
    return std::vector<std::size_t>(order.begin() + first, order.begin() + first + batch_size);
}

void GanTrainer::run()
{
    auto const n_batches = batches_per_epoch();
    CALO_VALIDATE(n_batches > 0, "fewer training events (" + std::to_string(data_.train_size())
                                     + ") than one batch (" + std::to_string(config_.train.batch_size)
                                     + ") — use more data or a smaller --batch");
    if (options_.is_writer)
        ensure_writable_directory(options_.run_dir);
    std::string last_checkpoint;
    while (position_.epoch < options_.epochs)
    {
        auto const epoch = position_.epoch;  // 0-based index of the running epoch
        auto const order = data_.epoch_order(epoch);
        ProgressBar progress(n_batches, {fmt::format("epoch {}/{}", epoch + 1, options_.epochs), "batches",
                                         options_.progress && options_.is_writer});
        StepLosses train_sum;
        std::int64_t counted = 0;
        std::int64_t samples = 0;
        auto const start = std::chrono::steady_clock::now();
        for (std::int64_t b = position_.batch; b < n_batches; ++b)
        {
            set_learning_rate(epoch, b);
            TrainBatch real;
            {
                PhaseScope phase(options_.on_phase, "load");
                real = to_tensors(data_.load(shard_events(order, b)), options_.device);
            }
            // A shard the preprocessing emptied (model B's ECAL cut) skips the
            // step on every rank: the gradient reductions must match up.
            bool skip = real.size() == 0;
            if (options_.any_rank)
            {
                PhaseScope phase(options_.on_phase, "agree");
                skip = options_.any_rank(skip);
            }
            if (!skip)
            {
                auto const first_sample = options_.rank * static_cast<std::int64_t>(config_.train.batch_size);
                auto const losses = train_step(real, position_.step, first_sample);
                if (!losses.discriminator_real.finite() || !losses.discriminator_fake.finite()
                    || !losses.generator.finite())
                {
                    throw InputError(fmt::format("training diverged: non-finite loss at epoch {} batch {} — last "
                                                 "good checkpoint kept{}",
                                                 epoch + 1, b + 1,
                                                 last_checkpoint.empty() ? "" : " (" + last_checkpoint + ")"));
                }
                if (losses.fakes_empty && position_.step >= kEmptyGuardSteps)
                {
                    throw InputError(fmt::format("training diverged: the generator produces only empty showers at "
                                                 "epoch {} batch {} — last good checkpoint kept{}",
                                                 epoch + 1, b + 1,
                                                 last_checkpoint.empty() ? "" : " (" + last_checkpoint + ")"));
                }
                train_sum.discriminator_real += losses.discriminator_real;
                train_sum.discriminator_fake += losses.discriminator_fake;
                train_sum.generator += losses.generator;
                ++counted;
                // Throughput of the whole job: every rank trains an equal shard.
                samples += real.size() * options_.world_size;
            }
            ++position_.step;
            position_.batch = b + 1;
            double const seconds =
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
            if (counted > 0)
                progress.update(b + 1, fmt::format("D {:.3f} G {:.3f} | {:.2f} samples/s",
                                                   0.5 * (train_sum.discriminator_real.total
                                                          + train_sum.discriminator_fake.total)
                                                       / counted,
                                                   train_sum.generator.total / counted, samples / seconds));
            bool stop = interrupt_requested();
            if (options_.any_rank)
            {
                PhaseScope phase(options_.on_phase, "agree");
                stop = options_.any_rank(stop);
            }
            if (stop)
            {
                if (options_.is_writer)
                {
                    auto const path = save_checkpoint();
                    spdlog::warn("interrupted at epoch {} batch {}: checkpoint saved to {} (continue with --resume)",
                                 epoch + 1, b + 1, path);
                }
                throw Interrupted();
            }
        }
        progress.finish();
        double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        // Only the writer reports test losses; evaluation changes no state.
        StepLosses test;
        if (options_.is_writer)
        {
            PhaseScope phase(options_.on_phase, "test");
            test = evaluate_test(epoch);
        }
        position_.epoch = epoch + 1;
        position_.batch = 0;
        double const inv = counted > 0 ? 1.0 / counted : 0.0;
        auto const d_real = train_sum.discriminator_real.scaled(inv);
        auto const d_fake = train_sum.discriminator_fake.scaled(inv);
        auto const g = train_sum.generator.scaled(inv);
        nlohmann::json record = {{"epoch", position_.epoch},
                                 {"steps", position_.step},
                                 {"seconds", seconds},
                                 {"samples_per_second", seconds > 0 ? samples / seconds : 0.0},
                                 {"train",
                                  {{"discriminator_real", to_json(d_real)},
                                   {"discriminator_fake", to_json(d_fake)},
                                   {"generator", to_json(g)}}},
                                 {"test",
                                  {{"discriminator_real", to_json(test.discriminator_real)},
                                   {"discriminator_fake", to_json(test.discriminator_fake)},
                                   {"generator", to_json(test.generator)}}}};
        if (options_.is_writer && options_.validate_every > 0 && options_.validate_epoch
            && position_.epoch % options_.validate_every == 0)
        {
            PhaseScope phase(options_.on_phase, "validate");
            record["validation"] = options_.validate_epoch(position_.epoch);
        }
        if (options_.is_writer)
        {
            history_.append(record);
            history_.save(options_.run_dir);
            PhaseScope phase(options_.on_phase, "checkpoint");
            last_checkpoint = save_checkpoint();
            spdlog::info("epoch {}/{}: train D {:.4f} G {:.4f} | test D real {:.4f} fake {:.4f} G {:.4f} | "
                         "{:.1f} s, {:.2f} samples/s | {}",
                         position_.epoch, options_.epochs, 0.5 * (d_real.total + d_fake.total), g.total,
                         test.discriminator_real.total, test.discriminator_fake.total, test.generator.total,
                         seconds, seconds > 0 ? samples / seconds : 0.0, last_checkpoint);
            if (record.contains("validation"))
                spdlog::info("epoch {} validation: figure of merit {:.4f}, sampling-fraction MRE {:.4f}",
                             position_.epoch, record["validation"].value("figure_of_merit", 0.0),
                             record["validation"].value("sampling_fraction_mre", 0.0));
        }
    }
}
}  // namespace calo::train
