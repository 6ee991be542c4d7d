#pragma once
// What several benchmark programs share: command-line parsing with CLI11,
// timers and CPU-time probes, and the simulated showers they train on.
// Torch-free.
#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace calo::bench
{
using Clock = std::chrono::steady_clock;

//! Wall time [s] since `start`.
double seconds_since(Clock::time_point start);

//! CPU time [s] of the whole process (all threads). On a virtual machine the
//! wall time also contains time the host gave to other guests; the CPU time
//! does not, so it is reported next to it as a noise check.
double process_cpu_seconds();

//! Busy CPU time [s] of the whole machine, all cores together (Linux
//! /proc/stat: user + nice + system + irq + softirq + steal; 0 elsewhere).
double machine_busy_seconds();

/*!
 * Parse the command line into `app`. Returns nothing when the program should
 * go on, else the exit code to return: 0 after --help, 2 after a usage error
 * (printed as "<program>: error: ...", as the calo3dgan binary does).
 */
std::optional<int> parse_command_line(CLI::App& app, int argc, char** argv);

/*!
 * Simulate `events` showers for model "a" or "b" (calo::mc::ShowerSimulator
 * with its tuned defaults, as the training tests) and write them in the
 * model's 3DGAN layout to `path` (overwriting it), with `metadata_json` as
 * the file's metadata:
 *  - a: fixed angle, 25x25x25, energy 10-500 GeV (the generator's y range);
 *  - b: variable angle, 51x51x25, 100-200 GeV and 60-120 deg (the reduced
 *    angle data).
 */
void write_simulated_showers(std::string const& path, std::string const& model, std::int64_t events,
                             std::uint64_t seed, std::string const& metadata_json);
}  // namespace calo::bench
