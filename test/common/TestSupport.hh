#pragma once
// Shared test helpers: temporary folders, running the real binary, Python fixtures.
#include <filesystem>
#include <string>

namespace calo::test
{
//! A fresh temporary folder, removed with its content on destruction.
class TempDir
{
  public:
    TempDir();
    ~TempDir();
    TempDir(TempDir const&) = delete;
    TempDir& operator=(TempDir const&) = delete;
    std::filesystem::path const& path() const { return path_; }
    std::string operator/(std::string const& name) const { return (path_ / name).string(); }

  private:
    std::filesystem::path path_;
};

struct CommandResult
{
    int exit_code = -1;
    std::string output;  //!< stdout and stderr together
};

//! Run a shell command, capturing stdout+stderr.
CommandResult run_command(std::string const& command);

//! Path to the built calo3dgan binary (from CALO3DGAN_BINARY).
std::string calo_binary();
//! The repository root (from CALO3DGAN_SOURCE_DIR).
std::string source_dir();
//! Debian's Python, which has torch, h5py and matplotlib.
std::string python();
}  // namespace calo::test
