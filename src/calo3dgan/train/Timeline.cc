#include "calo3dgan/train/Timeline.hh"

#include <filesystem>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"

namespace fs = std::filesystem;

namespace calo::train
{
namespace
{
//! JSON string literal of an (ASCII) name.
std::string quoted(std::string const& text)
{
    std::string out = "\"";
    for (char c : text)
    {
        if (c == '"' || c == '\\')
            out += '\\';
        if (static_cast<unsigned char>(c) >= 0x20)
            out += c;
    }
    return out + '"';
}

char const* lane_name(int lane)
{
    return lane == 0 ? "compute" : "communication";
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
    std::fprintf(stream_,
                 R"({"name":"process_name","ph":"M","pid":%d,"tid":0,"args":{"name":"rank %d"}})"
                 ",\n",
                 rank_, rank_);
    for (int lane = 0; lane < 2; ++lane)
        std::fprintf(stream_,
                     R"({"name":"thread_name","ph":"M","pid":%d,"tid":%d,"args":{"name":"%s"}})"
                     ",\n",
                     rank_, lane, lane_name(lane));
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

void Timeline::write_locked(std::string const& event)
{
    if (stream_)
        std::fprintf(stream_, "%s,\n", event.c_str());
}

void Timeline::record(Lane lane, std::string const& name, double start_us, double end_us,
                      std::string const& args_json)
{
    char times[96];
    double const duration = end_us > start_us ? end_us - start_us : 0.0;
    std::snprintf(times, sizeof times, R"("ts":%.3f,"dur":%.3f)", start_us, duration);
    std::string event = R"({"name":)" + quoted(name) + R"(,"cat":")" + lane_name(static_cast<int>(lane))
                        + R"(","ph":"X","pid":)" + std::to_string(rank_) + R"(,"tid":)"
                        + std::to_string(static_cast<int>(lane)) + "," + times;
    if (!args_json.empty())
        event += R"(,"args":)" + args_json;
    event += "}";
    std::lock_guard<std::mutex> lock(mutex_);
    write_locked(event);
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
    std::fprintf(stream_,
                 R"({"name":"trace_end","ph":"i","s":"p","pid":%d,"tid":0,"ts":%.3f})"
                 "\n]\n",
                 rank_, now_us());
    bool const ok = std::fclose(stream_) == 0;
    stream_ = nullptr;
    CALO_VALIDATE(ok, "cannot finish the timeline (where: " + path_ + ") — check the disk space");
    file_->commit();
}
}  // namespace calo::train
