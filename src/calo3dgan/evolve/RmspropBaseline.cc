#include "calo3dgan/evolve/RmspropBaseline.hh"

#include <chrono>

#include <spdlog/spdlog.h>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"

namespace calo::evolve
{
RmspropResult train_rmsprop(Regressor const& regressor, std::vector<float> const& initial,
                            ProjectedShowers const& train, ProjectedShowers const& test,
                            MinibatchSchedule const& schedule, RmspropOptions const& options)
{
    CALO_VALIDATE(options.epochs >= 0, "RMSprop epochs must not be negative");
    CALO_VALIDATE(options.learning_rate > 0, "the RMSprop learning rate must be positive");
    using Clock = std::chrono::steady_clock;
    auto const per_epoch = schedule.batches_per_epoch();
    auto const every = options.history_every > 0 ? options.history_every : per_epoch;
    auto const total = options.epochs * per_epoch;

    auto parameters = as_tensor(initial).clone().requires_grad_(true);
    torch::optim::RMSprop optimizer({parameters}, torch::optim::RMSpropOptions(options.learning_rate)
                                                      .alpha(options.alpha)
                                                      .eps(options.eps));
    auto const all_images = images_tensor(train, 0, train.size());
    auto const all_energy = torch::from_blob(const_cast<float*>(train.energy_gev.data()),
                                             {static_cast<std::int64_t>(train.size())}, torch::kFloat32);
    RmspropResult result;
    auto record = [&](std::int64_t steps) {
        std::vector<float> current(parameters.data_ptr<float>(), parameters.data_ptr<float>() + parameters.numel());
        double const train_loss = regressor.loss(current, train);
        double const test_loss = regressor.loss(current, test);
        result.history.add(steps, static_cast<double>(steps) / per_epoch, train_loss, test_loss, result.seconds);
        spdlog::debug("rmsprop step {} (epoch {:.2f}): train {:.4f}, test {:.4f}", steps,
                      static_cast<double>(steps) / per_epoch, train_loss, test_loss);
        return current;
    };
    if (options.history)
        record(0);
    for (std::int64_t step = 0; step < total; ++step)
    {
        throw_if_interrupted();
        auto const start = Clock::now();
        auto const events = schedule.batch(step);
        auto const index = torch::tensor(std::vector<std::int64_t>(events.begin(), events.end()), torch::kInt64);
        optimizer.zero_grad();
        auto const loss = mean_relative_error(regressor.forward(parameters, all_images.index_select(0, index)),
                                              all_energy.index_select(0, index));
        loss.backward();
        optimizer.step();
        result.seconds += std::chrono::duration<double>(Clock::now() - start).count();
        if (options.history && ((step + 1) % every == 0 || step + 1 == total))
            record(step + 1);
        if (options.after_epoch && (step + 1) % per_epoch == 0)
            options.after_epoch((step + 1) / per_epoch,
                                std::vector<float>(parameters.data_ptr<float>(),
                                                   parameters.data_ptr<float>() + parameters.numel()));
    }
    result.steps = total;
    result.parameters.assign(parameters.data_ptr<float>(), parameters.data_ptr<float>() + parameters.numel());
    return result;
}
}  // namespace calo::evolve
