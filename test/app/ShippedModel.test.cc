// The shipped generator is watched like code: a small seeded generate +
// validate against fresh Monte Carlo must give the numbers recorded with the
// model (models/3dgan-a-mc/checks.json). A changed model file, generator,
// Monte Carlo or validation moves them; so does a model that was retrained
// without recording them again.
//
// To record after retraining: CALO3DGAN_RECORD_SHIPPED_CHECKS=1 ctest -R app/ShippedModel
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "CliHelpers.hh"

namespace calo::test
{
namespace
{
using nlohmann::json;

std::string checks_path()
{
    return source_dir() + "/models/3dgan-a-mc/checks.json";
}

//! The key numbers of metrics.json that the checks compare.
json key_numbers(json const& metrics)
{
    json out = {{"sampling_fraction_mre", metrics["sampling_fraction_mre"]},
                {"figure_of_merit", metrics["figure_of_merit"]},
                {"sampling_fraction_max_relative_error",
                 metrics["quality"]["sampling_fraction"]["max_relative_error"]},
                {"profile_x_max_relative_error", metrics["quality"]["profiles"]["x"]["max_relative_error"]},
                {"profile_y_max_relative_error", metrics["quality"]["profiles"]["y"]["max_relative_error"]},
                {"profile_z_max_relative_error", metrics["quality"]["profiles"]["z"]["max_relative_error"]},
                {"fpd", metrics["fpd"]}};
    json bins = json::array();
    for (auto const& bin : metrics["bins"])
    {
        if (bin["kind"] == "energy")
            bins.push_back(bin["sampling_fraction"]["candidate"]);
    }
    out["bin_sampling_fraction"] = bins;
    return out;
}

void expect_close(json const& expected, json const& actual, std::string const& what)
{
    // Same inputs, same model: only float rounding may differ between CPUs
    // (the engine's fp32 kernels sum in an order that depends on the
    // instruction set, about 1e-7 per cell). 1e-4 relative is a thousand
    // times that and far below what a changed model or code moves (percent).
    if (expected.is_array())
    {
        ASSERT_EQ(expected.size(), actual.size()) << what;
        for (std::size_t i = 0; i < expected.size(); ++i)
            expect_close(expected[i], actual[i], what + "[" + std::to_string(i) + "]");
        return;
    }
    ASSERT_TRUE(expected.is_number() && actual.is_number()) << what << ": " << expected << " vs " << actual;
    double const e = expected.get<double>(), a = actual.get<double>();
    EXPECT_LE(std::abs(a - e), 1e-4 * std::abs(e) + 1e-9) << what << ": recorded " << e << ", now " << a;
}
}  // namespace

TEST(ShippedModel, GeneratesPhysicsItWasRecordedWith)
{
    TempDir dir;
    // generate without --checkpoint takes the shipped model and says so.
    auto const generated = run_calo("generate -n 2000 --energy 10:500 --seed 5 --precision fp32 -o " + (dir / "gan.h5"));
    ASSERT_EQ(generated.exit_code, 0) << generated.output;
    EXPECT_NE(generated.output.find("using the shipped model"), std::string::npos) << generated.output;
    EXPECT_NE(generated.output.find("models/3dgan-a-mc/generator.h5"), std::string::npos) << generated.output;
    ASSERT_EQ(run_calo("-q simulate -o " + (dir / "mc") + " --events 2000 --energy 10:500 --seed 7").exit_code, 0);
    auto const validated = run_calo("-q validate --reference " + (dir / "mc") + " --candidate " + (dir / "gan.h5") +
                                    " --no-classifier --no-plots --energy-bins 10,50,100,200,300,400,500 -o " +
                                    (dir / "report"));
    ASSERT_EQ(validated.exit_code, 0) << validated.output;
    std::ifstream metrics_file(dir / "report/metrics.json");
    auto const actual = key_numbers(json::parse(metrics_file));

    if (std::getenv("CALO3DGAN_RECORD_SHIPPED_CHECKS"))
    {
        std::ofstream(checks_path()) << json{{"note", "written by test/app/ShippedModel.test.cc in record mode"},
                                             {"numbers", actual}}
                                            .dump(2)
                                     << '\n';
        GTEST_SKIP() << "recorded " << checks_path();
    }
    std::ifstream checks_file(checks_path());
    ASSERT_TRUE(checks_file) << checks_path() << " is missing — record it (see the top of this test)";
    auto const expected = json::parse(checks_file)["numbers"];
    for (auto const& [key, value] : expected.items())
    {
        ASSERT_TRUE(actual.contains(key)) << key;
        if (value.is_null())
            EXPECT_TRUE(actual[key].is_null()) << key;
        else
            expect_close(value, actual[key], key);
    }
}

TEST(ShippedModel, WithoutAModelGenerateAsksForACheckpoint)
{
    TempDir dir;
    auto const r = run_command("CALO3DGAN_MODEL=" + (dir / "none.h5") + " " + calo_binary() + " generate -n 2 -o " +
                               (dir / "x.h5"));
    expect_one_line_error(r, 1, "$CALO3DGAN_MODEL names");
}
}  // namespace calo::test
