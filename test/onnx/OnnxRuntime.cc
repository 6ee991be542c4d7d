#include "OnnxRuntime.hh"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "TestSupport.hh"

namespace calo::test
{
namespace fs = std::filesystem;
namespace
{
std::string runtime_dir()
{
    return source_dir() + "/test/onnx/runtime";
}

void write_floats(std::string const& path, std::vector<float> const& values)
{
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<char const*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
    if (!out)
        throw std::runtime_error("cannot write " + path);
}

std::vector<float> read_floats(std::string const& path)
{
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    auto const bytes = static_cast<std::size_t>(in.tellg());
    std::vector<float> values(bytes / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(bytes));
    return values;
}
}  // namespace

bool running_in_ci()
{
    char const* ci = std::getenv("CI");
    if (!ci)
        return false;
    std::string const value = ci;
    return !value.empty() && value != "false" && value != "0";
}

std::string onnx_runtime_missing()
{
    if (run_command("node --version").exit_code != 0)
        return "node (Node.js) is not on PATH";
    if (!fs::exists(runtime_dir() + "/node_modules/onnxruntime-node/package.json"))
        return "onnxruntime-node is not installed in test/onnx/runtime";
    return {};
}

OnnxRun run_onnx(std::string const& model, std::map<std::string, FloatTensor> const& inputs,
                 std::string const& work_dir)
{
    fs::create_directories(work_dir);
    std::string command = "node " + runtime_dir() + "/run_onnx.mjs --model " + model + " --out " + work_dir + "/out";
    for (auto const& [name, tensor] : inputs)
    {
        auto const file = work_dir + "/" + name + ".f32";
        write_floats(file, tensor.values);
        std::string dims;
        for (auto d : tensor.dims) dims += (dims.empty() ? "" : ",") + std::to_string(d);
        command += " --input " + name + "=" + file + ":" + dims;
    }
    auto const result = run_command(command);
    if (result.exit_code != 0)
        throw std::runtime_error("ONNX Runtime failed: " + command + "\n" + result.output);
    std::ifstream summary_file(work_dir + "/out/outputs.json");
    auto const summary = nlohmann::json::parse(summary_file);
    OnnxRun run;
    run.input_names = summary.at("inputs").get<std::vector<std::string>>();
    run.output_names = summary.at("outputs").get<std::vector<std::string>>();
    for (auto const& name : run.output_names)
    {
        FloatTensor tensor;
        tensor.dims = summary.at("shapes").at(name).get<std::vector<std::int64_t>>();
        tensor.values = read_floats(work_dir + "/out/" + name + ".f32");
        run.outputs.emplace(name, std::move(tensor));
    }
    return run;
}

std::string onnx_checker_error(std::string const& model)
{
    auto const result =
        run_command(python() + " -c \"import onnx, sys; onnx.checker.check_model(onnx.load(sys.argv[1]), "
                               "full_check=True)\" " +
                    model);
    return result.exit_code == 0 ? std::string() : result.output;
}

::testing::AssertionResult close_relative(std::vector<float> const& actual, std::vector<float> const& expected,
                                          double rtol)
{
    if (actual.size() != expected.size())
        return ::testing::AssertionFailure() << "sizes differ: " << actual.size() << " vs " << expected.size();
    double scale = 0;
    for (float e : expected) scale = std::max(scale, std::abs(static_cast<double>(e)));
    double worst = 0;
    std::size_t worst_index = 0;
    for (std::size_t i = 0; i < actual.size(); ++i)
    {
        double const e = expected[i];
        double const bound = std::abs(e) + scale;
        double const error = bound > 0 ? std::abs(actual[i] - e) / bound : std::abs(actual[i] - e);
        if (!(error <= worst))  // NaN counts as worst
        {
            worst = std::isnan(error) ? INFINITY : error;
            worst_index = i;
        }
    }
    if (worst <= rtol)
        return ::testing::AssertionSuccess() << "worst relative difference " << worst;
    std::ostringstream os;
    os << "relative difference " << worst << " > " << rtol << " at " << worst_index << ": "
       << actual[worst_index] << " vs " << expected[worst_index] << " (scale " << scale << ")";
    return ::testing::AssertionFailure() << os.str();
}
}  // namespace calo::test
