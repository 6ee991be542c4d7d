#pragma once
// What a search does with one candidate: train it from its genes and
// measure it. Lower errors are better; selection uses the validation error
// only, the test error is reported and never decides anything.
#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "calo3dgan/evolve/Genome.hh"

namespace calo::evolve
{
struct CandidateResult
{
    double validation_error = 0;  //!< the fitness (NaN: failed, worse than anything)
    double test_error = 0;  //!< reported only
    std::int64_t parameters = 0;  //!< trained parameters
    std::int64_t operations = 0;  //!< multiply-adds per event of one forward pass
    double seconds = 0;  //!< training and evaluation wall time [s]
    nlohmann::json details = nlohmann::json::object();  //!< target-specific (architecture, merit terms)
};
nlohmann::json to_json(CandidateResult const& result);
CandidateResult candidate_result_from_json(nlohmann::json const& json);

//! One evaluated candidate of a search.
struct CandidateRecord
{
    std::int64_t index = 0;  //!< order of issue, from 0
    std::int64_t generation = 0;  //!< generational searches; asynchronous: the parent's + 1
    Genome genome;
    std::vector<float> genes;
    int rank = 0;  //!< the rank that trained it
    CandidateResult result;
};
nlohmann::json to_json(CandidateRecord const& record);
CandidateRecord candidate_record_from_json(nlohmann::json const& json);

//! Validation errors compared with NaN as the worst value.
bool better_error(double a, double b);

class CandidateEvaluator
{
  public:
    virtual ~CandidateEvaluator() = default;
    //! Train the candidate with these genes and measure it. `seed` keys every
    //! random draw of its training: apart from `seconds` the result is a pure
    //! function of (genes, seed) on any rank, which makes a distributed
    //! generation equal a serial one.
    virtual CandidateResult evaluate(std::vector<float> const& genes, std::uint64_t seed) const = 0;
};

//! Indices of the records on the Pareto front of (parameters, validation
//! error): no other record has fewer-or-equal parameters and a lower-or-equal
//! error with one of them strictly lower. Sorted by parameters.
std::vector<std::size_t> pareto_front(std::vector<CandidateRecord> const& records);
}  // namespace calo::evolve
