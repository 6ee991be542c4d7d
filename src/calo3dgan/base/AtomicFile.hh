#pragma once
// Write a file under a temporary name and rename it into place when complete,
// so an interrupted or failed run never leaves a truncated file behind.
#include <string>

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

//! Check that `dir` exists (creating it if needed) and is writable.
void ensure_writable_directory(std::string const& dir);
}  // namespace calo
