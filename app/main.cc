// calo3dgan: fast calorimeter shower simulation with 3D GANs.
#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <exception>

#include "Commands.hh"
#include "InferCommands.hh"
#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/base/Interrupt.hh"

int main(int argc, char** argv)
{
    CLI::App app{"calo3dgan: electromagnetic calorimeter showers with 3D GANs (3DGAN) — "
                 "Monte Carlo, training, generation and validation"};
    app.require_subcommand(1);
    app.set_version_flag("--version", std::string("calo3dgan ") + calo::kVersion + " (" + calo::kGitRevision + ")");
    // Logs go to stderr so stdout stays clean for results (inspect --json).
    spdlog::set_default_logger(spdlog::stderr_color_st("calo3dgan"));
    spdlog::set_pattern("%^%l%$: %v");
    bool verbose = false;
    bool quiet = false;
    app.add_flag("-v,--verbose", verbose, "Log debug messages");
    app.add_flag("-q,--quiet", quiet, "Log warnings and errors only");
    app.parse_complete_callback([&] {
        spdlog::set_level(verbose ? spdlog::level::debug : quiet ? spdlog::level::warn : spdlog::level::info);
    });

    calo::app::add_simulate_command(app);
    calo::app::add_inspect_command(app);
    calo::app::add_info_command(app);
    calo::app::add_train_command(app);
    calo::app::add_import_keras_command(app);
    calo::app::add_generate_command(app);
    calo::app::add_discriminate_command(app);
    calo::app::add_validate_command(app);
    calo::app::add_evolve_command(app);
    calo::app::add_search_command(app);
    calo::app::add_export_command(app);

    calo::install_interrupt_handler();
    try
    {
        app.parse(argc, argv);
    }
    catch (CLI::CallForHelp const& e)
    {
        return app.exit(e);
    }
    catch (CLI::CallForAllHelp const& e)
    {
        return app.exit(e);
    }
    catch (CLI::CallForVersion const& e)
    {
        return app.exit(e);
    }
    catch (CLI::ParseError const& e)
    {
        std::fprintf(stderr, "calo3dgan: error: %s (run with --help for usage)\n", e.what());
        return 2;
    }
    catch (calo::UsageError const& e)
    {
        std::fprintf(stderr, "calo3dgan: error: %s\n", e.what());
        return 2;
    }
    catch (calo::Interrupted const&)
    {
        std::fprintf(stderr, "calo3dgan: interrupted; no partial output was left behind\n");
        return 130;
    }
    catch (std::exception const& e)
    {
        std::fprintf(stderr, "calo3dgan: error: %s\n", e.what());
        // A file whose close failed (a full disk) stays registered in HDF5,
        // and HDF5's own clean-up at exit then crashes on it: everything of
        // this run is already closed or removed, so leave without it.
        std::fflush(nullptr);
        std::_Exit(1);
    }
    return 0;
}
