#pragma once
// A torch-free candidate evaluator for search tests: the "error" of a gene
// vector is its distance from a target point in normalised gene space, so a
// search that works finds small errors. Pure in (genes, seed).
#include <atomic>
#include <cmath>

#include "calo3dgan/evolve/CandidateEvaluator.hh"
#include "calo3dgan/evolve/GeneSpace.hh"

namespace calo::test
{
class DistanceEvaluator final : public evolve::CandidateEvaluator
{
  public:
    explicit DistanceEvaluator(evolve::GeneSpace const& space) : space_(space) {}

    evolve::CandidateResult evaluate(std::vector<float> const& genes, std::uint64_t seed) const override
    {
        ++evaluations;
        double sum = 0;
        for (std::size_t i = 0; i < genes.size(); ++i)
        {
            auto const& g = space_.genes()[i];
            double const lowest = g.with_zero ? g.low - 1 : g.low;
            double const x = g.high > lowest ? (genes[i] - lowest) / (g.high - lowest) : 0.0;
            sum += (x - 0.3) * (x - 0.3);
        }
        evolve::CandidateResult r;
        r.validation_error = std::sqrt(sum);
        // A little seed-dependent noise on the test error: reported, never selected on.
        r.test_error = r.validation_error + 1e-3 * static_cast<double>(seed % 7);
        r.parameters = static_cast<std::int64_t>(1 + 10 * genes[0]);
        r.operations = 2 * r.parameters;
        r.seconds = 0.001;
        return r;
    }
    mutable std::atomic<int> evaluations{0};

  private:
    evolve::GeneSpace const& space_;
};

//! Three integer genes, a categorical and a log-uniform one.
inline evolve::GeneSpace toy_space()
{
    return evolve::GeneSpace({evolve::integer_gene("a", 0, 20, "--a"), evolve::integer_gene("b", -5, 5, "--b"),
                              evolve::power_of_two_gene("c", 0, 64, "--c"),
                              evolve::categorical_gene("d", {"x", "y", "z"}, "--d"),
                              evolve::log_uniform_gene("e", 1e-4, 1e-1, "--e")});
}

//! Records without their timings: what must not depend on ranks or resumes.
inline nlohmann::json without_timings(std::vector<evolve::CandidateRecord> const& records, bool keep_rank = false)
{
    auto out = nlohmann::json::array();
    for (auto const& r : records)
    {
        auto j = evolve::to_json(r);
        j["result"].erase("seconds");
        if (!keep_rank)
            j.erase("rank");
        out.push_back(std::move(j));
    }
    return out;
}
}  // namespace calo::test
