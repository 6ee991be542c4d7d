#pragma once
// The search space of the energy regressor (issue: 1-3 convolutions with
// filters, kernel and stride each, activation, hidden dense units, bias, and
// the learning rate and batch of its training) as genes, and genes back to
// an architecture.
#include <string>
#include <utility>
#include <vector>

#include "calo3dgan/evolve/GeneSpace.hh"
#include "calo3dgan/evolve/RegressorArchitecture.hh"

namespace calo::evolve
{
struct ArchitectureRanges
{
    std::pair<int, int> conv_layers{1, 3};
    std::pair<int, int> filters{2, 32};  //!< powers of two
    std::pair<int, int> kernel{2, 7};  //!< [cells]
    std::pair<int, int> stride{1, 3};  //!< [cells]
    std::vector<std::string> activations{"leaky_relu", "relu", "elu", "tanh"};
    std::pair<int, int> hidden_units{0, 64};  //!< powers of two from 4, or 0 (none)
    std::vector<std::string> bias{"no", "yes"};
    std::pair<double, double> learning_rate{1e-4, 1e-2};  //!< log-uniform
    std::pair<int, int> batch{32, 256};  //!< powers of two
};

class ArchitectureSpace
{
  public:
    //! Throws UsageError (naming the option) for an empty or inverted range,
    //! conv layers outside 1-3, an unknown activation or bias choice.
    explicit ArchitectureSpace(ArchitectureRanges ranges);

    GeneSpace const& genes() const { return space_; }
    //! The architecture of a gene vector, fitted to rows x cols images.
    RegressorArchitecture decode(std::vector<float> const& genes, int rows, int cols) const;

  private:
    ArchitectureRanges ranges_;
    GeneSpace space_;
};
}  // namespace calo::evolve
