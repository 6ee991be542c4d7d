#include "calo3dgan/base/ParallelFor.hh"

#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace calo
{
int resolve_thread_count(int threads)
{
    if (threads > 0)
        return threads;
    return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

void parallel_for(std::int64_t begin, std::int64_t end, int threads,
                  std::function<void(std::int64_t)> const& body)
{
    if (end <= begin)
        return;
    int const n_threads = static_cast<int>(std::min<std::int64_t>(resolve_thread_count(threads), end - begin));
    if (n_threads == 1)
    {
        for (std::int64_t i = begin; i < end; ++i)
            body(i);
        return;
    }
    std::atomic<std::int64_t> next{begin};
    std::atomic<bool> failed{false};
    std::exception_ptr error;
    std::mutex error_mutex;
    auto worker = [&] {
        while (!failed.load(std::memory_order_relaxed))
        {
            std::int64_t const i = next.fetch_add(1);
            if (i >= end)
                return;
            try
            {
                body(i);
            }
            catch (...)
            {
                std::lock_guard<std::mutex> lock(error_mutex);
                if (!error)
                    error = std::current_exception();
                failed.store(true);
            }
        }
    };
    std::vector<std::thread> pool;
    pool.reserve(n_threads - 1);
    for (int t = 1; t < n_threads; ++t)
        pool.emplace_back(worker);
    worker();
    for (auto& th : pool)
        th.join();
    if (error)
        std::rethrow_exception(error);
}
}  // namespace calo
