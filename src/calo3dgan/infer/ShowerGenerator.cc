#include "calo3dgan/infer/ShowerGenerator.hh"

#include <algorithm>
#include <cmath>
#include <tuple>

#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/Initializers.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"

namespace calo::infer
{
ShowerGenerator::ShowerGenerator(nn::Generator generator, ShowerGeneratorOptions options)
    : generator_(std::move(generator)), options_(options)
{
    CALO_VALIDATE(generator_, "no generator given — bug in the caller");
    CALO_VALIDATE_USAGE(options_.batch_size > 0,
                        "batch size must be positive (got " + std::to_string(options_.batch_size) + ")");
    layout_ = layout_for(generator_->config());
    units_ = nn::preprocess_options(generator_->config());
    generator_->to(options_.device);
    generator_->eval();
}

ShowerGenerator ShowerGenerator::load(std::string const& checkpoint, ShowerGeneratorOptions options)
{
    auto loaded = nn::load_checkpoint(checkpoint, options.device);
    return ShowerGenerator(loaded.generator, options);
}

GeneratorInputs ShowerGenerator::sample_inputs(std::uint64_t seed, std::size_t first, std::size_t count,
                                               ValueSampler const& energy_gev, ValueSampler const& theta_rad) const
{
    bool const with_angle = config().family == nn::ModelFamily::b;
    CALO_VALIDATE(energy_gev && (!with_angle || theta_rad), "no energy or angle sampler given — bug in the caller");
    auto const noise_size = static_cast<std::size_t>(this->noise_size());
    GeneratorInputs inputs;
    inputs.energy_gev.resize(count);
    inputs.noise.resize(count * noise_size);
    if (with_angle)
        inputs.theta_rad.resize(count);
    for (std::size_t i = 0; i < count; ++i)
    {
        // One stream per event, keyed by its index in the whole output
        Rng rng(derive_seed(seed, first + i));
        inputs.energy_gev[i] = static_cast<float>(energy_gev(rng));
        if (with_angle)
            inputs.theta_rad[i] = static_cast<float>(theta_rad(rng));
        float* z = inputs.noise.data() + i * noise_size;
        for (std::size_t k = 0; k < noise_size; ++k) z[k] = static_cast<float>(nn::sample_standard_normal(rng));
    }
    return inputs;
}

event::EventBatch ShowerGenerator::generate(GeneratorInputs const& inputs)
{
    auto const& cfg = config();
    std::size_t const n = inputs.size();
    auto const noise_size = static_cast<std::size_t>(this->noise_size());
    bool const with_angle = cfg.family == nn::ModelFamily::b;
    CALO_VALIDATE(inputs.noise.size() == n * noise_size,
                  "latent noise has " + std::to_string(inputs.noise.size()) + " values for " + std::to_string(n) +
                      " events, model " + cfg.name + " needs " + std::to_string(noise_size) +
                      " per event — give z as (N, " + std::to_string(noise_size) + ")");
    CALO_VALIDATE(!with_angle || inputs.theta_rad.size() == n,
                  "model " + cfg.name + " is conditioned on the angle, but " + std::to_string(inputs.theta_rad.size()) +
                      " angles were given for " + std::to_string(n) + " events — give theta [rad] for every event");
    CALO_VALIDATE(with_angle || inputs.theta_rad.empty(),
                  "model " + cfg.name + " is a fixed-angle model and takes no angle — drop theta");
    for (std::size_t i = 0; i < n; ++i)
    {
        CALO_VALIDATE(std::isfinite(inputs.energy_gev[i]) && inputs.energy_gev[i] > 0,
                      "energy of event " + std::to_string(i) + " is " + std::to_string(inputs.energy_gev[i]) +
                          " GeV — energies must be positive");
        CALO_VALIDATE(!with_angle || std::isfinite(inputs.theta_rad[i]),
                      "angle of event " + std::to_string(i) + " is not finite — give angles in rad");
    }

    event::EventBatch batch;
    batch.layout = layout_;
    batch.shape = cfg.image_shape;
    batch.energy_gev = inputs.energy_gev;
    batch.theta_rad = inputs.theta_rad;
    std::size_t const cells_per_event = batch.shape.size();
    batch.cells.resize(n * cells_per_event);

    torch::NoGradGuard no_grad;
    auto const columns = static_cast<std::int64_t>(cfg.num_conditions());
    std::vector<float> conditions;
    for (std::size_t first = 0; first < n; first += static_cast<std::size_t>(options_.batch_size))
    {
        std::size_t const count = std::min(static_cast<std::size_t>(options_.batch_size), n - first);
        auto const rows = static_cast<std::int64_t>(count);
        conditions.assign(count * columns, 0.0f);
        for (std::size_t i = 0; i < count; ++i)
        {
            conditions[i * columns] = static_cast<float>(inputs.energy_gev[first + i] / cfg.train.yscale);
            if (with_angle)
                conditions[i * columns + 1] = inputs.theta_rad[first + i];
        }
        auto const noise = torch::from_blob(const_cast<float*>(inputs.noise.data() + first * noise_size),
                                            {rows, static_cast<std::int64_t>(noise_size)}, torch::kFloat32)
                               .to(options_.device);
        auto const cond = torch::from_blob(conditions.data(), {rows, columns}, torch::kFloat32).to(options_.device);
        // (N, 1, x, y, z) -> host, layer index fastest as in the files
        auto const images = generator_->forward(noise, cond).to(torch::kCPU, torch::kFloat32).contiguous();
        std::copy_n(images.data_ptr<float>(), count * cells_per_event, batch.cells.data() + first * cells_per_event);
    }
    io::postprocess_in_place(batch.cells, units_);
    return batch;
}

std::pair<double, double> ShowerGenerator::trained_energy_range_gev() const
{
    auto const& train = config().train;
    return {train.energy_min * train.yscale, train.energy_max * train.yscale};
}

std::pair<double, double> ShowerGenerator::trained_angle_range_rad() const
{
    auto const& train = config().train;
    if (config().family == nn::ModelFamily::a)
        return {kPi / 2, kPi / 2};
    return {train.angle_min_rad, train.angle_max_rad};
}

std::string ShowerGenerator::range_warning(double energy_lo_gev, double energy_hi_gev, double theta_lo_rad,
                                           double theta_hi_rad) const
{
    TrainedRange range;
    range.model = config().name;
    std::tie(range.energy_min_gev, range.energy_max_gev) = trained_energy_range_gev();
    std::tie(range.angle_min_rad, range.angle_max_rad) = trained_angle_range_rad();
    range.has_angle = config().family == nn::ModelFamily::b;
    return infer::range_warning(range, energy_lo_gev, energy_hi_gev, theta_lo_rad, theta_hi_rad);
}
}  // namespace calo::infer
