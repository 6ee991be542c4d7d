#include "calo3dgan/base/PlotScript.hh"

#include <spawn.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "calo3dgan/base/DataFiles.hh"
#include "calo3dgan/base/Error.hh"

extern char** environ;

namespace calo
{
namespace
{
std::string last_nonempty_line(std::string const& path)
{
    std::ifstream in(path);
    std::string line;
    std::string last;
    while (std::getline(in, line))
    {
        if (line.find_first_not_of(" \t\r") != std::string::npos)
            last = line;
    }
    return last;
}
}  // namespace

std::string plot_script_path(std::string const& name)
{
    std::vector<std::string> searched;
    if (auto path = find_data_file("CALO3DGAN_PLOTS_DIR", "scripts/plots", "plots", name, &searched))
        return *path;
    throw InputError("plotting script '" + name + "' not found in $CALO3DGAN_PLOTS_DIR, " +
                     searched[searched.size() - 2] + " or " + searched.back() +
                     " — set CALO3DGAN_PLOTS_DIR to the scripts/plots folder");
}

void run_plot_script(std::string const& name, std::vector<std::string> const& args)
{
    std::string const script = plot_script_path(name);
    // `python3` on PATH may be a private install without Debian's matplotlib:
    // prefer $CALO3DGAN_PYTHON, then the system interpreter.
    std::string python = "python3";
    if (char const* env = std::getenv("CALO3DGAN_PYTHON"))
        python = env;
    else if (std::filesystem::exists("/usr/bin/python3"))
        python = "/usr/bin/python3";
    std::vector<std::string> argv_storage{python, script};
    argv_storage.insert(argv_storage.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_storage)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    // The script's output is kept in a temporary file: quiet in logs, and the
    // last line names the cause when it fails.
    char log_template[] = "/tmp/calo3dgan-plot-XXXXXX";
    int const log_fd = mkstemp(log_template);
    CALO_VALIDATE(log_fd >= 0, "cannot create a temporary file for the plotting log in /tmp");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, log_fd, STDERR_FILENO);
    pid_t pid = 0;
    int const spawn_status = posix_spawnp(&pid, python.c_str(), &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(log_fd);
    std::string const log_path = log_template;
    if (spawn_status != 0)
    {
        std::remove(log_path.c_str());
        throw InputError("cannot start " + python + " for plotting (" + name + ") — install python3-matplotlib (scripts/setup.sh)");
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0)
    {
    }
    std::string const cause = last_nonempty_line(log_path);
    std::remove(log_path.c_str());
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw InputError("plotting script " + name + " failed: " + (cause.empty() ? "no message" : cause));
}
}  // namespace calo
