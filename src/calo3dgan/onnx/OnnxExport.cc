#include "calo3dgan/onnx/OnnxExport.hh"

#include <torch/torch.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Constants.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/infer/ModelUnits.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/nn/Checkpoint.hh"
#include "calo3dgan/nn/ConfigToml.hh"
#include "calo3dgan/nn/ModelPreprocessing.hh"
#include "calo3dgan/onnx/OnnxGraph.hh"

namespace fs = std::filesystem;

namespace calo::onnx
{
namespace
{
//! Keras K.epsilon(), the floor of d_z^2 in the angle head (nn/PhysicsHeads.hh).
constexpr float kKerasEpsilon = 1e-7f;
//! Value of the angle head for an event without energy (nn::kEmptyEventAngle).
constexpr float kEmptyEventAngle = 100.0f;
//! Largest fused dense+convolution matrix (float values) the rewrite writes.
constexpr std::int64_t kMaxFusedWeights = 32 * 1024 * 1024;

using nn::Int3;

std::vector<float> floats_of(torch::Tensor const& t)
{
    auto const c = t.detach().to(torch::kCPU, torch::kFloat32).contiguous();
    return {c.data_ptr<float>(), c.data_ptr<float>() + c.numel()};
}

std::string add_weight(OnnxGraph& g, std::string const& hint, torch::Tensor const& t)
{
    return g.add_initializer(hint, t.sizes().vec(), floats_of(t));
}

std::string str(double value)
{
    std::ostringstream os;
    os.precision(17);
    os << value;
    return os.str();
}

std::int64_t floor_div(std::int64_t a, std::int64_t b)
{
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0)))
        --q;
    return q;
}

int get(Int3 v, int axis)
{
    return axis == 0 ? v.x : axis == 1 ? v.y : v.z;
}

//! Zeros before and after one axis of a block's convolution input (nn::conv_zeros), as ONNX integers.
std::pair<std::int64_t, std::int64_t> conv_padding(int zero_padding, nn::ConvPadding mode, int kernel)
{
    auto const [before, after] = nn::conv_zeros(zero_padding, mode, kernel);
    return {before, after};
}

//! ONNX Conv `pads`: [x_begin, y_begin, z_begin, x_end, y_end, z_end].
std::vector<std::int64_t> conv_pads(Int3 zero_padding, nn::ConvPadding mode, Int3 kernel)
{
    std::vector<std::int64_t> pads(6);
    for (int axis = 0; axis < 3; ++axis)
    {
        auto const [before, after] = conv_padding(get(zero_padding, axis), mode, get(kernel, axis));
        pads[axis] = before;
        pads[axis + 3] = after;
    }
    return pads;
}

std::string conv(OnnxGraph& g, std::string const& x, std::string const& weight, std::string const& bias,
                 std::vector<std::int64_t> kernel, std::vector<std::int64_t> pads, std::string const& hint)
{
    std::vector<std::string> inputs{x, weight};
    if (!bias.empty())
        inputs.push_back(bias);
    return g.apply("Conv", inputs,
                   {Attribute::integers("kernel_shape", std::move(kernel)), Attribute::integers("pads", std::move(pads))},
                   hint);
}

//! A block's padded convolution as written (zero padding and Keras 'same'
//! folded into the Conv pads); `dims` becomes the output size.
template<class Block>
std::string padded_conv(OnnxGraph& g, std::string const& x, Block const& block, torch::nn::Conv3d const& module,
                        std::string const& id, Int3& dims)
{
    auto const pads = conv_pads(block.zero_padding, block.padding, block.kernel);
    std::string bias;
    if (module->bias.defined())
        bias = add_weight(g, "conv" + id + ".bias", module->bias);
    auto const y = conv(g, x, add_weight(g, "conv" + id + ".kernel", module->weight), bias,
                        {block.kernel.x, block.kernel.y, block.kernel.z}, pads, "conv" + id);
    dims = {static_cast<int>(dims.x + pads[0] + pads[3] - block.kernel.x + 1),
            static_cast<int>(dims.y + pads[1] + pads[4] - block.kernel.y + 1),
            static_cast<int>(dims.z + pads[2] + pads[5] - block.kernel.z + 1)};
    return y;
}

std::string activate(OnnxGraph& g, std::string const& x, nn::Activation activation, double leaky_slope)
{
    switch (activation)
    {
        case nn::Activation::relu:
            return g.apply("Relu", {x});
        case nn::Activation::leaky_relu:
            return g.apply("LeakyRelu", {x}, {Attribute::real("alpha", static_cast<float>(leaky_slope))});
        case nn::Activation::linear:
            break;
    }
    return x;
}

