#include "calo3dgan/evolve/MinibatchSchedule.hh"

#include <numeric>
#include <string>
#include <utility>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Random.hh"

namespace calo::evolve
{
namespace
{
constexpr std::uint64_t kShuffleDomain = 0x45564f4c56450003ull;
}

MinibatchSchedule::MinibatchSchedule(std::size_t events, std::size_t batch_size, std::uint64_t seed)
    : events_(events), batch_size_(batch_size), seed_(seed)
{
    CALO_VALIDATE(batch_size_ >= 1, "the minibatch size must be at least 1");
    CALO_VALIDATE(events_ >= batch_size_, "fewer training events (" + std::to_string(events_)
                                              + ") than one minibatch (" + std::to_string(batch_size_)
                                              + ") — use more events or a smaller --batch");
}

std::vector<std::size_t> MinibatchSchedule::batch(std::int64_t index) const
{
    auto const per_epoch = batches_per_epoch();
    auto const epoch = static_cast<std::uint64_t>(index / per_epoch);
    auto const position = static_cast<std::size_t>(index % per_epoch);
    std::vector<std::size_t> order(events_);
    std::iota(order.begin(), order.end(), std::size_t{0});
    // Fisher-Yates with a portable engine: the same order on every platform.
    Rng rng(derive_seed(seed_, epoch, kShuffleDomain));
    for (std::size_t i = events_ - 1; i > 0; --i)
    {
        auto const j = static_cast<std::size_t>(uniform_index(rng, i + 1));
        std::swap(order[i], order[j]);
    }
    auto const begin = order.begin() + static_cast<std::ptrdiff_t>(position * batch_size_);
    return {begin, begin + static_cast<std::ptrdiff_t>(batch_size_)};
}
}  // namespace calo::evolve
