#include "calo3dgan/base/AtomicFile.hh"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
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

AtomicFileWriter::AtomicFileWriter(std::string final_path, std::string what)
    : file_(std::move(final_path)), what_(std::move(what))
{
    fd_ = ::open(file_.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
    if (fd_ < 0)
        error_ = errno;
}

AtomicFileWriter::~AtomicFileWriter()
{
    if (fd_ >= 0)
        ::close(fd_);
}

std::size_t AtomicFileWriter::write(void const* data, std::size_t size)
{
    auto const* bytes = static_cast<char const*>(data);
    for (std::size_t done = 0; done < size && !error_;)
    {
        ssize_t const n = ::write(fd_, bytes + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            error_ = n < 0 ? errno : ENOSPC;
        else
            done += static_cast<std::size_t>(n);
    }
    return size;
}

void AtomicFileWriter::commit()
{
    // Network file systems may report a full disk only at close.
    if (fd_ >= 0 && ::close(fd_) != 0 && !error_)
        error_ = errno;
    fd_ = -1;
    CALO_VALIDATE(!error_, "cannot write " + what_ + " (where: " + file_.final_path() + ": " + std::strerror(error_)
                               + ") — free disk space or choose another folder");
    file_.commit();
}

void write_file_atomically(std::string const& path, std::string_view content, std::string const& what)
{
    AtomicFileWriter file(path, what);
    file.write(content.data(), content.size());
    file.commit();
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
