#include "TestSupport.hh"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

namespace calo::test
{
TempDir::TempDir()
{
    std::string pattern = (std::filesystem::temp_directory_path() / "calo3dgan_test_XXXXXX").string();
    if (!::mkdtemp(pattern.data()))
        throw std::runtime_error("cannot create temporary folder");
    path_ = pattern;
}

TempDir::~TempDir()
{
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
}

CommandResult run_command(std::string const& command)
{
    CommandResult result;
    std::string const full = command + " 2>&1";
    FILE* pipe = ::popen(full.c_str(), "r");
    if (!pipe)
        throw std::runtime_error("cannot run: " + command);
    std::array<char, 4096> buffer;
    while (std::size_t n = std::fread(buffer.data(), 1, buffer.size(), pipe))
        result.output.append(buffer.data(), n);
    int const status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

namespace
{
std::string env_or_throw(char const* name)
{
    char const* value = std::getenv(name);
    if (!value)
        throw std::runtime_error(std::string("environment variable ") + name
                                 + " is not set: run the tests through ctest");
    return value;
}
}  // namespace

std::string calo_binary()
{
    return env_or_throw("CALO3DGAN_BINARY");
}

std::string source_dir()
{
    return env_or_throw("CALO3DGAN_SOURCE_DIR");
}

std::string python()
{
    return "/usr/bin/python3";
}
}  // namespace calo::test
