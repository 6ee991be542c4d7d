#include "BenchSupport.hh"

#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "calo3dgan/base/Error.hh"
#include "calo3dgan/io/DatasetWriter.hh"
#include "calo3dgan/event/EventBatch.hh"
#include "calo3dgan/mc/ShowerSimulator.hh"
#include "calo3dgan/mc/SimulatedBatch.hh"

namespace calo::bench
{
double seconds_since(Clock::time_point start)
{
    return std::chrono::duration<double>(Clock::now() - start).count();
}

double process_cpu_seconds()
{
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double machine_busy_seconds()
{
    std::ifstream in("/proc/stat");
    std::string cpu;
    double user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    if (!(in >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal))
        return 0;
    return (user + nice + system + irq + softirq + steal) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv)
{
    try
    {
        app.parse(argc, argv);
        return std::nullopt;
    }
    catch (CLI::CallForHelp const& e)
    {
        return app.exit(e);
    }
    catch (CLI::CallForAllHelp const& e)
    {
        return app.exit(e);
    }
    catch (CLI::ParseError const& e)
    {
        std::fprintf(stderr, "%s: error: %s (run with --help for usage)\n", app.get_name().c_str(), e.what());
        return 2;
    }
}

void write_simulated_showers(std::string const& path, std::string const& model, std::int64_t events,
                             std::uint64_t seed, std::string const& metadata_json)
{
    CALO_VALIDATE_USAGE(model == "a" || model == "b", "--model must be a or b");
    auto const layout = model == "a" ? event::Layout::fixed_angle : event::Layout::variable_angle;
    // A: the generator's y range (10-500 GeV); B: the reduced angle data (100-200 GeV, 60-120 deg).
    double const e_lo = model == "a" ? 10.0 : 100.0;
    double const e_hi = model == "a" ? 500.0 : 200.0;
    mc::RunRequest request;
    request.energy_gev = mc::ValueSpec::range(e_lo, e_hi);
    if (layout == event::Layout::variable_angle)
        request.theta_deg = mc::ValueSpec::range(60, 120);
    request.layout = layout;
    request.seed = seed;
    auto const batch = mc::simulate_batch(mc::ShowerSimulator{}, request, 0, events);
    io::DatasetWriter writer(path, layout, batch.shape, metadata_json, true);
    writer.append(batch);
    writer.commit();
}
}  // namespace calo::bench
