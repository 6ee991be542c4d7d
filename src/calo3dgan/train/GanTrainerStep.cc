// GanTrainer: one training step and the test losses.
#include <algorithm>
#include <optional>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/train/EcalFit.hh"
#include "calo3dgan/train/GanTrainer.hh"
#include "calo3dgan/train/GanTrainerPhase.hh"
#include "calo3dgan/train/Losses.hh"
#include "calo3dgan/train/SampleStreams.hh"

namespace calo::train
{
namespace
{
//! Model-A ECAL targets for sampled y (the sampling-fraction fit), on the device of y.
torch::Tensor ecal_targets(torch::Tensor const& y, nn::TrainConfig const& train)
{
    auto values = y.to(torch::kCPU).clone();
    auto acc = values.accessor<float, 2>();
    for (std::int64_t i = 0; i < values.size(0); ++i)
        acc[i][0] = static_cast<float>(ecal_fit(acc[i][0], train.xscale, train.sampling_fraction));
    return values.to(y.device());
}

//! Training mode for a network; batch normalisation optionally kept in
//! inference mode (used to compare data-parallel and serial steps).
void set_training(torch::nn::Module& module, bool batchnorm_training)
{
    module.train();
    if (!batchnorm_training)
    {
        for (auto& child : module.modules(/*include_self=*/false))
        {
            if (dynamic_cast<torch::nn::BatchNorm3dImpl*>(child.get()))
                child->eval();
        }
    }
}

//! Conditions and targets of a batch of fakes.
struct FakeTargets
{
    torch::Tensor conditions;
    torch::Tensor y;
    torch::Tensor ecal;
};

//! Model A samples energies (draw `draw`) and takes the ECAL target from the
//! fit; model B reuses the real batch's conditions.
FakeTargets fake_targets(nn::ArchitectureConfig const& config, TrainBatch const& real, SampleStreams const& draws,
                         std::uint64_t draw)
{
    if (config.has_angle_head())
        return {real.conditions(true), real.y, real.ecal};
    auto const y = draws.uniform(draw, real.size(), config.train.energy_min, config.train.energy_max);
    return {y, y, ecal_targets(y, config.train)};
}
}  // namespace

LossValues GanTrainer::discriminator_loss(nn::DiscriminatorOutput const& out, torch::Tensor const& labels,
                                          torch::Tensor const& y, torch::Tensor const& theta,
                                          torch::Tensor const& ecal, torch::Tensor* total)
{
    // Losses in fp32 whatever the precision of the networks.
    auto const fp32 = [](torch::Tensor const& t) { return t.to(torch::kFloat); };
    std::vector<torch::Tensor> parts{clipped_binary_cross_entropy(fp32(out.probability), labels),
                                     mean_absolute_percentage_error(fp32(out.energy), y)};
    if (config_.has_angle_head())
        parts.push_back(mean_absolute_error(fp32(out.angle), theta));
    parts.push_back(mean_absolute_percentage_error(fp32(out.ecal), ecal));
    auto const& w = config_.train.loss_weights;
    CALO_ASSERT(w.size() == parts.size());  // checked by nn::validate
    torch::Tensor sum = w[0] * parts[0];
    for (std::size_t i = 1; i < parts.size(); ++i) sum = sum + w[i] * parts[i];
    LossValues values;
    values.total = sum.item<double>();
    for (auto const& p : parts) values.parts.push_back(p.item<double>());
    if (total)
        *total = sum;
    return values;
}

void GanTrainer::optimizer_step(torch::optim::Optimizer& optimizer, torch::Tensor const& loss,
                                std::vector<torch::Tensor> const& parameters)
{
    optimizer.zero_grad();
    {
        Phase phase(observers_, "backward");
        loss.backward();
    }
    {
        // Alone there is nothing to average (no phase to show), but a
        // synchronization that records gradients still sees them.
        std::optional<Phase> phase;
        if (sync_->world_size() > 1)
            phase.emplace(observers_, "gradient allreduce");
        sync_->synchronize(parameters);
    }
    Phase phase(observers_, "optimizer step");
    optimizer.step();
}

void GanTrainer::set_learning_rate(std::int64_t epoch, std::int64_t batch)
{
    double const scale = sync_->learning_rate_scale(epoch, batch, batches_per_epoch());
    for (auto* optimizer : {optimizer_d_.get(), optimizer_g_.get()})
    {
        for (auto& group : optimizer->param_groups())
            static_cast<torch::optim::RMSpropOptions&>(group.options()).lr(config_.train.learning_rate * scale);
    }
}

nn::DiscriminatorOutput GanTrainer::forward_discriminator(torch::Tensor const& images)
{
    AutocastScope autocast(options_.precision, options_.device);
    return discriminator_->forward(images);
}

StepLosses GanTrainer::train_step(TrainBatch const& real, std::int64_t step, std::int64_t first_sample)
{
    auto const device = options_.device;
    auto const n = real.size();
    SampleStreams const draws(options_.seed, step, first_sample, device);
    // Dropout masks come from torch's generator: keyed by step and rank.
    torch::manual_seed(derive_seed(options_.seed, static_cast<std::uint64_t>(step),
                                   static_cast<std::uint64_t>(SeedDomain::dropout) +
                                       kDropoutRankStride * static_cast<std::uint64_t>(sync_->rank())));

    StepLosses losses;
    auto const d_draw = static_cast<std::uint64_t>(StepDraw::discriminator_fakes);
    auto fake = fake_targets(config_, real, draws, d_draw);
    torch::Tensor fakes;
    {
        // Fakes for the D step come from G in inference mode (moving BN statistics).
        Phase phase(observers_, "fakes");
        torch::NoGradGuard no_grad;
        generator_->eval();
        AutocastScope autocast(options_.precision, device);
        fakes = generator_->forward(draws.noise(config_, d_draw, n), fake.conditions);
    }
    losses.fakes_empty = fakes.sum().item<double>() == 0.0;

    auto const d_params = discriminator_->parameters();
    auto const g_params = generator_->parameters();
    set_training(*discriminator_, options_.batchnorm_training);
    double const flip = options_.label_flip_probability;
    {
        Phase phase(observers_, "D real");
        torch::Tensor loss;
        auto const labels = draws.labels(StepDraw::real_labels, n, 1.0f, flip);
        losses.discriminator_real =
            discriminator_loss(forward_discriminator(real.images), labels, real.y, real.theta, real.ecal, &loss);
        optimizer_step(*optimizer_d_, loss, d_params);
    }
    {
        Phase phase(observers_, "D fake");
        torch::Tensor loss;
        auto const labels = draws.labels(StepDraw::fake_labels, n, 0.0f, flip);
        losses.discriminator_fake =
            discriminator_loss(forward_discriminator(fakes), labels, fake.y, real.theta, fake.ecal, &loss);
        optimizer_step(*optimizer_d_, loss, d_params);
    }

    // Generator updates through a frozen D in training mode (batch statistics,
    // dropout), as Keras trains the combined model.
    set_training(*generator_, options_.batchnorm_training);
    for (auto& p : d_params) p.set_requires_grad(false);
    auto const ones = torch::ones({n, 1}, torch::TensorOptions().device(device));
    for (int k = 0; k < options_.generator_steps; ++k)
    {
        Phase phase(observers_, "G step");
        auto const draw = static_cast<std::uint64_t>(StepDraw::first_generator_update) + k;
        fake = fake_targets(config_, real, draws, draw);
        torch::Tensor loss;
        nn::DiscriminatorOutput out;
        {
            AutocastScope autocast(options_.precision, device);
            out = discriminator_->forward(generator_->forward(draws.noise(config_, draw, n), fake.conditions));
        }
        losses.generator += discriminator_loss(out, ones, fake.y, real.theta, fake.ecal, &loss);
        optimizer_step(*optimizer_g_, loss, g_params);
    }
    for (auto& p : d_params) p.set_requires_grad(true);
    losses.generator = losses.generator.scaled(1.0 / std::max(1, options_.generator_steps));
    return losses;
}

StepLosses GanTrainer::evaluate_test(std::int64_t epoch)
{
    torch::NoGradGuard no_grad;
    generator_->eval();
    discriminator_->eval();
    auto const device = options_.device;
    AutocastScope autocast(options_.precision, device);
    std::size_t n_test = data_.test_size();
    if (options_.max_test_events > 0)
        n_test = std::min(n_test, options_.max_test_events);
    StepLosses sum;
    std::int64_t counted = 0;
    auto const batch_size = static_cast<std::size_t>(config_.train.batch_size);
    // Test draws are keyed by epoch and test event, in a domain of their own.
    auto const test_seed = derive_seed(options_.seed, static_cast<std::uint64_t>(SeedDomain::test));
    for (std::size_t first = 0; first < n_test; first += batch_size)
    {
        auto const real = to_tensors(data_.load_test(first, std::min(batch_size, n_test - first)), device);
        auto const n = real.size();
        if (n == 0)
            continue;
        SampleStreams const draws(test_seed, epoch, static_cast<std::int64_t>(first), device);
        auto const fake = fake_targets(config_, real, draws, 0);
        auto const fakes = generator_->forward(draws.noise(config_, 0, n), fake.conditions);
        auto const ones = torch::ones({n, 1}, torch::TensorOptions().device(device));
        auto const zeros = torch::zeros({n, 1}, torch::TensorOptions().device(device));
        auto const weight = static_cast<double>(n);
        sum.discriminator_real +=
            discriminator_loss(discriminator_->forward(real.images), ones, real.y, real.theta, real.ecal, nullptr)
                .scaled(weight);
        auto const fake_out = discriminator_->forward(fakes);
        sum.discriminator_fake +=
            discriminator_loss(fake_out, zeros, fake.y, real.theta, fake.ecal, nullptr).scaled(weight);
        sum.generator += discriminator_loss(fake_out, ones, fake.y, real.theta, fake.ecal, nullptr).scaled(weight);
        counted += n;
    }
    if (counted == 0)
        return sum;
    return sum.scaled(1.0 / static_cast<double>(counted));
}
}  // namespace calo::train
