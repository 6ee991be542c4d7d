#include "calo3dgan/base/AtomicFile.hh"

#include <gtest/gtest.h>

#include <fstream>

#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"

namespace calo
{
namespace fs = std::filesystem;

namespace
{
std::size_t count_entries(fs::path const& dir)
{
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}
}  // namespace

TEST(AtomicFile, CommitMovesIntoPlace)
{
    test::TempDir dir;
    std::string const target = dir / "out.txt";
    {
        AtomicFile file(target);
        std::ofstream(file.temp_path()) << "hello";
        EXPECT_FALSE(fs::exists(target));
        file.commit();
    }
    EXPECT_TRUE(fs::exists(target));
    EXPECT_EQ(count_entries(dir.path()), 1u);
    std::ifstream in(target);
    std::string content;
    std::getline(in, content);
    EXPECT_EQ(content, "hello");
}

TEST(AtomicFile, AbandonedWriteLeavesNothing)
{
    test::TempDir dir;
    {
        AtomicFile file(dir / "out.txt");
        std::ofstream(file.temp_path()) << "partial";
    }
    EXPECT_EQ(count_entries(dir.path()), 0u);
}

TEST(AtomicFile, EnsureWritableDirectory)
{
    test::TempDir dir;
    std::string const nested = dir / "a/b/c";
    ensure_writable_directory(nested);
    EXPECT_TRUE(fs::is_directory(nested));
    // A regular file in the way is not a folder.
    std::string const blocker = dir / "file";
    std::ofstream(blocker) << "x";
    EXPECT_THROW(ensure_writable_directory(blocker), InputError);
}
}  // namespace calo
