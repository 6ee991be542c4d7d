#pragma once
// Run independent work items on a few threads. Items are claimed dynamically,
// so results must be indexed by item (never by thread) to stay reproducible.
#include <cstdint>
#include <functional>

namespace calo
{
//! Call body(i) for i in [begin, end) on `threads` threads (0: hardware count).
//! The first exception thrown by any item stops the loop and is rethrown.
void parallel_for(std::int64_t begin, std::int64_t end, int threads,
                  std::function<void(std::int64_t)> const& body);

//! Number of threads to use for a request of `threads` (0 means all cores).
int resolve_thread_count(int threads);
}  // namespace calo
