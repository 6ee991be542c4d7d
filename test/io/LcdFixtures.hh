#pragma once
// Files in the real 3DGAN/LCD layouts written by an independent Python writer
// (scripts/fixtures/write_lcd_fixtures.py, h5py + numpy), with the values the
// C++ code must find and the expected preprocessing and measured angles.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace calo::test
{
struct LcdFixtures
{
    std::string dir;          //!< where the files are
    nlohmann::json manifest;  //!< manifest.json (see the script)

    std::string path(std::string const& relative) const { return dir + "/" + relative; }
    //! A raw little-endian float64 array written by the script.
    std::vector<double> load(std::string const& name) const;
};

//! Run the script once per test process (into a temporary folder removed at exit).
LcdFixtures const& lcd_fixtures();

//! |actual - expected| <= rel * |expected| (+ a tiny absolute floor for zeros).
bool close_rel(double actual, double expected, double rel);
}  // namespace calo::test
