#include "CliHelpers.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace calo::test
{
CommandResult run_calo(std::string const& args)
{
    return run_command(calo_binary() + " " + args);
}

std::vector<std::string> lines_of(std::string const& text)
{
    std::vector<std::string> lines;
    std::istringstream is(text);
    std::string line;
    while (std::getline(is, line))
        if (!line.empty())
            lines.push_back(line);
    return lines;
}

std::vector<std::string> list_files(std::string const& dir)
{
    std::vector<std::string> names;
    if (!std::filesystem::exists(dir))
        return names;
    for (auto const& entry : std::filesystem::directory_iterator(dir))
        names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

void expect_one_line_error(CommandResult const& r, int exit_code, std::string const& fragment)
{
    EXPECT_EQ(r.exit_code, exit_code) << r.output;
    auto const lines = lines_of(r.output);
    ASSERT_EQ(lines.size(), 1u) << r.output;
    EXPECT_NE(lines[0].find(fragment), std::string::npos) << lines[0];
}

std::string read_bytes(std::string const& path)
{
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}
}  // namespace calo::test
