#pragma once
// One writer per output: a second run into the same run folder, dataset
// folder or output file is refused instead of interleaving with the first.
#include <string>

namespace calo
{
/*!
 * An exclusive advisory lock (flock) on a lock file, held for this object's
 * life. The kernel releases it when the process ends, however it ends, so a
 * killed run never leaves a stale lock.
 */
class OutputLock
{
  public:
    //! Lock the folder `dir` (its file `.calo3dgan.lock`, removed on release;
    //! the folder is created).
    static OutputLock for_folder(std::string const& dir);
    //! Lock the output file `path` (through `path.lock`, removed on release).
    static OutputLock for_file(std::string const& path);

    OutputLock(OutputLock&& other) noexcept;
    OutputLock& operator=(OutputLock&&) = delete;
    OutputLock(OutputLock const&) = delete;
    OutputLock& operator=(OutputLock const&) = delete;
    ~OutputLock();

  private:
    //! InputError naming `what` if another process holds the lock.
    OutputLock(std::string lock_path, std::string what);

    std::string lock_path_;
    int fd_ = -1;
};
}  // namespace calo
