#include "LcdFixtures.hh"

#include <cmath>
#include <fstream>
#include <memory>
#include <stdexcept>

#include "TestSupport.hh"

namespace calo::test
{
std::vector<double> LcdFixtures::load(std::string const& name) const
{
    std::ifstream in(path(name), std::ios::binary | std::ios::ate);
    if (!in)
        throw std::runtime_error("cannot open fixture " + path(name));
    auto const bytes = static_cast<std::size_t>(in.tellg());
    std::vector<double> values(bytes / sizeof(double));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(double)));
    return values;
}

LcdFixtures const& lcd_fixtures()
{
    static std::unique_ptr<TempDir> const dir = std::make_unique<TempDir>();
    static LcdFixtures const fixtures = []
    {
        std::string const script = source_dir() + "/scripts/fixtures/write_lcd_fixtures.py";
        auto const result = run_command(python() + " " + script + " " + dir->path().string());
        if (result.exit_code != 0)
            throw std::runtime_error("fixture script failed (" + script + "):\n" + result.output);
        LcdFixtures f;
        f.dir = dir->path().string();
        std::ifstream in(f.path("manifest.json"));
        f.manifest = nlohmann::json::parse(in);
        return f;
    }();
    return fixtures;
}

bool close_rel(double actual, double expected, double rel)
{
    return std::fabs(actual - expected) <= rel * std::fabs(expected) + 1e-30;
}
}  // namespace calo::test
