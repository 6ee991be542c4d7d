#pragma once
// Small fitness functions for testing the evolution engine without a network.
#include <atomic>
#include <cmath>
#include <cstdint>
#include <vector>

#include "calo3dgan/evolve/FitnessFunction.hh"

namespace calo::evolve::test
{
//! Mean squared distance to 0.5, plus an optional generation-dependent
//! offset (a stand-in for minibatch noise). Counts its evaluations.
class Sphere final : public FitnessFunction
{
  public:
    explicit Sphere(double noise = 0) : noise_(noise) {}

    static double distance(std::vector<float> const& x)
    {
        double sum = 0;
        for (float v : x)
            sum += (v - 0.5) * (v - 0.5);
        return sum / static_cast<double>(x.size());
    }

    std::vector<double> evaluate(std::vector<std::vector<float>> const& candidates,
                                 std::int64_t generation) const override
    {
        std::vector<double> out;
        for (auto const& c : candidates)
            out.push_back(distance(c) * (1 + noise_ * std::sin(static_cast<double>(generation))));
        evaluations += static_cast<int>(candidates.size());
        return out;
    }

    mutable std::atomic<int> evaluations{0};

  private:
    double noise_;
};
}  // namespace calo::evolve::test