//! Inference-mode BatchNorm with the moving statistics; no-op for an empty holder.
std::string batchnorm(OnnxGraph& g, std::string const& x, torch::nn::BatchNorm3d const& bn, double epsilon,
                      std::string const& prefix)
{
    if (bn.is_empty())
        return x;
    return g.apply("BatchNormalization",
                   {x, add_weight(g, prefix + ".gamma", bn->weight), add_weight(g, prefix + ".beta", bn->bias),
                    add_weight(g, prefix + ".moving_mean", bn->running_mean),
                    add_weight(g, prefix + ".moving_variance", bn->running_var)},
                   {Attribute::real("epsilon", static_cast<float>(epsilon))}, prefix);
}

std::string reshape(OnnxGraph& g, std::string const& x, std::vector<std::int64_t> shape)
{
    return g.apply("Reshape", {x, g.int64_vector("shape", std::move(shape))});
}

std::string reduce_sum(OnnxGraph& g, std::string const& x, std::vector<std::int64_t> axes, bool keepdims)
{
    return g.apply("ReduceSum", {x, g.int64_vector("axes", std::move(axes))},
                   {Attribute::integer("keepdims", keepdims ? 1 : 0)});
}

std::string unsqueeze(OnnxGraph& g, std::string const& x, std::int64_t axis)
{
    return g.apply("Unsqueeze", {x, g.int64_vector("axes", {axis})});
}

//---------------------------------------------------------------------------//
// Exact rewrite 1: nearest upsampling + zero padding + valid convolution as
// one convolution of the low-resolution input with s_x*s_y*s_z phase kernels,
// then a depth-to-space shuffle with an offset and a crop (docs/onnx.md).
//---------------------------------------------------------------------------//
struct PhaseAxis
{
    std::int64_t s = 1;           //!< upsampling factor
    std::int64_t taps = 1;        //!< phase kernel length M = floor((s - 1 + k - 1) / s) + 1
    std::int64_t pad_before = 0;  //!< zeros before the low-resolution input
    std::int64_t pad_after = 0;
    std::int64_t phases_length = 0;  //!< low-resolution output positions per phase
    std::int64_t start = 0;          //!< first kept position of the shuffled output
    std::int64_t length = 0;         //!< output length L_out
};

/*!
 * Per axis: input length n, upsampling s, zeros p_lo/p_hi around the
 * upsampled input, kernel k. Output o reads phase r = (o - p_lo) mod s at
 * low-resolution position q = floor((o - p_lo) / s), q in [q0, q1].
 */
PhaseAxis plan_phase_axis(std::int64_t n, std::int64_t s, std::int64_t p_lo, std::int64_t p_hi, std::int64_t k)
{
    PhaseAxis a;
    a.s = s;
    a.taps = (s - 1 + k - 1) / s + 1;
    a.length = s * n + p_lo + p_hi - k + 1;
    std::int64_t const q0 = floor_div(-p_lo, s);
    std::int64_t const q1 = floor_div(a.length - 1 - p_lo, s);
    a.pad_before = -q0;  // q0 <= 0
    a.pad_after = std::max<std::int64_t>(0, q1 + a.taps - n);
    a.phases_length = n + a.pad_before + a.pad_after - a.taps + 1;
    a.start = -s * q0 - p_lo;
    CALO_VALIDATE(a.start >= 0 && a.start + a.length <= a.phases_length * s && a.length > 0,
                  "phase-stacked convolution does not cover its output — bug in the ONNX exporter");
    return a;
}

//! (s, M, k) matrix with A[r][m][t] = 1 where floor((r + t) / s) = m, in double.
torch::Tensor phase_matrix(std::int64_t s, std::int64_t taps, std::int64_t k)
{
    auto a = torch::zeros({s, taps, k}, torch::kFloat64);
    auto acc = a.accessor<double, 3>();
    for (std::int64_t r = 0; r < s; ++r)
    {
        for (std::int64_t t = 0; t < k; ++t) acc[r][(r + t) / s][t] = 1.0;
    }
    return a;
}

/*!
 * Upsample by `factor`, pad and convolve (weight (C_out, C_in, kx, ky, kz),
 * optional bias) as a phase-stacked convolution. `dims` is the input's spatial
 * size and becomes the output's.
 */
