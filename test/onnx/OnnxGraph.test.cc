// The hand-written ONNX writer: wire format, graph checks, and a small graph
// that the ONNX checker accepts and ONNX Runtime evaluates.
#include "calo3dgan/onnx/OnnxGraph.hh"

#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "OnnxRuntime.hh"
#include "TestSupport.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/onnx/detail/ProtoWriter.hh"

namespace calo::onnx
{
namespace
{
using test::FloatTensor;

void write_file(std::string const& path, std::string const& bytes)
{
    std::ofstream out(path, std::ios::binary);
    out << bytes;
}

//! y = Transpose(LeakyRelu(x @ w + b, 0.3)) with a dynamic batch; x (N, 3), y (2, N).
OnnxGraph small_graph()
{
    OnnxGraph g("small");
    g.add_input("x", {"N", 3}, "input");
    g.add_output("y", {2, "N"}, "output");
    auto const w = g.add_initializer("w", {3, 2}, {1.0f, -2.0f, 0.5f, 0.25f, -1.0f, 3.0f});
    auto const b = g.add_initializer("b", {2}, {0.5f, -0.5f});
    auto const h = g.apply("Gemm", {"x", w, b});
    auto const a = g.apply("LeakyRelu", {h}, {Attribute::real("alpha", 0.3f)});
    g.add_node("Transpose", {a}, {"y"}, {Attribute::integers("perm", {1, 0})});
    return g;
}
}  // namespace

TEST(ProtoWriter, varints_and_fields)
{
    EXPECT_EQ(detail::encode_varint(0), std::string(1, '\0'));
    EXPECT_EQ(detail::encode_varint(1), "\x01");
    EXPECT_EQ(detail::encode_varint(300), "\xAC\x02");  // the protobuf documentation's example
    // Negative int64: ten bytes of two's complement
    EXPECT_EQ(detail::encode_varint(static_cast<std::uint64_t>(std::int64_t{-1})).size(), 10u);
    detail::ProtoWriter w;
    w.add_int(1, 150);  // field 1 varint: 08 96 01
    EXPECT_EQ(w.bytes(), "\x08\x96\x01");
    detail::ProtoWriter s;
    s.add_bytes(2, "testing");  // field 2 length-delimited: 12 07 'testing'
    EXPECT_EQ(s.bytes(), std::string("\x12\x07testing"));
    detail::ProtoWriter f;
    f.add_float(2, 1.0f);  // field 2 fixed32: 15 00 00 80 3f
    EXPECT_EQ(f.bytes(), std::string("\x15\x00\x00\x80\x3f", 5));
}

TEST(OnnxGraph, rejects_inconsistent_graphs)
{
    OnnxGraph g("bad");
    g.add_input("x", {"N"});
    EXPECT_THROW(g.apply("Relu", {"undefined"}), InputError);
    EXPECT_THROW(g.add_input("x", {"N"}), InputError);
    EXPECT_THROW(g.add_initializer("w", {2, 2}, {1.0f}), InputError);
    g.add_output("y", {"N"});
    EXPECT_THROW(g.serialize(ModelInfo{}), InputError);  // y is never computed
    // Fresh names never collide with declared outputs or earlier values
    auto const relu = g.apply("Relu", {"x"}, {}, "y");
    EXPECT_NE(relu, "y");
    EXPECT_NE(g.apply("Relu", {"x"}, {}, "y"), relu);
}

TEST(OnnxGraph, checker_and_runtime_accept_a_small_graph)
{
    CALO_REQUIRE_ONNX_RUNTIME();
    test::TempDir dir;
    auto const model = dir / "small.onnx";
    ModelInfo info;
    info.metadata = {{"key", "value"}};
    write_file(model, small_graph().serialize(info));
    EXPECT_EQ(test::onnx_checker_error(model), "");

    std::vector<float> const x{1, 2, 3, -4, 0.5f, 2};
    auto const run = test::run_onnx(model, {{"x", FloatTensor{{2, 3}, x}}}, dir / "run");
    EXPECT_EQ(run.input_names, std::vector<std::string>{"x"});
    ASSERT_EQ(run.output_names, std::vector<std::string>{"y"});
    auto const& y = run.outputs.at("y");
    EXPECT_EQ(y.dims, (std::vector<std::int64_t>{2, 2}));
    // Expected values by hand: h = x @ w + b, LeakyRelu(0.3), transposed
    float const w[3][2] = {{1, -2}, {0.5f, 0.25f}, {-1, 3}};
    float const b[2] = {0.5f, -0.5f};
    for (int n = 0; n < 2; ++n)
    {
        for (int j = 0; j < 2; ++j)
        {
            float h = b[j];
            for (int k = 0; k < 3; ++k) h += x[n * 3 + k] * w[k][j];
            float const expected = h > 0 ? h : 0.3f * h;
            EXPECT_FLOAT_EQ(y.values[j * 2 + n], expected) << "n " << n << " j " << j;
        }
    }
}
}  // namespace calo::onnx
