#pragma once
// The objective of an evolution strategy: lower is better.
#include <cstdint>
#include <vector>

namespace calo::evolve
{
class FitnessFunction
{
  public:
    virtual ~FitnessFunction() = default;
    //! Loss of each candidate on the data of `generation` (the same data for
    //! all candidates of a generation). Must be a pure function of
    //! (parameters, generation), whatever the rank or thread count, so that a
    //! distributed run selects exactly what a serial one does. NaN counts as
    //! worse than anything.
    virtual std::vector<double> evaluate(std::vector<std::vector<float>> const& candidates,
                                         std::int64_t generation) const = 0;
};
}  // namespace calo::evolve