std::string phase_stacked_conv(OnnxGraph& g, std::string const& x, torch::Tensor const& weight,
                               torch::Tensor const& bias, Int3 factor, Int3 zero_padding, nn::ConvPadding mode,
                               Int3& dims, std::string const& prefix)
{
    std::int64_t const c_out = weight.size(0);
    PhaseAxis axes[3];
    for (int axis = 0; axis < 3; ++axis)
    {
        auto const k = weight.size(2 + axis);
        auto const [p_lo, p_hi] = conv_padding(get(zero_padding, axis), mode, static_cast<int>(k));
        axes[axis] = plan_phase_axis(get(dims, axis), get(factor, axis), p_lo, p_hi, k);
    }
    auto const& [ax, ay, az] = axes;
    std::int64_t const phases = ax.s * ay.s * az.s;
    // Phase kernels W_r[m] = sum_{t: floor((r+t)/s) = m} w[t] per axis, in
    // double, stacked phase-major: channel = ((rx*sy + ry)*sz + rz)*C_out + c.
    auto const w = weight.detach().to(torch::kCPU, torch::kFloat64);
    auto const stacked =
        torch::einsum("aiu,bjv,ckw,oquvw->abcoqijk", {phase_matrix(ax.s, ax.taps, weight.size(2)),
                                                      phase_matrix(ay.s, ay.taps, weight.size(3)),
                                                      phase_matrix(az.s, az.taps, weight.size(4)), w})
            .reshape({phases * c_out, weight.size(1), ax.taps, ay.taps, az.taps});
    std::string bias_name;
    if (bias.defined())
        bias_name = add_weight(g, prefix + ".phase_bias", bias.detach().repeat({phases}));
    auto y = conv(g, x, add_weight(g, prefix + ".phase_kernel", stacked), bias_name, {ax.taps, ay.taps, az.taps},
                  {ax.pad_before, ay.pad_before, az.pad_before, ax.pad_after, ay.pad_after, az.pad_after}, prefix);
    // Depth to space: (N, sx*sy*sz*C, Qx, Qy, Qz) -> (N, C, Qx*sx, Qy*sy, Qz*sz)
    y = reshape(g, y, {-1, ax.s, ay.s, az.s, c_out, ax.phases_length, ay.phases_length, az.phases_length});
    y = g.apply("Transpose", {y}, {Attribute::integers("perm", {0, 4, 5, 1, 6, 2, 7, 3})});
    y = reshape(g, y, {-1, c_out, ax.phases_length * ax.s, ay.phases_length * ay.s, az.phases_length * az.s});
    bool const whole = std::all_of(std::begin(axes), std::end(axes),
                                   [](PhaseAxis const& a) { return a.start == 0 && a.length == a.phases_length * a.s; });
    if (!whole)
    {
        y = g.apply("Slice", {y, g.int64_vector("starts", {ax.start, ay.start, az.start}),
                              g.int64_vector("ends", {ax.start + ax.length, ay.start + ay.length, az.start + az.length}),
                              g.int64_vector("axes", {2, 3, 4})});
    }
    dims = {static_cast<int>(ax.length), static_cast<int>(ay.length), static_cast<int>(az.length)};
    return y;
}

//---------------------------------------------------------------------------//
// Generator
//---------------------------------------------------------------------------//
struct GraphNames
{
    std::vector<std::string> inputs;
    std::vector<std::string> outputs;
};

//! Exact rewrite 2: dense -> channels-last reshape -> first convolution (no
//! upsampling, no nonlinearity between) as one affine map latent -> conv
//! output, computed in double: J = conv(pad(reshape(W e_l))), b = conv(pad(reshape(b_dense))) + b_conv.
std::pair<torch::Tensor, torch::Tensor> fused_dense_conv(nn::GeneratorImpl& generator)
{
    namespace F = torch::nn::functional;
    auto const& cfg = generator.config().generator;
    auto const& block = cfg.blocks.front();
    auto const to_image = [&](torch::Tensor const& dense_out)
    {
        auto x = dense_out.view({dense_out.size(0), cfg.reshape.x, cfg.reshape.y, cfg.reshape.z, cfg.reshape_channels})
                     .permute({0, 4, 1, 2, 3});
        std::vector<std::int64_t> widths;
        for (int axis = 2; axis >= 0; --axis)  // F::pad lists the last dimension first
        {
            auto const [before, after] = conv_padding(get(block.zero_padding, axis), block.padding, get(block.kernel, axis));
            widths.push_back(before);
            widths.push_back(after);
        }
        x = F::pad(x, F::PadFuncOptions(widths));
        return F::conv3d(x, generator.conv(0)->weight.detach().to(torch::kFloat64));
    };
    auto const w = generator.dense()->weight.detach().to(torch::kCPU, torch::kFloat64);  // (units, latent)
    auto const b = generator.dense()->bias.detach().to(torch::kCPU, torch::kFloat64);
    auto const jacobian = to_image(w.t().contiguous());   // (latent, C, X, Y, Z)
    auto offset = to_image(b.unsqueeze(0));              // (1, C, X, Y, Z)
    if (generator.conv(0)->bias.defined())
        offset = offset + generator.conv(0)->bias.detach().to(torch::kFloat64).view({1, -1, 1, 1, 1});
    return {jacobian.reshape({jacobian.size(0), -1}), offset.reshape({-1})};
}

