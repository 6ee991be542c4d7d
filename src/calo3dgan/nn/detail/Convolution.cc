#include "Convolution.hh"

#include "calo3dgan/nn/Autocast.hh"

namespace calo::nn::detail
{
namespace
{
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

//! The type the convolution runs in: the autocast type where autocast is on
//! for the tensor's device, else the tensor's own.
torch::ScalarType compute_type(torch::Tensor const& x)
{
    auto const device = x.device().type();
    return autocast_enabled(device) ? autocast_type(device) : x.scalar_type();
}

std::vector<std::int64_t> to_vector(Int3 v)
{
    return {v.x, v.y, v.z};
}

/*!
 * dw[o, i, t] = sum_{n, u} dy[n, o, u] xp[n, i, u + t] (xp the padded
 * input): a convolution over the batch, whose output is the kernel. The
 * batch is its channel count, so beyond 16 samples it goes in chunks of 16
 * summed in fp32: one convolution over 128 took twice the time per sample
 * (the batch outgrows the caches; docs/training-performance.md).
 */
torch::Tensor weight_gradient_over_batch(torch::Tensor const& xp, torch::Tensor const& dy)
{
    constexpr std::int64_t kChunk = 16;
    auto const n = xp.size(0);
    auto const chunk = [&](std::int64_t start, std::int64_t length)
    {
        return torch::conv3d(xp.narrow(0, start, length).transpose(0, 1), dy.narrow(0, start, length).transpose(0, 1))
            .transpose(0, 1);
    };
    if (n <= kChunk)
        return chunk(0, n);
    auto sum = chunk(0, kChunk).to(torch::kFloat);
    for (std::int64_t start = kChunk; start < n; start += kChunk) sum += chunk(start, std::min(kChunk, n - start));
    return sum;
}

/*!
 * y = conv3d(x, w, b, padding) by output phases along the first spatial
 * axis z: with one more zero of padding there, y[2m - 1 + r] =
 * sum_t w[t] xp[2m + r + t] for r = 0, 1, so both phases are one convolution
 * with stride 2 and k + 1 taps, phase r's kernel being w shifted by r taps;
 * its outputs interleave to y[-1 .. 2M - 2], of which the first is dropped.
 * `b` may be undefined.
 */
torch::Tensor forward_by_phases(torch::Tensor const& x, torch::Tensor const& w, torch::Tensor const& b,
                                std::vector<std::int64_t> const& padding)
{
    auto const n = x.size(0), c_out = w.size(0), k = w.size(2);
    auto const z_out = x.size(2) + 2 * padding[0] - k + 1;
    auto kernel = torch::zeros({2, c_out, w.size(1), k + 1, w.size(3), w.size(4)}, w.options());
    kernel[0].narrow(2, 0, k).copy_(w);
    kernel[1].narrow(2, 1, k).copy_(w);
    auto const phases =
        torch::conv3d(x, kernel.view({2 * c_out, w.size(1), k + 1, w.size(3), w.size(4)}),
                      b.defined() ? b.repeat({2}) : b, /*stride=*/{2, 1, 1}, {padding[0] + 1, padding[1], padding[2]});
    auto const m = phases.size(2), h = phases.size(3), d = phases.size(4);
    return phases.view({n, 2, c_out, m, h, d})
        .permute({0, 2, 3, 1, 4, 5})
        .reshape({n, c_out, 2 * m, h, d})
        .narrow(2, 1, z_out)
        .contiguous();
}

//! x with `padding` zeros on both sides of each spatial axis.
torch::Tensor pad_symmetric(torch::Tensor const& x, std::vector<std::int64_t> const& padding)
{
    namespace F = torch::nn::functional;
    return F::pad(x, F::PadFuncOptions({padding[2], padding[2], padding[1], padding[1], padding[0], padding[0]}));
}

//! Autocast stays off inside: the casts are explicit.
struct NoAutocast
{
    c10::impl::ExcludeDispatchKeyGuard guard{
        c10::DispatchKeySet({c10::DispatchKey::AutocastCPU, c10::DispatchKey::AutocastCUDA})};
};

class Convolution3dFunction : public torch::autograd::Function<Convolution3dFunction>
{
  public:
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor weight, torch::Tensor bias,
                                 std::vector<std::int64_t> padding, ConvolutionFormulation formulation)
    {
        auto const type = compute_type(x);
        NoAutocast no_autocast;
        auto const xc = x.to(type);
        auto const wc = weight.to(type);
        auto const bc = bias.to(type);
        ctx->save_for_backward({xc, wc});
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["data_as_forward"] = formulation.data_as_forward;
        ctx->saved_data["data_as_forward_by_phases"] = formulation.data_as_forward_by_phases;
        ctx->saved_data["weights_as_forward"] = formulation.weights_as_forward;
        ctx->saved_data["weights_padded_first"] = formulation.weights_padded_first;
        ctx->saved_data["x_type"] = static_cast<std::int64_t>(x.scalar_type());
        ctx->saved_data["w_type"] = static_cast<std::int64_t>(weight.scalar_type());
        if (formulation.forward_by_phases)
            return forward_by_phases(xc, wc, bc, padding);
        return torch::conv3d(xc, wc, bc, /*stride=*/1, padding);
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        NoAutocast no_autocast;
        auto const saved = ctx->get_saved_variables();
        auto const& x = saved[0];
        auto const& w = saved[1];
        auto const padding = ctx->saved_data["padding"].toIntVector();
        auto const x_type = static_cast<torch::ScalarType>(ctx->saved_data["x_type"].toInt());
        auto const w_type = static_cast<torch::ScalarType>(ctx->saved_data["w_type"].toInt());
        auto const dy = grads[0].to(x.scalar_type()).contiguous();
        torch::Tensor dx, dw, db;
        bool need_x = ctx->needs_input_grad(0);
        bool need_w = ctx->needs_input_grad(1);
        if (need_x && ctx->saved_data["data_as_forward"].toBool())
        {
            // Stride 1: dL/dx is the full correlation of dL/dy with the
            // flipped kernel, channels swapped, padded by k - 1 - p.
            std::vector<std::int64_t> full(3);
            for (int a = 0; a < 3; ++a) full[a] = w.size(2 + a) - 1 - padding[a];
            auto const flipped = w.flip({2, 3, 4}).transpose(0, 1).contiguous();
            dx = ctx->saved_data["data_as_forward_by_phases"].toBool() ? forward_by_phases(dy, flipped, {}, full)
                                                                       : torch::conv3d(dy, flipped, {}, 1, full);
            need_x = false;
        }
        if (need_w && ctx->saved_data["weights_as_forward"].toBool())
        {
            dw = weight_gradient_over_batch(pad_symmetric(x, padding), dy);
            need_w = false;
        }
        if (need_w && ctx->saved_data["weights_padded_first"].toBool())
        {
            dw = std::get<1>(at::convolution_backward(dy, pad_symmetric(x, padding), w, c10::nullopt, {1, 1, 1},
                                                      {0, 0, 0}, {1, 1, 1}, /*transposed=*/false, {0, 0, 0},
                                                      /*groups=*/1, {false, true, false}));
            need_w = false;
        }
        if (need_x || need_w)
        {
            auto const result =
                at::convolution_backward(dy, x, w, c10::nullopt, {1, 1, 1}, padding, {1, 1, 1},
                                         /*transposed=*/false, {0, 0, 0}, /*groups=*/1, {need_x, need_w, false});
            if (need_x)
                dx = std::get<0>(result);
            if (need_w)
                dw = std::get<1>(result);
        }
        if (ctx->needs_input_grad(2))
            db = grads[0].to(w_type).sum({0, 2, 3, 4});
        return {dx.defined() ? dx.to(x_type) : dx, dw.defined() ? dw.to(w_type).contiguous() : dw, db, torch::Tensor(),
                torch::Tensor()};
    }
};
}  // namespace

