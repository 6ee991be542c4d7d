#pragma once
// Run exported models in ONNX Runtime (onnxruntime-node, installed by
// scripts/setup.sh into test/onnx/runtime) and check them with the ONNX checker.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace calo::test
{
//! A float32 tensor fed to or read from ONNX Runtime.
struct FloatTensor
{
    std::vector<std::int64_t> dims;
    std::vector<float> values;
};

//! What one run returned.
struct OnnxRun
{
    std::vector<std::string> input_names;   //!< session.inputNames
    std::vector<std::string> output_names;  //!< session.outputNames
    std::map<std::string, FloatTensor> outputs;
};

/*!
 * Empty if node and onnxruntime-node are installed; otherwise why not. Tests
 * skip on a developer machine without them but fail under CI (CI=true).
 */
std::string onnx_runtime_missing();

//! Skip, or fail when the environment variable CI is set, without ONNX Runtime.
#define CALO_REQUIRE_ONNX_RUNTIME()                                                                  \
    do                                                                                               \
    {                                                                                                \
        auto const missing_ = ::calo::test::onnx_runtime_missing();                                  \
        if (!missing_.empty())                                                                       \
        {                                                                                            \
            if (::calo::test::running_in_ci())                                                       \
                FAIL() << missing_ << " — CI must run the ONNX Runtime checks (scripts/setup.sh)";  \
            GTEST_SKIP() << missing_ << " (run scripts/setup.sh)";                                   \
        }                                                                                            \
    } while (0)

//! Whether CI=true (or any non-empty CI other than "false"/"0").
bool running_in_ci();

//! Run `model` on `inputs` (files under `work_dir`); ASSERT-style failures throw.
OnnxRun run_onnx(std::string const& model, std::map<std::string, FloatTensor> const& inputs,
                 std::string const& work_dir);

//! Empty if `onnx.checker.check_model(full_check=True)` accepts the file
//! (Debian's python3-onnx); otherwise the checker's message.
std::string onnx_checker_error(std::string const& model);

//! max over i of |a - e| / (|e| + max |e|) <= rtol: agreement relative to the
//! output's scale (a cell at 0 is compared against the largest cell).
::testing::AssertionResult close_relative(std::vector<float> const& actual, std::vector<float> const& expected,
                                          double rtol);
}  // namespace calo::test
