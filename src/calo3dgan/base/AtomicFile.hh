#pragma once
// Write a file under a temporary name and rename it into place when complete,
// so an interrupted or failed run never leaves a truncated file behind.
#include <cstddef>
#include <string>
#include <string_view>

namespace calo
{
class AtomicFile
{
  public:
    //! Prepare to write `final_path`; the temporary lives in the same folder.
    explicit AtomicFile(std::string final_path);
    //! Removes the temporary unless commit() succeeded.
    ~AtomicFile();
    AtomicFile(AtomicFile const&) = delete;
    AtomicFile& operator=(AtomicFile const&) = delete;

    //! Where to write the content.
    std::string const& temp_path() const { return temp_path_; }
    std::string const& final_path() const { return final_path_; }

    //! Atomically move the temporary onto the final path.
    void commit();

  private:
    std::string final_path_;
    std::string temp_path_;
    bool committed_ = false;
};

/*!
 * Bytes into an AtomicFile through unbuffered, checked writes. A failed write
 * is kept, not thrown: write() always reports every byte taken, so a writer
 * that cannot survive a short write (libtorch's zip writer throws again from
 * its destructor and ends the process) runs to its end; commit() then throws
 * one InputError with the system's reason ("No space left on device") and
 * the temporary is removed, leaving any previous file in place.
 */
class AtomicFileWriter
{
  public:
    //! `what` names the content in the message ("the checkpoint").
    AtomicFileWriter(std::string final_path, std::string what);
    ~AtomicFileWriter();
    AtomicFileWriter(AtomicFileWriter const&) = delete;
    AtomicFileWriter& operator=(AtomicFileWriter const&) = delete;

    //! Append `size` bytes; returns `size` even after a failure.
    std::size_t write(void const* data, std::size_t size);
    //! Close, throw the first failure if any, else move into place.
    void commit();

  private:
    AtomicFile file_;
    std::string what_;
    int fd_ = -1;
    int error_ = 0;
};

/*!
 * Write `content` to `path` atomically (an AtomicFileWriter). Buffered
 * streams are not used for this: one loses its last buffer at close silently
 * and a truncated file would replace the previous one.
 */
void write_file_atomically(std::string const& path, std::string_view content, std::string const& what);

//! Check that `dir` exists (creating it if needed) and is writable.
void ensure_writable_directory(std::string const& dir);
}  // namespace calo
