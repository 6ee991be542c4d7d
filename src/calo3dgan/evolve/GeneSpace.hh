#pragma once
// The genes of a hyper-parameter or architecture search, as one float vector
// so that the engine's seed chains (Genome) and Mutation interface apply:
// a candidate is the seed of its random ancestor and the seeds of its
// mutations, and every rank decodes the same genes from it.
//
// Gene kinds and their mutation (each gene is mutated with probability
// `rate`, at least one per mutation; u ~ U[-1, 1] as in the point mutation
// of the AISIS 2019 paper, scaled by the mutation power):
//  - integer [low, high]: value + round(u x power x (high - low)), at least
//    one step, reflected into the range;
//  - power_of_two [2^a, 2^b] (stored as the exponent), optionally with 0 as
//    the lowest value: an integer over the exponents;
//  - categorical (n choices, stored as the index): another choice, uniformly;
//  - log_uniform [low, high] (stored as log10): log10 value + u x power x
//    (log10 high - log10 low), reflected into the range.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/Genome.hh"
#include "calo3dgan/evolve/Mutation.hh"

namespace calo::evolve
{
enum class GeneKind
{
    integer,
    power_of_two,
    categorical,
    log_uniform
};

struct Gene
{
    std::string name;
    GeneKind kind = GeneKind::integer;
    //! integer: the range; power_of_two: exponents; categorical: 0 and n - 1;
    //! log_uniform: log10 of the range.
    double low = 0;
    double high = 0;
    bool with_zero = false;  //!< power_of_two: value 0 below 2^low (stored as low - 1)
    std::vector<std::string> choices;  //!< categorical

    //! The value a stored gene stands for (choices: its index).
    double value(float stored) const;
    //! Distinct values (0 for log_uniform).
    std::size_t cardinality() const;
};

//! Integer gene over [low, high]. Throws UsageError naming `option` for an
//! inverted range.
Gene integer_gene(std::string name, int low, int high, std::string const& option);
//! Powers of two in [low, high] (0 allowed as low: "none"). Throws
//! UsageError for an inverted range or one without a power of two.
Gene power_of_two_gene(std::string name, int low, int high, std::string const& option);
//! Throws UsageError for no choices.
Gene categorical_gene(std::string name, std::vector<std::string> choices, std::string const& option);
//! Log-uniform over [low, high], both positive. Throws UsageError otherwise.
Gene log_uniform_gene(std::string name, double low, double high, std::string const& option);

class GeneSpace
{
  public:
    //! Throws UsageError for no genes.
    explicit GeneSpace(std::vector<Gene> genes);

    std::vector<Gene> const& genes() const { return genes_; }
    std::size_t size() const { return genes_.size(); }
    //! Index of the gene called `name`; InputError if there is none.
    std::size_t index(std::string const& name) const;

    //! A random candidate, each gene uniform over its range (log-uniform for
    //! log_uniform genes), from Rng(seed) alone.
    std::vector<float> sample(std::uint64_t seed) const;
    //! The genes a seed chain stands for.
    std::vector<float> decode(Genome const& genome, Mutation const& mutation) const;
    //! {name: value} (choices by name).
    nlohmann::json to_json(std::vector<float> const& genes) const;
    nlohmann::json describe() const;

  private:
    std::vector<Gene> genes_;
};

class GeneMutation final : public Mutation
{
  public:
    struct Options
    {
        double rate = 0.2;  //!< probability that a gene changes, in [0, 1]
    };
    //! Keeps a reference to `space`. Throws UsageError for a rate outside [0, 1].
    GeneMutation(GeneSpace const& space, Options options);

    //! power in (0, 1]: the largest step as a fraction of each gene's range.
    void apply(std::vector<float>& genes, std::uint64_t seed, double power) const override;

  private:
    GeneSpace const& space_;
    Options options_;
};
}  // namespace calo::evolve
