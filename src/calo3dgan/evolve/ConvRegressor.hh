#pragma once
// The energy regressor of an architecture search: 1-3 convolutions with an
// activation, an optional hidden dense layer, a dense output. With the AISIS 2019
// paper's architecture (paper_architecture()) it computes exactly what
// EnergyRegressor does, from the same parameter layout.
#include <cstdint>

#include "calo3dgan/evolve/Regressor.hh"
#include "calo3dgan/evolve/RegressorArchitecture.hh"

namespace calo::evolve
{
class ConvRegressor final : public Regressor
{
  public:
    //! For images of rows x cols cells; throws InputError when a kernel does
    //! not fit (use fitted()) or a setting is out of range.
    ConvRegressor(int rows, int cols, RegressorArchitecture architecture);

    //! Blocks per layer: conv{i}.weight (filters, in, k, k), [conv{i}.bias],
    //! then [hidden.weight, hidden.bias], dense.weight, [dense.bias]; random
    //! parents draw U[-1/sqrt(fan_in), 1/sqrt(fan_in)] (PyTorch's default).
    ParameterSpace const& space() const override { return space_; }
    int rows() const override { return rows_; }
    int cols() const override { return cols_; }
    RegressorArchitecture const& architecture() const { return architecture_; }

    torch::Tensor forward(torch::Tensor const& parameters, torch::Tensor const& images_gev) const override;
    nlohmann::json describe() const override;

    //! Multiply-adds of one forward pass for one shower.
    std::int64_t operations() const { return operations_; }

    static constexpr double kInputScale = 100;  //!< cells [GeV] x this go in (as EnergyRegressor)
    static constexpr double kEnergyScaleGev = 100;  //!< output x this = estimate [GeV]
    static constexpr double kLeakySlope = 0.3;  //!< LeakyReLU slope (Keras default, as 3DGAN)

  private:
    int rows_;
    int cols_;
    RegressorArchitecture architecture_;
    std::vector<std::int64_t> extents_;  // (rows, cols) after each convolution
    std::int64_t features_ = 0;  // flattened outputs of the last convolution
    std::int64_t operations_ = 0;
    ParameterSpace space_;
};
}  // namespace calo::evolve
