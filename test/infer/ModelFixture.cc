#include "ModelFixture.hh"

#include <gtest/gtest.h>

#include <memory>
#include <sstream>
#include <stdexcept>

namespace calo::test
{
torch::Tensor ModelFixture::tensor(std::string const& name) const
{
    auto const it = data.find(name);
    if (it == data.end())
        throw std::runtime_error("fixture has no dataset " + name);
    std::vector<std::int64_t> shape(it->second.shape.begin(), it->second.shape.end());
    return torch::from_blob(const_cast<float*>(it->second.values.data()), shape, torch::kFloat32).clone();
}

TempDir const& process_temp_dir()
{
    static TempDir const dir;
    return dir;
}

void run_reference_script(std::string const& script, std::string const& arguments)
{
    auto const command = python() + " " + source_dir() + "/scripts/reference/" + script + " " + arguments;
    auto const result = run_command(command);
    if (result.exit_code != 0)
        throw std::runtime_error("fixture script failed: " + command + "\n" + result.output);
}

ModelFixture const& model_fixture(char model)
{
    static std::map<char, std::unique_ptr<ModelFixture>> cache;
    auto& entry = cache[model];
    if (!entry)
    {
        auto const dir = process_temp_dir() / (std::string("fixture-") + model);
        run_reference_script("write_model_fixture.py",
                             std::string("--model ") + model + " --out " + dir + " --batch 2 --seed 1234");
        auto fixture = std::make_unique<ModelFixture>();
        std::string const prefix = dir + "/3dgan-" + model;
        fixture->generator_weights = prefix + "_generator_weights.h5";
        fixture->discriminator_weights = prefix + "_discriminator_weights.h5";
        for (auto& dataset : io::read_float_datasets(prefix + "_fixture.h5"))
        {
            auto name = dataset.path;
            fixture->data.emplace(name, std::move(dataset));
        }
        entry = std::move(fixture);
    }
    return *entry;
}

::testing::AssertionResult close_relative(torch::Tensor const& actual, torch::Tensor const& expected, double rtol)
{
    auto const a = actual.to(torch::kCPU, torch::kFloat64).reshape(-1);
    auto const e = expected.to(torch::kCPU, torch::kFloat64).reshape(-1);
    if (a.numel() != e.numel())
        return ::testing::AssertionFailure() << "sizes differ: " << a.numel() << " vs " << e.numel();
    double const scale = e.abs().max().item<double>();
    auto const diff = (a - e).abs();
    auto const bound = rtol * (e.abs() + scale);
    auto const bad = (diff > bound).nonzero();
    if (bad.size(0) == 0)
        return ::testing::AssertionSuccess();
    auto const i = bad[0][0].item<std::int64_t>();
    std::ostringstream os;
    os << bad.size(0) << " of " << a.numel() << " values differ beyond rtol " << rtol << " (scale " << scale
       << "); first at " << i << ": " << a[i].item<double>() << " vs " << e[i].item<double>() << ", max difference "
       << diff.max().item<double>();
    return ::testing::AssertionFailure() << os.str();
}
}  // namespace calo::test
