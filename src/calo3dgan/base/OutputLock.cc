#include "calo3dgan/base/OutputLock.hh"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"

namespace calo
{
OutputLock OutputLock::for_folder(std::string const& dir)
{
    ensure_writable_directory(dir);
    return OutputLock((std::filesystem::path(dir) / ".calo3dgan.lock").string(), "folder " + dir);
}

OutputLock OutputLock::for_file(std::string const& path)
{
    auto const parent = std::filesystem::path(path).parent_path();
    ensure_writable_directory(parent.empty() ? std::string(".") : parent.string());
    return OutputLock(path + ".lock", "file " + path);
}

OutputLock::OutputLock(std::string lock_path, std::string what) : lock_path_(std::move(lock_path))
{
    fd_ = ::open(lock_path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    CALO_VALIDATE(fd_ >= 0, "cannot create the lock file (where: " + lock_path_ + ": " + std::strerror(errno) +
                                ") — check the permissions of the output folder");
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0)
    {
        int const error = errno;
        ::close(fd_);
        fd_ = -1;
        CALO_VALIDATE(error != EWOULDBLOCK, "another calo3dgan process is writing the " + what +
                                                " — wait for it to finish or choose another output");
        throw InputError("cannot lock the " + what + " (where: " + lock_path_ + ": " + std::strerror(error) + ")");
    }
    // A lock file removed by its previous holder between our open and our
    // lock is no longer the one others see: then the output was busy.
    struct stat held = {}, named = {};
    bool const same = ::fstat(fd_, &held) == 0 && ::stat(lock_path_.c_str(), &named) == 0 &&
                      held.st_ino == named.st_ino && held.st_dev == named.st_dev;
    if (!same)
    {
        ::close(fd_);
        fd_ = -1;
        throw InputError("another calo3dgan process was writing the " + what + " — run again");
    }
}

OutputLock::OutputLock(OutputLock&& other) noexcept
    : lock_path_(std::move(other.lock_path_)), fd_(other.fd_)
{
    other.fd_ = -1;
}

OutputLock::~OutputLock()
{
    if (fd_ < 0)
        return;
    // Removed while still held: a process that opened it before and locks it
    // after sees that the name no longer refers to it (constructor).
    std::error_code ignored;
    std::filesystem::remove(lock_path_, ignored);
    ::close(fd_);
}
}  // namespace calo
