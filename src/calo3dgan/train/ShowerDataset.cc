#include "calo3dgan/train/ShowerDataset.hh"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"

namespace calo::train
{
namespace
{
// Seed domain of the epoch shuffles.
constexpr std::uint64_t kShuffleDomain = 0x5348554646ull;

//! Append one event batch to another (same layout and shape).
void append(event::EventBatch& into, event::EventBatch const& from)
{
    into.cells.insert(into.cells.end(), from.cells.begin(), from.cells.end());
    into.energy_gev.insert(into.energy_gev.end(), from.energy_gev.begin(), from.energy_gev.end());
    into.theta_rad.insert(into.theta_rad.end(), from.theta_rad.begin(), from.theta_rad.end());
    into.measured_angle_rad.insert(into.measured_angle_rad.end(), from.measured_angle_rad.begin(), from.measured_angle_rad.end());
    into.pdg_id.insert(into.pdg_id.end(), from.pdg_id.begin(), from.pdg_id.end());
}
}  // namespace

ShowerDataset::ShowerDataset(io::DatasetReader reader, nn::ArchitectureConfig const& model, Options options)
    : ShowerDataset(std::move(reader), nn::preprocess_options(model), options)
{
}

ShowerDataset::ShowerDataset(io::DatasetReader reader, io::PreprocessOptions preprocess, Options options)
    : reader_(std::move(reader)), preprocess_(preprocess), options_(options)
{
    CALO_VALIDATE(options_.test_fraction >= 0 && options_.test_fraction < 1,
                  "test fraction must be in [0, 1) (got " + std::to_string(options_.test_fraction) + ")");
    end_ = reader_.num_events();
    if (options_.max_events > 0)
        end_ = std::min(end_, options_.max_events);
    auto const n_test = static_cast<std::size_t>(std::ceil(options_.test_fraction * static_cast<double>(end_)));
    train_end_ = end_ - std::min(n_test, end_);
    CALO_VALIDATE(train_end_ > 0, "no training events left (dataset has " + std::to_string(end_)
                                      + " events, test fraction " + std::to_string(options_.test_fraction)
                                      + ") — use more data or a smaller test fraction");
}

std::vector<std::size_t> ShowerDataset::epoch_order(std::int64_t epoch) const
{
    std::vector<std::size_t> order(train_end_);
    std::iota(order.begin(), order.end(), std::size_t{0});
    // Fisher-Yates with our own engine: identical on every platform.
    Rng rng(derive_seed(options_.seed, static_cast<std::uint64_t>(epoch), kShuffleDomain));
    for (std::size_t i = order.size(); i > 1; --i)
    {
        auto const j = static_cast<std::size_t>(rng.uniform() * static_cast<double>(i));
        std::swap(order[i - 1], order[std::min(j, i - 1)]);
    }
    return order;
}

io::PreprocessedBatch ShowerDataset::load(std::vector<std::size_t> const& events) const
{
    // Read in ascending order, one hyperslab per run of consecutive events,
    // then restore the requested order.
    std::vector<std::size_t> sorted(events);
    std::sort(sorted.begin(), sorted.end());
    event::EventBatch batch;
    batch.layout = reader_.layout();
    batch.shape = reader_.shape();
    for (std::size_t i = 0; i < sorted.size();)
    {
        std::size_t j = i + 1;
        while (j < sorted.size() && sorted[j] == sorted[j - 1] + 1)
            ++j;
        auto part = reader_.read(sorted[i], j - i);
        if (i == 0)
            batch = std::move(part);
        else
            append(batch, part);
        i = j;
    }
    // Position of each requested event inside the sorted read.
    event::EventBatch ordered;
    ordered.layout = batch.layout;
    ordered.shape = batch.shape;
    std::size_t const cells = batch.shape.size();
    ordered.cells.resize(events.size() * cells);
    for (std::size_t k = 0; k < events.size(); ++k)
    {
        auto const pos = static_cast<std::size_t>(std::lower_bound(sorted.begin(), sorted.end(), events[k])
                                                  - sorted.begin());
        std::copy_n(batch.cells.begin() + pos * cells, cells, ordered.cells.begin() + k * cells);
        ordered.energy_gev.push_back(batch.energy_gev[pos]);
        if (!batch.theta_rad.empty())
            ordered.theta_rad.push_back(batch.theta_rad[pos]);
        if (!batch.measured_angle_rad.empty())
            ordered.measured_angle_rad.push_back(batch.measured_angle_rad[pos]);
        if (!batch.pdg_id.empty())
            ordered.pdg_id.push_back(batch.pdg_id[pos]);
    }
    return io::preprocess(ordered, preprocess_);
}

io::PreprocessedBatch ShowerDataset::load_test(std::size_t first, std::size_t count) const
{
    CALO_VALIDATE(first + count <= test_size(), "test range past the end of the test split");
    return io::preprocess(reader_.read(train_end_ + first, count), preprocess_);
}
}  // namespace calo::train
