#pragma once
// Helpers for tests that run the calo3dgan binary.
#include <string>
#include <vector>

#include "TestSupport.hh"

namespace calo::test
{
//! Run `calo3dgan <args>` and capture its output.
CommandResult run_calo(std::string const& args);
//! Non-empty lines of a text.
std::vector<std::string> lines_of(std::string const& text);
//! Files in a folder (names only, sorted), including hidden ones.
std::vector<std::string> list_files(std::string const& dir);
//! A usage or input error: exit status `exit_code` and exactly one line of
//! output that contains `fragment` (a GoogleTest expectation).
void expect_one_line_error(CommandResult const& r, int exit_code, std::string const& fragment);
//! Whole content of a file.
std::string read_bytes(std::string const& path);
}  // namespace calo::test
