#pragma once
// A per-rank timeline of compute and communication phases in Chrome's trace
// event format (chrome://tracing, https://ui.perfetto.dev), like Horovod's
// HOROVOD_TIMELINE. Torch-free.
//
// Events stream into a temporary file next to the final one; close() (or the
// destructor) ends the JSON array and renames it into place, so the final
// path only ever holds a complete trace. A rank killed by MPI_Abort leaves
// the temporary behind, which trace viewers still read (the JSON array
// format allows a missing closing bracket).
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace calo
{
class AtomicFile;
}

namespace calo::train
{
class Timeline
{
  public:
    //! Rows of the trace (the "thread" of each event).
    enum class Lane : int
    {
        compute = 0,  //!< the training loop's phases, including blocking waits
        communication = 1,  //!< MPI operations in flight (overlapping compute)
    };

    //! `path` with ".rank<R>" before its extension: run.json -> run.rank1.json.
    static std::string path_for_rank(std::string const& path, int rank);

    //! Start a trace for `rank` at `path` (the final name; see path_for_rank).
    //! Time zero is now: call it on every rank right after a barrier so that
    //! the ranks' traces line up.
    Timeline(std::string path, int rank);
    ~Timeline();
    Timeline(Timeline const&) = delete;
    Timeline& operator=(Timeline const&) = delete;

    //! Microseconds since time zero.
    double now_us() const;
    //! A complete event [start_us, end_us) named `name`; `args_json` is a
    //! JSON object text ("{...}") shown with the event, or empty.
    void record(Lane lane, std::string const& name, double start_us, double end_us,
                std::string const& args_json = {});
    //! Open/close phases on a lane (nesting allowed, closed in LIFO order).
    void begin(Lane lane, char const* name);
    void end(Lane lane);

    //! End the trace and move it into place; later events are dropped.
    void close();
    std::string const& path() const { return path_; }

  private:
    std::string path_;
    int rank_;
    std::chrono::steady_clock::time_point zero_;
    std::unique_ptr<AtomicFile> file_;
    std::FILE* stream_ = nullptr;
    std::mutex mutex_;
    struct Open
    {
        char const* name;
        double start_us;
    };
    std::vector<Open> open_[2];
};
}  // namespace calo::train
