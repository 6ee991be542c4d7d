#pragma once
// Plots are drawn by small Python/matplotlib scripts in scripts/plots; the
// numbers they show are computed in C++ and handed over as JSON files.
#include <string>
#include <vector>

namespace calo
{
//! Path of scripts/plots/<name>: $CALO3DGAN_PLOTS_DIR, else the source tree
//! the binary was built from, else <prefix>/share/calo3dgan/plots.
//! Throws InputError when it is nowhere.
std::string plot_script_path(std::string const& name);

//! Run `python3 <script> args...` ($CALO3DGAN_PYTHON, else /usr/bin/python3,
//! else python3 on PATH) and wait. Its stdout/stderr go to ours only
//! in verbose mode; on failure throws InputError with its last stderr line.
void run_plot_script(std::string const& name, std::vector<std::string> const& args);
}  // namespace calo
