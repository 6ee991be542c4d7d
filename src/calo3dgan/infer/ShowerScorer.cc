#include "calo3dgan/infer/ShowerScorer.hh"

#include <algorithm>
#include <limits>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"

namespace calo::infer
{
namespace
{
void append_column(std::vector<float>& out, torch::Tensor const& column)
{
    auto const host = column.to(torch::kCPU, torch::kFloat32).contiguous();
    out.insert(out.end(), host.data_ptr<float>(), host.data_ptr<float>() + host.numel());
}
}  // namespace

void ShowerScores::append(ShowerScores const& other)
{
    probability.insert(probability.end(), other.probability.begin(), other.probability.end());
    energy_estimate_gev.insert(energy_estimate_gev.end(), other.energy_estimate_gev.begin(),
                               other.energy_estimate_gev.end());
    ecal_gev.insert(ecal_gev.end(), other.ecal_gev.begin(), other.ecal_gev.end());
    angle_rad.insert(angle_rad.end(), other.angle_rad.begin(), other.angle_rad.end());
}

ShowerScorer::ShowerScorer(nn::Discriminator discriminator, ShowerScorerOptions options)
    : discriminator_(std::move(discriminator)), options_(options)
{
    CALO_VALIDATE(discriminator_, "no discriminator given — bug in the caller");
    CALO_VALIDATE_USAGE(options_.batch_size > 0,
                        "batch size must be positive (got " + std::to_string(options_.batch_size) + ")");
    preprocessing_ = nn::preprocess_options(discriminator_->config());
    // Score every event: model B's training drops ECAL <= 10 (file units).
    preprocessing_.min_ecal = -std::numeric_limits<double>::infinity();
    // The discriminator sees only the images; the angle is not needed.
    preprocessing_.use_measured_angle = false;
    discriminator_->to(options_.device);
    discriminator_->eval();
}

ShowerScorer ShowerScorer::load(std::string const& checkpoint, ShowerScorerOptions options)
{
    auto loaded = nn::load_checkpoint(checkpoint, options.device);
    CALO_VALIDATE(loaded.discriminator, "checkpoint has no discriminator (where: " + loaded.path +
                                            ") — use a training checkpoint, or import-keras with --discriminator");
    return ShowerScorer(loaded.discriminator, options);
}

ShowerScores ShowerScorer::score(event::EventBatch const& events)
{
    auto const& cfg = config();
    CALO_VALIDATE(events.shape == cfg.image_shape, "images are " + events.shape.to_string() + " (layout " +
                                                       event::to_string(events.layout) + ") but model " + cfg.name +
                                                       " takes " + cfg.image_shape.to_string() +
                                                       " — score them with a model made for this layout");
    double const yscale = cfg.train.yscale;
    // ECAL head: sum of xscale x cells in the family's units -> GeV
    double const ecal_to_gev = event::cell_unit_gev(preprocessing_.family) / preprocessing_.xscale;
    std::size_t const n = events.size();
    std::size_t const cells_per_event = events.shape.size();
    ShowerScores scores;
    torch::NoGradGuard no_grad;
    for (std::size_t first = 0; first < n; first += static_cast<std::size_t>(options_.batch_size))
    {
        std::size_t const count = std::min(static_cast<std::size_t>(options_.batch_size), n - first);
        event::EventBatch part;
        part.layout = events.layout;
        part.shape = events.shape;
        part.cells.assign(events.image(first), events.image(first) + count * cells_per_event);
        part.energy_gev.assign(events.energy_gev.begin() + first, events.energy_gev.begin() + first + count);
        auto prepared = io::preprocess(part, preprocessing_);
        CALO_VALIDATE(prepared.size() == count, "preprocessing dropped events while scoring — bug in calo3dgan");
        auto const images =
            torch::from_blob(prepared.cells.data(),
                             {static_cast<std::int64_t>(count), 1, events.shape.nx, events.shape.ny, events.shape.nz},
                             torch::kFloat32)
                .to(options_.device);
        auto const out = discriminator_->forward(images);
        append_column(scores.probability, out.probability);
        append_column(scores.energy_estimate_gev, out.energy * yscale);
        append_column(scores.ecal_gev, out.ecal * ecal_to_gev);
        if (cfg.has_angle_head())
            append_column(scores.angle_rad, out.angle);
    }
    return scores;
}
}  // namespace calo::infer
