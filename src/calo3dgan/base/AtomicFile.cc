#include "calo3dgan/base/AtomicFile.hh"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <system_error>

#include "calo3dgan/base/Error.hh"

namespace fs = std::filesystem;

namespace calo
{
namespace
{
std::string make_temp_path(std::string const& final_path)
{
    static std::atomic<unsigned> counter{0};
    fs::path const p(final_path);
    std::string name = "." + p.filename().string() + ".tmp" + std::to_string(::getpid()) + "_"
                       + std::to_string(counter++);
    return (p.parent_path() / name).string();
}
}  // namespace

AtomicFile::AtomicFile(std::string final_path)
    : final_path_(std::move(final_path)), temp_path_(make_temp_path(final_path_))
{
}

AtomicFile::~AtomicFile()
{
    if (!committed_)
    {
        std::error_code ec;
        fs::remove(temp_path_, ec);
    }
}

void AtomicFile::commit()
{
    std::error_code ec;
    fs::rename(temp_path_, final_path_, ec);
    CALO_VALIDATE(!ec, "cannot move finished file into place (where: " + final_path_ + ": "
                           + ec.message() + ") — check the output folder's permissions");
    committed_ = true;
}

void ensure_writable_directory(std::string const& dir)
{
    std::error_code ec;
    fs::create_directories(dir, ec);
    CALO_VALIDATE(!ec && fs::is_directory(dir),
                  "cannot create output folder (where: " + dir + ": "
                      + (ec ? ec.message() : std::string("not a folder")) + ") — choose another path");
    CALO_VALIDATE(::access(dir.c_str(), W_OK) == 0,
                  "output folder is not writable (where: " + dir + ") — choose another path");
}
}  // namespace calo
