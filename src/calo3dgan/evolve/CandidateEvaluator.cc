#include "calo3dgan/evolve/CandidateEvaluator.hh"

#include <algorithm>
#include <cmath>
#include <limits>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
double number(nlohmann::json const& value)
{
    // NaN is written as null by nlohmann::json.
    return value.is_null() ? std::numeric_limits<double>::quiet_NaN() : value.get<double>();
}
}  // namespace

nlohmann::json to_json(CandidateResult const& r)
{
    return {{"validation_error", r.validation_error},
            {"test_error", r.test_error},
            {"parameters", r.parameters},
            {"operations", r.operations},
            {"seconds", r.seconds},
            {"details", r.details}};
}

CandidateResult candidate_result_from_json(nlohmann::json const& json)
{
    CandidateResult r;
    r.validation_error = number(json.at("validation_error"));
    r.test_error = number(json.at("test_error"));
    r.parameters = json.at("parameters").get<std::int64_t>();
    r.operations = json.at("operations").get<std::int64_t>();
    r.seconds = json.at("seconds").get<double>();
    r.details = json.value("details", nlohmann::json::object());
    return r;
}

nlohmann::json to_json(CandidateRecord const& record)
{
    return {{"index", record.index},
            {"generation", record.generation},
            {"genome", to_json(record.genome)},
            {"genes", record.genes},
            {"rank", record.rank},
            {"result", to_json(record.result)}};
}

CandidateRecord candidate_record_from_json(nlohmann::json const& json)
{
    try
    {
        CandidateRecord record;
        record.index = json.at("index").get<std::int64_t>();
        record.generation = json.at("generation").get<std::int64_t>();
        record.genome = genome_from_json(json.at("genome"));
        record.genes = json.at("genes").get<std::vector<float>>();
        record.rank = json.at("rank").get<int>();
        record.result = candidate_result_from_json(json.at("result"));
        return record;
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed candidate record (") + e.what() + ") — the checkpoint is damaged");
    }
}

bool better_error(double a, double b)
{
    if (std::isnan(a))
        return false;
    return std::isnan(b) || a < b;
}

std::vector<std::size_t> pareto_front(std::vector<CandidateRecord> const& records)
{
    std::vector<std::size_t> order;
    for (std::size_t i = 0; i < records.size(); ++i)
        if (!std::isnan(records[i].result.validation_error))
            order.push_back(i);
    // By parameters, then error: a record is on the front when its error is
    // below that of every record before it.
    std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        auto const& ra = records[a].result;
        auto const& rb = records[b].result;
        return ra.parameters != rb.parameters ? ra.parameters < rb.parameters
                                              : ra.validation_error < rb.validation_error;
    });
    std::vector<std::size_t> front;
    double best = std::numeric_limits<double>::infinity();
    for (auto i : order)
        if (records[i].result.validation_error < best)
        {
            best = records[i].result.validation_error;
            front.push_back(i);
        }
    return front;
}
}  // namespace calo::evolve