GraphNames build_generator(OnnxGraph& g, nn::GeneratorImpl& generator, ExportOptions const& options)
{
    auto const& cfg = generator.config();
    auto const& gen = cfg.generator;
    auto const units = nn::preprocess_options(cfg);
    auto const layout = infer::layout_for(cfg);
    bool const with_angle = cfg.family == nn::ModelFamily::b;
    auto const& shape = cfg.image_shape;

    GraphNames names;
    g.add_input("z", {"N", cfg.noise_size()}, "standard normal noise");
    names.inputs.push_back("z");
    g.add_input("energy_gev", {"N"}, "primary energy [GeV]");
    names.inputs.push_back("energy_gev");
    if (with_angle)
    {
        g.add_input("theta_rad", {"N"}, "polar angle of the primary [rad]");
        names.inputs.push_back("theta_rad");
    }
    if (options.layers_first)
        g.add_output("cells_gev", {"N", shape.nz, shape.nx, shape.ny}, "cell energies [GeV], (layer, x, y)");
    else
        g.add_output("cells_gev", {"N", shape.nx, shape.ny, shape.nz}, "cell energies [GeV], (x, y, layer)");
    names.outputs.push_back("cells_gev");

    // Conditioning: y = E / yscale; A: y * z (EcalEnergyTrain.py), B: [y, theta, z] (AngleTrain3dGAN.py)
    auto const y = unsqueeze(g, g.apply("Div", {"energy_gev", g.scalar("yscale", static_cast<float>(cfg.train.yscale))}), 1);
    std::string latent;
    if (with_angle)
        latent = g.apply("Concat", {y, unsqueeze(g, "theta_rad", 1), "z"}, {Attribute::integer("axis", 1)}, "latent");
    else
        latent = g.apply("Mul", {"z", y}, {}, "latent");

    std::size_t first_block = 0;
    Int3 dims = gen.reshape;
    std::string x;
    bool const fuse = options.rewrite && !gen.blocks.empty() && gen.blocks.front().upsample == Int3{1, 1, 1} &&
                      static_cast<std::int64_t>(cfg.latent_size) * gen.blocks.front().filters * dims.product() <=
                          kMaxFusedWeights;
    if (fuse)
    {
        auto const [jacobian, offset] = fused_dense_conv(generator);
        x = g.apply("Gemm", {latent, add_weight(g, "dense_conv0.kernel", jacobian), add_weight(g, "dense_conv0.bias", offset)});
        auto const& block = gen.blocks.front();
        for (int axis = 0; axis < 3; ++axis)
        {
            auto const [before, after] = conv_padding(get(block.zero_padding, axis), block.padding, get(block.kernel, axis));
            int const out = static_cast<int>(get(dims, axis) + before + after - get(block.kernel, axis) + 1);
            (axis == 0 ? dims.x : axis == 1 ? dims.y : dims.z) = out;
        }
        x = reshape(g, x, {-1, block.filters, dims.x, dims.y, dims.z});
        x = activate(g, x, block.activation, cfg.leaky_relu_slope);
        x = batchnorm(g, x, generator.batchnorm(0), cfg.batchnorm.epsilon, "batchnorm0");
        first_block = 1;
    }
    else
    {
        x = g.apply("Gemm",
                    {latent, add_weight(g, "dense.kernel", generator.dense()->weight),
                     add_weight(g, "dense.bias", generator.dense()->bias)},
                    {Attribute::integer("transB", 1)});
        // Keras Reshape on channels_last data: (x, y, z, C), C fastest
        x = reshape(g, x, {-1, dims.x, dims.y, dims.z, gen.reshape_channels});
        x = g.apply("Transpose", {x}, {Attribute::integers("perm", {0, 4, 1, 2, 3})});
    }

    for (std::size_t i = first_block; i < gen.blocks.size(); ++i)
    {
        auto const& block = gen.blocks[i];
        auto const id = std::to_string(i);
        auto const& conv_module = generator.conv(i);
        if (options.rewrite && block.upsample != Int3{1, 1, 1})
        {
            x = phase_stacked_conv(g, x, conv_module->weight, conv_module->bias, block.upsample, block.zero_padding,
                                   block.padding, dims, "conv" + id);
        }
        else
        {
            if (block.upsample != Int3{1, 1, 1})
            {
                // Keras UpSampling3D: nearest, index floor(o / s)
                auto const scales = g.add_initializer(
                    "scales", {5},
                    {1.0f, 1.0f, static_cast<float>(block.upsample.x), static_cast<float>(block.upsample.y),
                     static_cast<float>(block.upsample.z)});
                x = g.apply("Resize", {x, "", scales},
                            {Attribute::text("mode", "nearest"),
                             Attribute::text("coordinate_transformation_mode", "asymmetric"),
                             Attribute::text("nearest_mode", "floor")});
                dims = {dims.x * block.upsample.x, dims.y * block.upsample.y, dims.z * block.upsample.z};
            }
            x = padded_conv(g, x, block, conv_module, id, dims);
        }
        x = activate(g, x, block.activation, cfg.leaky_relu_slope);
        x = batchnorm(g, x, generator.batchnorm(i), cfg.batchnorm.epsilon, "batchnorm" + id);
    }
    CALO_VALIDATE(dims.x == shape.nx && dims.y == shape.ny && dims.z == shape.nz,
                  "ONNX generator graph ends at " + std::to_string(dims.x) + "x" + std::to_string(dims.y) + "x" +
                      std::to_string(dims.z) + " instead of " + shape.to_string() + " — bug in the exporter");

    // Output units (io::postprocess_in_place): max(G, 0)^(1/power) / xscale in
    // file units, times the file unit in GeV (1 for layout a, 1/50 for b).
    if (gen.blocks.empty() || gen.blocks.back().activation != nn::Activation::relu)
        x = g.apply("Relu", {x});
    if (units.xpower != 1.0)
        x = g.apply("Pow", {x, g.scalar("inverse_power", static_cast<float>(1.0 / units.xpower))});
    double const to_gev = event::cell_unit_gev(layout) / units.xscale;
    if (to_gev != 1.0)
        x = g.apply("Mul", {x, g.scalar("to_gev", static_cast<float>(to_gev))});
    if (options.layers_first)
    {
        // (N, 1, x, y, z) -> (N, z, x, y)
        x = reshape(g, x, {-1, shape.nx, shape.ny, shape.nz});
        g.add_node("Transpose", {x}, {"cells_gev"}, {Attribute::integers("perm", {0, 3, 1, 2})});
    }
    else
    {
        g.add_node("Reshape", {x, g.int64_vector("shape", {-1, shape.nx, shape.ny, shape.nz})}, {"cells_gev"});
    }
    return names;
}

