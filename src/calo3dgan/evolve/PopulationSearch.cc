#include "calo3dgan/evolve/PopulationSearch.hh"

#include <algorithm>
#include <chrono>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
nlohmann::json to_json(GenerationSummary const& s)
{
    return {{"generation", s.generation},
            {"evaluations", s.evaluations},
            {"best", s.best},
            {"best_validation_error", s.best_validation_error},
            {"best_test_error", s.best_test_error},
            {"wall_seconds", s.wall_seconds},
            {"rank_busy_seconds", s.rank_busy_seconds},
            {"load_balance", s.load_balance}};
}

GenerationSummary generation_summary_from_json(nlohmann::json const& json)
{
    GenerationSummary s;
    s.generation = json.at("generation").get<std::int64_t>();
    s.evaluations = json.at("evaluations").get<std::int64_t>();
    s.best = json.at("best").get<std::int64_t>();
    s.best_validation_error = json.at("best_validation_error").is_null() ? std::nan("")
                                                                        : json.at("best_validation_error").get<double>();
    s.best_test_error = json.at("best_test_error").is_null() ? std::nan("") : json.at("best_test_error").get<double>();
    s.wall_seconds = json.at("wall_seconds").get<double>();
    s.rank_busy_seconds = json.at("rank_busy_seconds").get<std::vector<double>>();
    s.load_balance = json.at("load_balance").get<double>();
    return s;
}

PopulationSearch::PopulationSearch(GeneSpace const& space, Mutation const& mutation,
                                   CandidateEvaluator const& evaluator, Communicator const& comm,
                                   SearchOptions options)
    : space_(space), mutation_(mutation), evaluator_(evaluator), comm_(comm), options_(options)
{
    validate(options_);
}

bool PopulationSearch::done() const
{
    if (evaluations() >= options_.budget)
        return true;
    return options_.generations > 0 && generation_ >= options_.generations;
}

CandidateRecord const& PopulationSearch::best() const
{
    CALO_VALIDATE(!population_.empty(), "the search has no candidates yet");
    return records_[population_.front()];
}

void PopulationSearch::evaluate(std::vector<Genome> const& genomes, std::vector<std::int64_t> const& generations,
                                GenerationSummary& summary)
{
    // This rank trains candidates rank, rank + size, ...
    auto mine = nlohmann::json::array();
    for (std::size_t k = static_cast<std::size_t>(comm_.rank()); k < genomes.size();
         k += static_cast<std::size_t>(comm_.size()))
    {
        auto const genes = space_.decode(genomes[k], mutation_);
        mine.push_back({k, to_json(evaluator_.evaluate(genes, training_seed(genomes[k])))});
    }
    std::vector<CandidateResult> results(genomes.size());
    std::vector<int> ranks(genomes.size(), 0);
    summary.rank_busy_seconds.assign(static_cast<std::size_t>(comm_.size()), 0.0);
    auto const texts = comm_.allgather(mine.dump());
    for (std::size_t r = 0; r < texts.size(); ++r)
        for (auto const& item : nlohmann::json::parse(texts[r]))
        {
            auto const k = item.at(0).get<std::size_t>();
            results[k] = candidate_result_from_json(item.at(1));
            ranks[k] = static_cast<int>(r);
            summary.rank_busy_seconds[r] += results[k].seconds;
        }
    summary.load_balance = load_balance(summary.rank_busy_seconds);
    for (std::size_t k = 0; k < genomes.size(); ++k)
    {
        CandidateRecord record;
        record.index = evaluations();
        record.generation = generations[k];
        record.genome = genomes[k];
        record.genes = space_.decode(genomes[k], mutation_);
        record.rank = ranks[k];
        record.result = std::move(results[k]);
        records_.push_back(std::move(record));
    }
}

GenerationSummary const& PopulationSearch::step()
{
    CALO_VALIDATE(!done(), "the search has spent its budget");
    auto const start = std::chrono::steady_clock::now();
    std::int64_t const g = generation_ + 1;
    std::vector<Genome> genomes;
    auto const first = static_cast<std::size_t>(evaluations());
    if (g == 0 || options_.random)
    {
        auto const n = g == 0 ? options_.population
                              : std::min<std::int64_t>(options_.population - options_.elites,
                                                       options_.budget - evaluations());
        for (std::int64_t k = 0; k < n; ++k)
            genomes.push_back(random_genome(options_.seed, evaluations() + k, options_.random));
    }
    else
    {
        auto const n = std::min<std::int64_t>(options_.population - options_.elites, options_.budget - evaluations());
        // Children of the survivors in turn, best first.
        for (std::int64_t j = 0; j < n; ++j)
        {
            auto const& parent = records_[population_[static_cast<std::size_t>(j) % population_.size()]];
            genomes.push_back(parent.genome.child(mutation_seed(options_.seed, g, j), options_.mutation_power));
        }
    }
    GenerationSummary summary;
    summary.generation = g;
    evaluate(genomes, std::vector<std::int64_t>(genomes.size(), g), summary);
    // Survivors: the best of the old survivors and the new candidates; on a
    // tie the older candidate stays.
    auto candidates = population_;
    for (auto i = first; i < records_.size(); ++i)
        candidates.push_back(i);
    auto order = ranked(records_, std::move(candidates));
    order.resize(std::min(order.size(), static_cast<std::size_t>(options_.elites)));
    population_ = std::move(order);
    generation_ = g;
    summary.evaluations = evaluations();
    summary.best = static_cast<std::int64_t>(population_.front());
    summary.best_validation_error = best().result.validation_error;
    summary.best_test_error = best().result.test_error;
    summary.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    // Rank 0's clock for everyone, so that the state is the same on all ranks.
    comm_.broadcast(&summary.wall_seconds, sizeof(double));
    summaries_.push_back(std::move(summary));
    return summaries_.back();
}

nlohmann::json PopulationSearch::state() const
{
    auto records = nlohmann::json::array();
    for (auto const& record : records_)
        records.push_back(to_json(record));
    auto summaries = nlohmann::json::array();
    for (auto const& s : summaries_)
        summaries.push_back(to_json(s));
    return {{"generation", generation_},
            {"records", std::move(records)},
            {"population", population_},
            {"generations", std::move(summaries)}};
}

void PopulationSearch::restore(nlohmann::json const& state)
{
    try
    {
        generation_ = state.at("generation").get<std::int64_t>();
        records_.clear();
        for (auto const& record : state.at("records"))
            records_.push_back(candidate_record_from_json(record));
        population_ = state.at("population").get<std::vector<std::size_t>>();
        summaries_.clear();
        for (auto const& s : state.at("generations"))
            summaries_.push_back(generation_summary_from_json(s));
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed search state (") + e.what() + ") — the checkpoint is damaged");
    }
    for (auto i : population_)
        CALO_VALIDATE(i < records_.size(), "malformed search state (a survivor is not a record) — the checkpoint "
                                           "is damaged");
    // The genes are the seed chains': decoding them again checks the checkpoint.
    for (auto const& record : records_)
        CALO_VALIDATE(space_.decode(record.genome, mutation_) == record.genes,
                      "the checkpoint's genes differ from its seed chains — it was made with another gene space");
}
}  // namespace calo::evolve
