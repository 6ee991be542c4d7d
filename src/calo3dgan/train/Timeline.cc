#include "calo3dgan/train/Timeline.hh"

#include <cmath>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"

namespace fs = std::filesystem;

namespace calo::train
{
namespace
{
// Ordered: keys appear in the order written (name, cat, ph, pid, tid, ...),
// as trace viewers and people reading the file expect.
using Json = nlohmann::ordered_json;

char const* lane_name(int lane)
{
    return lane == 0 ? "compute" : "communication";
}

//! Trace timestamps are microseconds with nanosecond resolution.
double to_ns_resolution(double us)
{
    return std::round(us * 1e3) / 1e3;
}

//! One event per line, each followed by a comma: the array stays valid JSON
//! for viewers even if the run dies before close() (see the header).
void write_event(std::FILE* stream, Json const& event, char const* separator = ",\n")
{
    // Names are ASCII; replace rather than throw on a stray invalid byte.
    std::string const text = event.dump(-1, ' ', false, Json::error_handler_t::replace);
    std::fprintf(stream, "%s%s", text.c_str(), separator);
}

//! Metadata event naming a process (rank) or thread (lane) in the viewer.
Json metadata(char const* kind, int pid, int tid, std::string const& name)
{
    return Json{{"name", kind}, {"ph", "M"}, {"pid", pid}, {"tid", tid}, {"args", {{"name", name}}}};
}
}  // namespace

std::string Timeline::path_for_rank(std::string const& path, int rank)
{
    fs::path const p(path);
    std::string const name = p.stem().string() + ".rank" + std::to_string(rank) + p.extension().string();
    return (p.parent_path() / name).string();
}

Timeline::Timeline(std::string path, int rank) : path_(std::move(path)), rank_(rank)
{
    auto const parent = fs::path(path_).parent_path();
    if (!parent.empty())
        ensure_writable_directory(parent.string());
    file_ = std::make_unique<AtomicFile>(path_);
    stream_ = std::fopen(file_->temp_path().c_str(), "w");
    CALO_VALIDATE(stream_, "cannot write the timeline (where: " + path_ + ") — choose another --timeline path");
    zero_ = std::chrono::steady_clock::now();
    std::fprintf(stream_, "[\n");
    write_event(stream_, metadata("process_name", rank_, 0, "rank " + std::to_string(rank_)));
    for (int lane = 0; lane < 2; ++lane)
        write_event(stream_, metadata("thread_name", rank_, lane, lane_name(lane)));
}

Timeline::~Timeline()
{
    try
    {
        close();
    }
    catch (...)
    {
        // A destructor must not throw; the temporary file is left behind.
    }
}

double Timeline::now_us() const
{
    return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - zero_).count();
}

void Timeline::record(Lane lane, std::string const& name, double start_us, double end_us,
                      std::string const& args_json)
{
    int const tid = static_cast<int>(lane);
    double const duration = end_us > start_us ? end_us - start_us : 0.0;
    Json event{{"name", name},
               {"cat", lane_name(tid)},
               {"ph", "X"},
               {"pid", rank_},
               {"tid", tid},
               {"ts", to_ns_resolution(start_us)},
               {"dur", to_ns_resolution(duration)}};
    if (!args_json.empty())
    {
        auto args = Json::parse(args_json, nullptr, /*allow_exceptions=*/false);
        CALO_VALIDATE(args.is_object(), "timeline event arguments are not a JSON object (where: event '" + name
                                            + "': " + args_json + ") — this is a bug in the caller");
        event["args"] = std::move(args);
    }
    std::lock_guard<std::mutex> lock(mutex_);
    if (stream_)
        write_event(stream_, event);
}

void Timeline::begin(Lane lane, char const* name)
{
    double const t = now_us();
    std::lock_guard<std::mutex> lock(mutex_);
    open_[static_cast<int>(lane)].push_back({name, t});
}

void Timeline::end(Lane lane)
{
    double const t = now_us();
    Open phase{nullptr, 0};
    {
        std::lock_guard<std::mutex> lock(mutex_);
        auto& stack = open_[static_cast<int>(lane)];
        if (stack.empty())
            return;
        phase = stack.back();
        stack.pop_back();
    }
    record(lane, phase.name, phase.start_us, t);
}

void Timeline::close()
{
    std::lock_guard<std::mutex> lock(mutex_);
    if (!stream_)
        return;
    // A last event without a trailing comma closes the array validly.
    Json const end{{"name", "trace_end"}, {"ph", "i"}, {"s", "p"}, {"pid", rank_}, {"tid", 0},
                   {"ts", to_ns_resolution(now_us())}};
    write_event(stream_, end, "\n]\n");
    bool const ok = std::fclose(stream_) == 0;
    stream_ = nullptr;
    CALO_VALIDATE(ok, "cannot finish the timeline (where: " + path_ + ") — check the disk space");
    file_->commit();
}
}  // namespace calo::train