//---------------------------------------------------------------------------//
// Discriminator
//---------------------------------------------------------------------------//

//! Keras `ecal_angle` (nn/PhysicsHeads.hh) on energies (N, X, Y, Z) -> (N).
void angle_head(OnnxGraph& g, std::string const& energies, geo::ImageShape shape, std::string const& output)
{
    auto const centres = [&](char const* hint, int n, std::vector<std::int64_t> dims)
    {
        std::vector<float> values(n);
        for (int i = 0; i < n; ++i) values[i] = static_cast<float>(i) + 0.5f;
        return g.add_initializer(hint, std::move(dims), std::move(values));
    };
    auto const xc = centres("x_centres", shape.nx, {shape.nx});
    auto const yc = centres("y_centres", shape.ny, {shape.ny});
    auto const zc = centres("z_centres", shape.nz, {shape.nz});
    auto const x_column = centres("x_centres_column", shape.nx, {shape.nx, 1});
    auto const y_column = centres("y_centres_column", shape.ny, {shape.ny, 1});
    auto const zero = g.scalar("zero", 0.0f);
    auto const one = g.scalar("one", 1.0f);

    // Event barycentre; 1 for empty events as in Keras
    auto const total_flat = reduce_sum(g, energies, {1, 2, 3}, false);  // (N)
    auto const total = unsqueeze(g, total_flat, 1);                     // (N, 1)
    auto const empty = g.apply("Equal", {total, zero});
    auto const safe_total = g.apply("Where", {empty, one, total});
    auto const barycentre = [&](std::string const& profile, std::string const& centre)
    {
        auto const moment = reduce_sum(g, g.apply("Mul", {profile, centre}), {1}, true);
        return g.apply("Where", {empty, one, g.apply("Div", {moment, safe_total})});
    };
    auto const x0 = barycentre(reduce_sum(g, energies, {2, 3}, false), xc);
    auto const y0 = barycentre(reduce_sum(g, energies, {1, 3}, false), yc);
    auto const layer_sum = reduce_sum(g, energies, {1, 2}, false);  // (N, Z)
    auto const z0 = barycentre(layer_sum, zc);

    // Layer barycentres, zero for empty layers
    auto const empty_layer = g.apply("Equal", {layer_sum, zero});
    auto const safe_layer = g.apply("Where", {empty_layer, one, layer_sum});
    auto const layer_barycentre = [&](std::int64_t other_axis, std::string const& column)
    {
        auto const plane = reduce_sum(g, energies, {other_axis}, false);  // (N, X or Y, Z)
        auto const moment = reduce_sum(g, g.apply("Mul", {plane, column}), {1}, false);
        return g.apply("Where", {empty_layer, zero, g.apply("Div", {moment, safe_layer})});
    };
    auto const x_layer = layer_barycentre(2, x_column);
    auto const y_layer = layer_barycentre(1, y_column);

    auto const dx = g.apply("Sub", {x_layer, x0});
    auto const dz = g.apply("Sub", {zc, z0});
    auto const d2 = g.apply("Add", {g.apply("Mul", {dx, dx}), g.apply("Mul", {dz, dz})});
    auto const distance = g.apply("Sqrt", {g.apply("Max", {d2, g.scalar("keras_epsilon", kKerasEpsilon)})});
    auto slope = g.apply("Div", {g.apply("Sub", {y_layer, y0}), distance});
    slope = g.apply("Where", {g.apply("Less", {zc, z0}), g.apply("Neg", {slope}), slope});
    auto const mask = g.apply("Cast", {g.apply("Not", {empty_layer})},
                              {Attribute::integer("to", static_cast<int>(ElementType::float32))});
    auto const weights = g.apply("Mul", {zc, mask});
    auto const layer_angle = g.apply("Sub", {g.scalar("half_pi", static_cast<float>(kPi / 2)), g.apply("Atan", {slope})});
    auto const angle_sum = reduce_sum(g, g.apply("Mul", {layer_angle, weights}), {1}, false);
    auto const weight_sum = reduce_sum(g, weights, {1}, false);
    auto const angle = g.apply(
        "Div", {angle_sum, g.apply("Where", {g.apply("Equal", {weight_sum, zero}), one, weight_sum})});
    g.add_node("Where",
               {g.apply("Equal", {total_flat, zero}), g.scalar("empty_event_angle", kEmptyEventAngle), angle},
               {output});
}

