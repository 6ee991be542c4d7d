// One writer per output: a second lock on the same folder or file is refused
// with one line, the lock ends with its holder, and nothing stays behind.
#include "calo3dgan/base/OutputLock.hh"

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>

#include "ErrorMessage.hh"
#include "TestSupport.hh"

namespace calo
{
namespace fs = std::filesystem;

TEST(OutputLock, SecondWriterOfAFolderIsRefusedUntilTheFirstEnds)
{
    test::TempDir dir;
    std::string const run = dir / "run";
    {
        auto const first = OutputLock::for_folder(run);  // creates the folder
        EXPECT_TRUE(fs::is_directory(run));
        // flock conflicts between two opens even within one process, as
        // between two processes
        auto const refused = test::error_message([&] { OutputLock::for_folder(run); });
        EXPECT_CONTAINS(refused, "another calo3dgan process is writing the folder " + run);
    }
    EXPECT_FALSE(fs::exists(fs::path(run) / ".calo3dgan.lock")) << "the lock file is removed with the lock";
    EXPECT_TRUE(fs::is_empty(run));
    auto const again = OutputLock::for_folder(run);
}

TEST(OutputLock, FilesAreLockedOneByOne)
{
    test::TempDir dir;
    std::string const a = dir / "a.h5";
    std::optional<OutputLock> first(OutputLock::for_file(a));
    auto const other = OutputLock::for_file(dir / "b.h5");  // another file of the same folder
    EXPECT_CONTAINS(test::error_message([&] { OutputLock::for_file(a); }),
                    "another calo3dgan process is writing the file " + a);
    first.reset();
    EXPECT_FALSE(fs::exists(a + ".lock"));
    auto const next = OutputLock::for_file(a);
}
}  // namespace calo
