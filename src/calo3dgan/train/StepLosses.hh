#pragma once
// The losses of one 3DGAN training step, as numbers for histories and logs.
#include <vector>

#include <nlohmann/json.hpp>

namespace calo::train
{
//! Loss of one discriminator evaluation: the weighted total and its parts in
//! output order (A: BCE, MAPE(y), MAPE(ECAL); B: BCE, MAPE(y), MAE(theta), MAPE(ECAL)).
struct LossValues
{
    double total = 0;
    std::vector<double> parts;

    LossValues& operator+=(LossValues const& other);
    LossValues scaled(double factor) const;
    bool finite() const;
};

struct StepLosses
{
    LossValues discriminator_real;
    LossValues discriminator_fake;
    LossValues generator;  //!< mean of the generator updates
    bool fakes_empty = false;  //!< every fake image of the D step was all zero

    StepLosses& operator+=(StepLosses const& other);
    StepLosses scaled(double factor) const;
    bool finite() const;
};

//! {"total": ..., "parts": [...]}
nlohmann::json to_json(LossValues const& loss);
//! {"discriminator_real": ..., "discriminator_fake": ..., "generator": ...}
nlohmann::json to_json(StepLosses const& losses);
}  // namespace calo::train