GraphNames build_discriminator(OnnxGraph& g, nn::DiscriminatorImpl& discriminator)
{
    auto const& cfg = discriminator.config();
    auto const& disc = cfg.discriminator;
    auto const units = nn::preprocess_options(cfg);
    auto const layout = infer::layout_for(cfg);
    auto const& shape = cfg.image_shape;

    GraphNames names;
    g.add_input("cells_gev", {"N", shape.nx, shape.ny, shape.nz}, "cell energies [GeV], (x, y, layer)");
    names.inputs.push_back("cells_gev");
    names.outputs = {"probability", "energy_estimate_gev", "ecal_gev"};
    if (cfg.has_angle_head())
        names.outputs.push_back("angle_rad");
    g.add_output("probability", {"N"}, "P(real), the 'generation' head");
    g.add_output("energy_estimate_gev", {"N"}, "primary energy regressed by the 'auxiliary' head [GeV]");
    g.add_output("ecal_gev", {"N"}, "sum of the cell energies seen by the network [GeV]");
    if (cfg.has_angle_head())
        g.add_output("angle_rad", {"N"}, "measured polar angle (Keras ecal_angle) [rad]; 100 for empty showers");

    // Preprocessing (io::preprocess): GeV -> the family's file units; A: zero
    // cells < threshold, then * xscale; B: * xscale, then threshold; power last.
    std::string x = "cells_gev";
    double const from_gev = 1.0 / event::cell_unit_gev(layout);
    if (from_gev != 1.0)
        x = g.apply("Mul", {x, g.scalar("from_gev", static_cast<float>(from_gev))});
    auto const threshold = [&](std::string const& v)
    {
        auto const below = g.apply("Less", {v, g.scalar("threshold", static_cast<float>(units.threshold))});
        return g.apply("Where", {below, g.scalar("zero", 0.0f), v});
    };
    auto const scale = [&](std::string const& v)
    { return units.xscale == 1.0 ? v : g.apply("Mul", {v, g.scalar("xscale", static_cast<float>(units.xscale))}); };
    x = units.family == event::Layout::fixed_angle ? scale(threshold(x)) : threshold(scale(x));
    if (units.xpower != 1.0)
        x = g.apply("Pow", {x, g.scalar("power", static_cast<float>(units.xpower))});
    auto const network_cells = x;  // (N, X, Y, Z)
    x = reshape(g, x, {-1, 1, shape.nx, shape.ny, shape.nz});

    // Trunk; Dropout is the identity at inference
    Int3 dims{shape.nx, shape.ny, shape.nz};
    for (std::size_t i = 0; i < disc.blocks.size(); ++i)
    {
        auto const& block = disc.blocks[i];
        auto const id = std::to_string(i);
        auto const& conv_module = discriminator.conv(i);
        x = padded_conv(g, x, block, conv_module, id, dims);
        x = activate(g, x, block.activation, cfg.leaky_relu_slope);
        x = batchnorm(g, x, discriminator.batchnorm(i), cfg.batchnorm.epsilon, "batchnorm" + id);
    }
    x = g.apply("AveragePool", {x},
                {Attribute::integers("kernel_shape", {disc.pooling.x, disc.pooling.y, disc.pooling.z}),
                 Attribute::integers("strides", {disc.pooling.x, disc.pooling.y, disc.pooling.z})});
    dims = {dims.x / disc.pooling.x, dims.y / disc.pooling.y, dims.z / disc.pooling.z};
    x = g.apply("Flatten", {x}, {Attribute::integer("axis", 1)});  // (N, C*X*Y*Z), channels first

    // Both dense heads in one Gemm. Keras flattens channels-last (x, y, z, C);
    // reorder the kernels to the channels-first flatten instead of transposing.
    std::int64_t const channels = disc.blocks.back().filters;
    auto const to_channels_first = [&](torch::Tensor const& w)
    { return w.detach().view({dims.x, dims.y, dims.z, channels}).permute({3, 0, 1, 2}).reshape({-1}); };
    auto const kernel = torch::stack({to_channels_first(discriminator.generation()->weight),
                                      to_channels_first(discriminator.auxiliary()->weight)},
                                     1);  // (features, 2)
    auto const bias = torch::cat({discriminator.generation()->bias.detach(), discriminator.auxiliary()->bias.detach()});
    auto const heads = g.apply("Gemm", {x, add_weight(g, "heads.kernel", kernel), add_weight(g, "heads.bias", bias)});
    auto const logit = g.unique_name("logit");
    auto const energy_y = g.unique_name("energy_y");
    g.add_node("Split", {heads}, {logit, energy_y}, {Attribute::integer("axis", 1)});
    auto const axis1 = g.int64_vector("axes", {1});
    g.add_node("Sigmoid", {g.apply("Squeeze", {logit, axis1})}, {"probability"});
    g.add_node("Mul",
               {g.apply("Squeeze", {energy_y, axis1}), g.scalar("yscale", static_cast<float>(cfg.train.yscale))},
               {"energy_estimate_gev"});

    // Physics heads on input^(1/power) (nn::undo_power)
    auto const energies =
        cfg.power == 1.0 ? network_cells
                         : g.apply("Pow", {network_cells, g.scalar("inverse_power", static_cast<float>(1.0 / cfg.power))});
    double const ecal_to_gev = event::cell_unit_gev(layout) / units.xscale;
    g.add_node("Mul", {reduce_sum(g, energies, {1, 2, 3}, false), g.scalar("ecal_to_gev", static_cast<float>(ecal_to_gev))},
               {"ecal_gev"});
    if (cfg.has_angle_head())
        angle_head(g, energies, shape, "angle_rad");
    return names;
}

