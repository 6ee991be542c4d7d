#pragma once
// Which training events form minibatch b: each epoch is a fresh permutation
// of the training set cut into batches (the remainder is dropped). The GA's
// generation g and RMSprop's step g both use minibatch g, so the two methods
// see the same data in the same order and share one epoch axis.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace calo::evolve
{
class MinibatchSchedule
{
  public:
    //! Throws InputError when there is not one full batch of events.
    MinibatchSchedule(std::size_t events, std::size_t batch_size, std::uint64_t seed);

    std::size_t batch_size() const { return batch_size_; }
    std::int64_t batches_per_epoch() const { return static_cast<std::int64_t>(events_ / batch_size_); }
    //! Event indices of minibatch `index` (epoch index / batches_per_epoch);
    //! a pure function of (events, batch size, seed, index).
    std::vector<std::size_t> batch(std::int64_t index) const;

  private:
    std::size_t events_;
    std::size_t batch_size_;
    std::uint64_t seed_;
};
}  // namespace calo::evolve
