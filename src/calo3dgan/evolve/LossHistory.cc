#include "calo3dgan/evolve/LossHistory.hh"

#include <cmath>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
std::optional<std::size_t> first_below(std::vector<double> const& loss, double threshold)
{
    for (std::size_t i = 0; i < loss.size(); ++i)
        if (loss[i] < threshold)
            return i;
    return std::nullopt;
}

//! NaN is stored as null in JSON.
std::vector<double> doubles(nlohmann::json const& array)
{
    std::vector<double> out;
    for (auto const& v : array)
        out.push_back(v.is_null() ? std::nan("") : v.get<double>());
    return out;
}
}  // namespace

void LossHistory::add(std::int64_t minibatches_done, double epochs_done, double train, double test, double elapsed_s)
{
    minibatches.push_back(minibatches_done);
    epoch.push_back(epochs_done);
    train_loss.push_back(train);
    test_loss.push_back(test);
    seconds.push_back(elapsed_s);
}

std::optional<double> LossHistory::seconds_to_reach(double threshold) const
{
    if (auto i = first_below(test_loss, threshold))
        return seconds[*i];
    return std::nullopt;
}

std::optional<double> LossHistory::epochs_to_reach(double threshold) const
{
    if (auto i = first_below(test_loss, threshold))
        return epoch[*i];
    return std::nullopt;
}

void LossHistory::truncate(std::int64_t minibatches_done)
{
    std::size_t keep = 0;
    while (keep < minibatches.size() && minibatches[keep] <= minibatches_done)
        ++keep;
    minibatches.resize(keep);
    epoch.resize(keep);
    train_loss.resize(keep);
    test_loss.resize(keep);
    seconds.resize(keep);
}

nlohmann::json LossHistory::to_json() const
{
    return {{"minibatches", minibatches}, {"epoch", epoch},     {"train_loss", train_loss},
            {"test_loss", test_loss},     {"seconds", seconds}};
}

LossHistory LossHistory::from_json(nlohmann::json const& json)
{
    try
    {
        LossHistory h;
        h.minibatches = json.at("minibatches").get<std::vector<std::int64_t>>();
        h.epoch = doubles(json.at("epoch"));
        h.train_loss = doubles(json.at("train_loss"));
        h.test_loss = doubles(json.at("test_loss"));
        h.seconds = doubles(json.at("seconds"));
        CALO_VALIDATE(h.epoch.size() == h.minibatches.size() && h.train_loss.size() == h.minibatches.size()
                          && h.test_loss.size() == h.minibatches.size() && h.seconds.size() == h.minibatches.size(),
                      "loss history columns of different lengths — the checkpoint is damaged");
        return h;
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed loss history (") + e.what() + ") — the checkpoint is damaged");
    }
}
}  // namespace calo::evolve