//---------------------------------------------------------------------------//
ModelInfo model_info(nn::ArchitectureConfig const& cfg, ExportOptions const& options, std::string const& role)
{
    CALO_VALIDATE_USAGE(options.opset >= kMinOpset && options.opset <= kMaxOpset,
                        "ONNX opset " + std::to_string(options.opset) + " is not supported — choose " +
                            std::to_string(kMinOpset) + " to " + std::to_string(kMaxOpset));
    ModelInfo info;
    info.opset = options.opset;
    // IR version 7 goes with opset 13-14, 8 with opset 15-17 (onnx/helper.py VERSION_TABLE)
    info.ir_version = options.opset <= 14 ? 7 : 8;
    info.producer_name = "calo3dgan";
    info.producer_version = std::string(kVersion) + " (" + kGitRevision + ")";
    info.doc_string = "3DGAN " + role + " " + cfg.name + " (Carminati et al. 2019), exported by calo3dgan; "
                      "inputs and outputs in physical units, see docs/onnx.md";
    auto const units = nn::preprocess_options(cfg);
    double const yscale = cfg.train.yscale;
    info.metadata = {{"calo3dgan.role", role},
                     {"calo3dgan.model", cfg.name},
                     {"calo3dgan.family", nn::to_string(cfg.family)},
                     {"calo3dgan.noise_size", std::to_string(cfg.noise_size())},
                     {"calo3dgan.image_shape", cfg.image_shape.to_string()},
                     {"calo3dgan.energy_range_gev", str(cfg.train.energy_min * yscale) + ":" +
                                                        str(cfg.train.energy_max * yscale)},
                     {"calo3dgan.xscale", str(units.xscale)},
                     {"calo3dgan.yscale", str(yscale)},
                     {"calo3dgan.power", str(cfg.power)},
                     {"calo3dgan.graph", options.rewrite ? "rewritten" : "as-written"},
                     {"calo3dgan.cell_order", role == "generator" && options.layers_first ? "layer,x,y" : "x,y,layer"},
                     {"calo3dgan.config_toml", nn::to_toml_string(cfg)}};
    if (cfg.family == nn::ModelFamily::b)
        info.metadata.emplace_back("calo3dgan.theta_range_rad",
                                   str(cfg.train.angle_min_rad) + ":" + str(cfg.train.angle_max_rad));
    if (!options.provenance_json.empty())
        info.metadata.emplace_back("calo3dgan.provenance", options.provenance_json);
    return info;
}

