#include "calo3dgan/train/Timeline.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::train
{
namespace fs = std::filesystem;

namespace
{
nlohmann::json read_trace(std::string const& path)
{
    std::ifstream in(path);
    EXPECT_TRUE(in) << path;
    return nlohmann::json::parse(in);
}

//! The complete ("X") events of a trace, in file order.
std::vector<nlohmann::json> complete_events(nlohmann::json const& trace)
{
    std::vector<nlohmann::json> events;
    for (auto const& event : trace)
        if (event.at("ph") == "X")
            events.push_back(event);
    return events;
}
}  // namespace

TEST(Timeline, NamesTheRankAndItsLanes)
{
    test::TempDir dir;
    std::string const path = dir / "trace.json";
    {
        Timeline timeline(path, 3);
        EXPECT_EQ(timeline.path(), path);
    }
    auto const trace = read_trace(path);
    ASSERT_TRUE(trace.is_array());
    ASSERT_EQ(trace.size(), 4u);  // process name, two thread names, end marker
    EXPECT_EQ(trace[0], nlohmann::json::parse(
                            R"({"name":"process_name","ph":"M","pid":3,"tid":0,"args":{"name":"rank 3"}})"));
    EXPECT_EQ(trace[1], nlohmann::json::parse(
                            R"({"name":"thread_name","ph":"M","pid":3,"tid":0,"args":{"name":"compute"}})"));
    EXPECT_EQ(trace[2], nlohmann::json::parse(
                            R"({"name":"thread_name","ph":"M","pid":3,"tid":1,"args":{"name":"communication"}})"));
    EXPECT_EQ(trace[3].at("name"), "trace_end");
    EXPECT_EQ(trace[3].at("ph"), "i");
    EXPECT_EQ(trace[3].at("s"), "p");
    EXPECT_EQ(trace[3].at("pid"), 3);
    EXPECT_GE(trace[3].at("ts").get<double>(), 0.0);
}

TEST(Timeline, RecordsEventsWithEscapedNamesAndArguments)
{
    test::TempDir dir;
    std::string const path = dir / "trace.json";
    // Quotes, backslashes, a tab and a newline must all survive the round trip.
    std::string const tricky = "allreduce \"g\" C:\\tmp\\x\tend\nline";
    {
        Timeline timeline(path, 1);
        timeline.record(Timeline::Lane::communication, tricky, 1.23456, 3.5, R"({"bucket":2,"bytes":4096})");
        timeline.record(Timeline::Lane::compute, "load", 10.0, 12.0);
        // A reversed interval is recorded with zero duration.
        timeline.record(Timeline::Lane::compute, "backwards", 5.0, 4.0);
    }
    auto const events = complete_events(read_trace(path));
    ASSERT_EQ(events.size(), 3u);

    auto const& reduce = events[0];
    EXPECT_EQ(reduce.at("name").get<std::string>(), tricky);
    EXPECT_EQ(reduce.at("cat"), "communication");
    EXPECT_EQ(reduce.at("pid"), 1);
    EXPECT_EQ(reduce.at("tid"), 1);
    // Microseconds rounded to the nanosecond: 1.23456 -> 1.235, 3.5 - 1.23456 = 2.26544 -> 2.265.
    EXPECT_DOUBLE_EQ(reduce.at("ts").get<double>(), 1.235);
    EXPECT_DOUBLE_EQ(reduce.at("dur").get<double>(), 2.265);
    EXPECT_EQ(reduce.at("args"), nlohmann::json::parse(R"({"bucket":2,"bytes":4096})"));

    auto const& load = events[1];
    EXPECT_EQ(load.at("name"), "load");
    EXPECT_EQ(load.at("cat"), "compute");
    EXPECT_EQ(load.at("tid"), 0);
    EXPECT_DOUBLE_EQ(load.at("ts").get<double>(), 10.0);
    EXPECT_DOUBLE_EQ(load.at("dur").get<double>(), 2.0);
    EXPECT_FALSE(load.contains("args"));

    EXPECT_DOUBLE_EQ(events[2].at("dur").get<double>(), 0.0);
}

TEST(Timeline, KeepsTheChromeTraceKeyOrder)
{
    test::TempDir dir;
    std::string const path = dir / "trace.json";
    {
        Timeline timeline(path, 0);
        timeline.record(Timeline::Lane::compute, "step", 0.5, 2.0, R"({"z":1,"a":2})");
    }
    std::ifstream in(path);
    std::string line;
    std::string event_line;
    while (std::getline(in, line))
        if (line.find(R"("ph":"X")") != std::string::npos)
            event_line = line;
    // One event per line, keys in the order viewers document them, arguments as given.
    EXPECT_EQ(event_line,
              R"({"name":"step","cat":"compute","ph":"X","pid":0,"tid":0,"ts":0.5,"dur":1.5,"args":{"z":1,"a":2}},)");
}

TEST(Timeline, NestedPhasesCloseInLastInFirstOutOrder)
{
    test::TempDir dir;
    std::string const path = dir / "trace.json";
    {
        Timeline timeline(path, 0);
        timeline.end(Timeline::Lane::compute);  // nothing open: ignored
        timeline.begin(Timeline::Lane::compute, "outer");
        timeline.begin(Timeline::Lane::compute, "inner");
        timeline.begin(Timeline::Lane::communication, "other lane");
        timeline.end(Timeline::Lane::compute);
        timeline.end(Timeline::Lane::compute);
        timeline.end(Timeline::Lane::communication);
    }
    auto const events = complete_events(read_trace(path));
    ASSERT_EQ(events.size(), 3u);
    EXPECT_EQ(events[0].at("name"), "inner");
    EXPECT_EQ(events[1].at("name"), "outer");
    EXPECT_EQ(events[2].at("name"), "other lane");
    EXPECT_EQ(events[2].at("tid"), 1);
    // The inner phase lies within the outer one (timestamps rounded to 1 ns).
    double const outer_start = events[1].at("ts"), outer_end = outer_start + events[1].at("dur").get<double>();
    double const inner_start = events[0].at("ts"), inner_end = inner_start + events[0].at("dur").get<double>();
    EXPECT_LE(outer_start, inner_start);
    EXPECT_LE(inner_end, outer_end + 2e-3);
}

TEST(Timeline, FinalPathAppearsOnlyWhenClosed)
{
    test::TempDir dir;
    std::string const path = dir / "sub/trace.json";
    Timeline timeline(path, 0);
    timeline.record(Timeline::Lane::compute, "before", 0, 1);
    EXPECT_FALSE(fs::exists(path));
    timeline.close();
    ASSERT_TRUE(fs::exists(path));
    // Later events are dropped; closing twice is harmless.
    timeline.record(Timeline::Lane::compute, "after", 1, 2);
    timeline.close();
    auto const events = complete_events(read_trace(path));
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0].at("name"), "before");
    // Only the trace is left in the folder (no temporary).
    EXPECT_EQ(std::distance(fs::directory_iterator(dir / "sub"), fs::directory_iterator{}), 1);
}

TEST(Timeline, ArgumentsMustBeAJsonObject)
{
    test::TempDir dir;
    Timeline timeline(dir / "trace.json", 0);
    EXPECT_THROW(timeline.record(Timeline::Lane::compute, "x", 0, 1, "{\"unclosed\":"), InputError);
    EXPECT_THROW(timeline.record(Timeline::Lane::compute, "x", 0, 1, "[1,2]"), InputError);
}

TEST(Timeline, UnwritableFolderIsAClearError)
{
    test::TempDir dir;
    std::ofstream(dir / "file") << "x";
    try
    {
        Timeline timeline(dir / "file/trace.json", 0);
        FAIL() << "expected an InputError";
    }
    catch (InputError const& e)
    {
        EXPECT_NE(std::string(e.what()).find("file"), std::string::npos) << e.what();
    }
}
}  // namespace calo::train