ConvolutionFormulation choose_formulation(std::int64_t in_channels, std::int64_t out_channels,
                                          torch::ScalarType compute_type, c10::DeviceType device)
{
    // Measured per layer of both models with bench/convolution_layers.py
    // and in training steps (docs/training-performance.md): oneDNN's
    // backward primitives are slow when a channel count is 8 or less, where
    // a forward convolution computes the same sums several times faster,
    // and oneDNN's forward kernels fill their 16-channel blocks only when
    // 8 or fewer outputs are computed two phases at a time.
    // Off the CPU (measured once, on an H200) the forward formulations of
    // the gradients stay, without the phases and the padding done first
    // (all formulations compute the same sums on any device; this is the
    // one place that decides where each is used).
    bool const cpu = device == c10::DeviceType::CPU;
    bool const few_outputs = in_channels > 1 && out_channels <= 8;
    bool const few_channels = few_outputs && in_channels <= 8;
    ConvolutionFormulation formulation;
    formulation.forward_by_phases = few_outputs && cpu;
    // One input channel (the discriminators' first layers): oneDNN's
    // backward-data runs at a tenth of its forward speed there.
    formulation.data_as_forward = few_outputs || in_channels == 1;
    formulation.data_as_forward_by_phases = formulation.data_as_forward && in_channels <= 8 && cpu;
    // bf16: oneDNN 2.6's backward-weights is 3 to 4 times slower than the
    // forward formulation, with or without the padding done first.
    formulation.weights_padded_first = few_channels && cpu && compute_type == torch::kFloat;
    formulation.weights_as_forward = few_channels && !formulation.weights_padded_first;
    return formulation;
}

torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding)
{
    return convolution3d(x, weight, bias, padding,
                         choose_formulation(weight.size(1), weight.size(0), compute_type(x), x.device().type()));
}

torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding, ConvolutionFormulation formulation)
{
    // Custom functions take defined tensors only: no bias is a zero bias
    // that needs no gradient.
    auto const b = bias.defined() ? bias : torch::zeros({weight.size(0)}, weight.options());
    return Convolution3dFunction::apply(x, weight, b, to_vector(padding), formulation);
}
}  // namespace calo::nn::detail