template<class Build>
ExportedModel finish(nn::ArchitectureConfig const& cfg, ExportOptions const& options, std::string const& role,
                     Build&& build)
{
    auto const info = model_info(cfg, options, role);  // checks the opset first
    infer::layout_for(cfg);                            // the cell units must be known
    OnnxGraph graph(cfg.name + "_" + role);
    GraphNames names;
    try
    {
        torch::NoGradGuard no_grad;
        names = build(graph);
    }
    catch (c10::Error const& e)
    {
        throw InputError("cannot build the ONNX " + role + " of model " + cfg.name + " (" +
                         e.what_without_backtrace() + ") — is the checkpoint complete?");
    }
    ExportedModel model;
    model.bytes = graph.serialize(info);
    model.model_name = cfg.name;
    model.inputs = std::move(names.inputs);
    model.outputs = std::move(names.outputs);
    model.num_nodes = graph.num_nodes();
    model.num_weights = graph.num_weights();
    return model;
}
}  // namespace

ExportedModel export_generator(std::string const& checkpoint, ExportOptions const& options)
{
    auto loaded = nn::load_checkpoint(checkpoint);
    auto generator = loaded.generator;
    CALO_VALIDATE(generator, "checkpoint has no generator (where: " + loaded.path + ") — export a calo3dgan checkpoint");
    generator->eval();
    return finish(generator->config(), options, "generator",
                  [&](OnnxGraph& g) { return build_generator(g, *generator, options); });
}

ExportedModel export_discriminator(std::string const& checkpoint, ExportOptions const& options)
{
    auto loaded = nn::load_checkpoint(checkpoint);
    auto discriminator = loaded.discriminator;
    CALO_VALIDATE(discriminator, "checkpoint has no discriminator (where: " + loaded.path +
                                     ") — use a training checkpoint, or import-keras with --discriminator");
    discriminator->eval();
    return finish(discriminator->config(), options, "discriminator",
                  [&](OnnxGraph& g) { return build_discriminator(g, *discriminator); });
}

void write_model(ExportedModel const& model, std::string const& path, bool overwrite)
{
    CALO_VALIDATE(!path.empty(), "no output file given — give -o FILE.onnx");
    CALO_VALIDATE(!fs::is_directory(path), "output path is a folder (where: " + path + ") — give a file name");
    CALO_VALIDATE(overwrite || !fs::exists(path),
                  "output file exists (where: " + path + ") — pass --overwrite or choose another -o");
    fs::path const parent = fs::path(path).parent_path();
    ensure_writable_directory(parent.empty() ? std::string(".") : parent.string());
    AtomicFile file(path);
    {
        std::ofstream out(file.temp_path(), std::ios::binary | std::ios::trunc);
        out.write(model.bytes.data(), static_cast<std::streamsize>(model.bytes.size()));
        out.close();
        CALO_VALIDATE(out, "cannot write ONNX model (where: " + path + ") — check disk space and permissions");
    }
    file.commit();
}
}  // namespace calo::onnx
