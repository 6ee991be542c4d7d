#pragma once
// Point mutation (Carminati et al. 2019, §5.1, after Such et al. 2017): a fixed fraction of the
// parameters, chosen at random, each moved by power x U[-1, 1] (or power x
// N(0, 1), the N(mu, sigma^2) of Table 1 of Carminati et al. 2019).
#include <string>

#include "calo3dgan/evolve/Mutation.hh"

namespace calo::evolve
{
enum class MutationDistribution
{
    uniform,  //!< change = power x U[-1, 1]
    gaussian  //!< change = power x N(0, 1)
};
MutationDistribution parse_mutation_distribution(std::string const& name);
std::string to_string(MutationDistribution distribution);

class PointMutation final : public Mutation
{
  public:
    struct Options
    {
        double rate = 0.1;  //!< fraction of the parameters changed per mutation, in [0, 1]
        MutationDistribution distribution = MutationDistribution::uniform;
    };

    //! Throws InputError for a rate outside [0, 1].
    explicit PointMutation(Options options);

    void apply(std::vector<float>& parameters, std::uint64_t seed, double power) const override;

    //! Parameters changed per mutation out of `size`: round(rate x size), at
    //! least one for a positive rate.
    std::size_t mutated_count(std::size_t size) const;
    Options const& options() const { return options_; }

  private:
    Options options_;
};
}  // namespace calo::evolve
