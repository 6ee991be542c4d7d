#include "calo3dgan/evolve/AsynchronousSearch.hh"

#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>

#include "calo3dgan/base/Error.hh"

namespace calo::evolve
{
namespace
{
using Clock = std::chrono::steady_clock;
constexpr int kTaskTag = 16001;
constexpr int kResultTag = 16002;
//! Poll interval of the coordinator and the idle workers: short against a
//! candidate's training (seconds), long enough not to take a core.
constexpr auto kPoll = std::chrono::milliseconds(2);

struct Task
{
    std::int64_t index = 0;
    std::int64_t generation = 0;
    Genome genome;
};

nlohmann::json task_json(Task const& t)
{
    return {{"index", t.index}, {"generation", t.generation}, {"genome", to_json(t.genome)}};
}

Task task_from_json(nlohmann::json const& j)
{
    return {j.at("index").get<std::int64_t>(), j.at("generation").get<std::int64_t>(),
            genome_from_json(j.at("genome"))};
}
}  // namespace

AsynchronousSearch::AsynchronousSearch(GeneSpace const& space, Mutation const& mutation,
                                       CandidateEvaluator const& evaluator, Communicator const& comm,
                                       SearchOptions options)
    : space_(space), mutation_(mutation), evaluator_(evaluator), comm_(comm), options_(options),
      busy_(static_cast<std::size_t>(comm.size()), 0.0)
{
    validate(options_);
}

std::size_t AsynchronousSearch::best() const
{
    CALO_VALIDATE(!records_.empty(), "the search has no candidates yet");
    std::vector<std::size_t> all(records_.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    return ranked(records_, all).front();
}

std::pair<Genome, std::int64_t> AsynchronousSearch::issue(std::int64_t index) const
{
    if (index < options_.population || records_.empty() || options_.random)
        return {random_genome(options_.seed, index, options_.random), 0};
    std::vector<std::size_t> all(records_.size());
    for (std::size_t i = 0; i < all.size(); ++i)
        all[i] = i;
    auto const order = ranked(records_, all);
    auto const elites = std::min(order.size(), static_cast<std::size_t>(options_.elites));
    auto const& parent = records_[order[static_cast<std::size_t>(index) % elites]];
    return {parent.genome.child(mutation_seed(options_.seed, -1, index), options_.mutation_power),
            parent.generation + 1};
}

void AsynchronousSearch::add(CandidateRecord record)
{
    busy_.resize(static_cast<std::size_t>(comm_.size()), 0.0);
    if (record.rank < comm_.size())
        busy_[static_cast<std::size_t>(record.rank)] += record.result.seconds;
    records_.push_back(std::move(record));
}

void AsynchronousSearch::run(std::function<void()> const& after_each)
{
    if (comm_.size() == 1)
        run_alone(after_each);
    else if (comm_.is_root())
        coordinate(after_each);
    else
        work();
}

void AsynchronousSearch::run_alone(std::function<void()> const& after_each)
{
    auto const start = Clock::now();
    while (static_cast<std::int64_t>(records_.size()) < options_.budget)
    {
        auto [genome, generation] = issue(next_index_);
        CandidateRecord record;
        record.index = next_index_++;
        record.generation = generation;
        record.genes = space_.decode(genome, mutation_);
        record.result = evaluator_.evaluate(record.genes, training_seed(genome));
        record.genome = std::move(genome);
        add(std::move(record));
        if (after_each)
            after_each();
    }
    wall_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

void AsynchronousSearch::coordinate(std::function<void()> const& after_each)
{
    auto const start = Clock::now();
    // Rank 0's own trainer: a second thread with a one-task slot.
    std::mutex mutex;
    std::condition_variable wake;
    std::optional<Task> local_task;
    std::optional<CandidateRecord> local_result;
    std::exception_ptr local_error;
    bool stop = false;
    std::thread trainer([&] {
        for (;;)
        {
            Task task;
            {
                std::unique_lock<std::mutex> lock(mutex);
                wake.wait(lock, [&] { return stop || local_task.has_value(); });
                if (!local_task)
                    return;
                task = std::move(*local_task);
                local_task.reset();
            }
            try
            {
                CandidateRecord record;
                record.index = task.index;
                record.generation = task.generation;
                record.genes = space_.decode(task.genome, mutation_);
                record.result = evaluator_.evaluate(record.genes, training_seed(task.genome));
                record.genome = std::move(task.genome);
                std::lock_guard<std::mutex> lock(mutex);
                local_result = std::move(record);
            }
            catch (...)
            {
                std::lock_guard<std::mutex> lock(mutex);
                local_error = std::current_exception();
                return;
            }
        }
    });
    auto const budget = options_.budget;
    std::int64_t in_flight = 0;
    auto next_task = [&] {
        auto [genome, generation] = issue(next_index_);
        return Task{next_index_++, generation, std::move(genome)};
    };
    auto finish = [&] {
        {
            std::lock_guard<std::mutex> lock(mutex);
            stop = true;
        }
        wake.notify_all();
        trainer.join();
        for (int r = 1; r < comm_.size(); ++r)
            comm_.send_text("{\"stop\": true}", r, kTaskTag);
    };
    auto issued = [&] { return static_cast<std::int64_t>(records_.size()) + in_flight; };
    try
    {
        // Everyone starts at once: one task per rank.
        for (int r = 1; r < comm_.size() && issued() < budget; ++r, ++in_flight)
            comm_.send_text(task_json(next_task()).dump(), r, kTaskTag);
        if (issued() < budget)
        {
            std::lock_guard<std::mutex> lock(mutex);
            local_task = next_task();
            ++in_flight;
        }
        wake.notify_all();
        while (in_flight > 0)
        {
            bool progress = false;
            while (auto message = comm_.try_receive_text(kResultTag))
            {
                auto const json = nlohmann::json::parse(message->second);
                auto record = candidate_record_from_json(json);
                record.rank = message->first;
                --in_flight;
                add(std::move(record));
                if (after_each)
                    after_each();
                if (issued() < budget)
                {
                    comm_.send_text(task_json(next_task()).dump(), message->first, kTaskTag);
                    ++in_flight;
                }
                progress = true;
            }
            std::optional<CandidateRecord> done;
            {
                std::lock_guard<std::mutex> lock(mutex);
                if (local_error)
                    std::rethrow_exception(local_error);
                done.swap(local_result);
            }
            if (done)
            {
                done->rank = 0;
                --in_flight;
                add(std::move(*done));
                if (after_each)
                    after_each();
                if (issued() < budget)
                {
                    {
                        std::lock_guard<std::mutex> lock(mutex);
                        local_task = next_task();
                    }
                    ++in_flight;
                    wake.notify_all();
                }
                progress = true;
            }
            if (!progress)
                std::this_thread::sleep_for(kPoll);
        }
    }
    catch (...)
    {
        // A failed candidate on rank 0 ends the job (the caller aborts MPI);
        // the trainer thread must not outlive this frame.
        {
            std::lock_guard<std::mutex> lock(mutex);
            stop = true;
        }
        wake.notify_all();
        trainer.join();
        throw;
    }
    finish();
    wall_seconds_ += std::chrono::duration<double>(Clock::now() - start).count();
}

void AsynchronousSearch::work()
{
    for (;;)
    {
        auto message = comm_.try_receive_text(kTaskTag);
        if (!message)
        {
            std::this_thread::sleep_for(kPoll);
            continue;
        }
        auto const json = nlohmann::json::parse(message->second);
        if (json.contains("stop"))
            return;
        auto task = task_from_json(json);
        CandidateRecord record;
        record.index = task.index;
        record.generation = task.generation;
        record.genes = space_.decode(task.genome, mutation_);
        record.result = evaluator_.evaluate(record.genes, training_seed(task.genome));
        record.genome = std::move(task.genome);
        record.rank = comm_.rank();
        comm_.send_text(to_json(record).dump(), 0, kResultTag);
    }
}

nlohmann::json AsynchronousSearch::state() const
{
    auto records = nlohmann::json::array();
    for (auto const& record : records_)
        records.push_back(to_json(record));
    return {{"records", std::move(records)},
            {"next_index", next_index_},
            {"rank_busy_seconds", busy_},
            {"wall_seconds", wall_seconds_}};
}

void AsynchronousSearch::restore(nlohmann::json const& state)
{
    try
    {
        records_.clear();
        for (auto const& record : state.at("records"))
            records_.push_back(candidate_record_from_json(record));
        // Candidates that were in flight are issued again, under new indices.
        next_index_ = 0;
        for (auto const& record : records_)
            next_index_ = std::max(next_index_, record.index + 1);
        busy_ = state.at("rank_busy_seconds").get<std::vector<double>>();
        wall_seconds_ = state.at("wall_seconds").get<double>();
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError(std::string("malformed search state (") + e.what() + ") — the checkpoint is damaged");
    }
    busy_.resize(static_cast<std::size_t>(comm_.size()), 0.0);
}
}  // namespace calo::evolve
