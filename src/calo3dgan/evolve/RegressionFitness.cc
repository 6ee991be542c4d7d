#include "calo3dgan/evolve/RegressionFitness.hh"

#include <ATen/Parallel.h>

namespace calo::evolve
{
RegressionFitness::RegressionFitness(Regressor const& regressor, ProjectedShowers const& train,
                                     MinibatchSchedule const& schedule)
    : regressor_(regressor), train_(train), schedule_(schedule)
{
}

std::vector<double> RegressionFitness::evaluate(std::vector<std::vector<float>> const& candidates,
                                                std::int64_t generation) const
{
    auto const events = schedule_.batch(generation);
    auto const index = torch::tensor(std::vector<std::int64_t>(events.begin(), events.end()), torch::kInt64);
    auto const images = images_tensor(train_, 0, train_.size()).index_select(0, index);
    auto const energy = torch::from_blob(const_cast<float*>(train_.energy_gev.data()),
                                         {static_cast<std::int64_t>(train_.size())}, torch::kFloat32)
                            .index_select(0, index);
    std::vector<double> losses(candidates.size());
    // Inside at::parallel_for, ATen runs every operation on the calling thread.
    at::parallel_for(0, static_cast<std::int64_t>(candidates.size()), 1, [&](std::int64_t begin, std::int64_t end) {
        torch::NoGradGuard no_grad;  // thread-local: set on each worker
        for (auto i = begin; i < end; ++i)
        {
            auto const estimate = regressor_.forward(as_tensor(candidates[static_cast<std::size_t>(i)]), images);
            losses[static_cast<std::size_t>(i)] = mean_relative_error(estimate, energy).item<double>();
        }
    });
    return losses;
}
}  // namespace calo::evolve
