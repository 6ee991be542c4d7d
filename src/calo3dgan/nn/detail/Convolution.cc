#include "Convolution.hh"

#include <ATen/autocast_mode.h>

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
    if (x.is_cuda() && at::autocast::is_enabled())
        return at::autocast::get_autocast_gpu_dtype();
    if (x.is_cpu() && at::autocast::is_cpu_enabled())
        return at::autocast::get_autocast_cpu_dtype();
    return x.scalar_type();
}

std::vector<std::int64_t> to_vector(Int3 v)
{
    return {v.x, v.y, v.z};
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
                                 std::vector<std::int64_t> padding, bool data_as_forward, bool weights_as_forward)
    {
        auto const type = compute_type(x);
        NoAutocast no_autocast;
        auto const xc = x.to(type);
        auto const wc = weight.to(type);
        auto const bc = bias.to(type);
        ctx->save_for_backward({xc, wc});
        ctx->saved_data["padding"] = padding;
        ctx->saved_data["data_as_forward"] = data_as_forward;
        ctx->saved_data["weights_as_forward"] = weights_as_forward;
        ctx->saved_data["x_type"] = static_cast<std::int64_t>(x.scalar_type());
        ctx->saved_data["w_type"] = static_cast<std::int64_t>(weight.scalar_type());
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
            dx = torch::conv3d(dy, w.flip({2, 3, 4}).transpose(0, 1).contiguous(), {}, 1, full);
            need_x = false;
        }
        if (need_w && ctx->saved_data["weights_as_forward"].toBool())
        {
            // dw[o, i, t] = sum_{n, u} dy[n, o, u] x_padded[n, i, u + t]: a
            // convolution over the batch, whose output is the kernel.
            namespace F = torch::nn::functional;
            auto const xp = F::pad(x, F::PadFuncOptions({padding[2], padding[2], padding[1], padding[1], padding[0],
                                                         padding[0]}));
            dw = torch::conv3d(xp.transpose(0, 1), dy.transpose(0, 1)).transpose(0, 1);
            need_w = false;
        }
        if (need_x || need_w)
        {
            auto const result = at::convolution_backward(dy, x, w, c10::nullopt, {1, 1, 1}, padding, {1, 1, 1},
                                                         /*transposed=*/false, {0, 0, 0}, /*groups=*/1,
                                                         {need_x, need_w, false});
            if (need_x)
                dx = std::get<0>(result);
            if (need_w)
                dw = std::get<1>(result);
        }
        if (ctx->needs_input_grad(2))
            db = grads[0].to(w_type).sum({0, 2, 3, 4});
        return {dx.defined() ? dx.to(x_type) : dx, dw.defined() ? dw.to(w_type).contiguous() : dw, db,
                torch::Tensor(), torch::Tensor(), torch::Tensor()};
    }
};
}  // namespace

ConvolutionBackward choose_backward(std::int64_t in_channels, std::int64_t out_channels)
{
    // Measured with bench/bench_convolution (docs/training-performance.md):
    // oneDNN's backward primitives are slow when the channel counts are
    // below its vector width (8 on either side), where a forward
    // convolution computes the same sums several times faster.
    ConvolutionBackward backward;
    backward.data_as_forward = in_channels > 1 && out_channels <= 8;
    backward.weights_as_forward = in_channels <= 8 && out_channels <= 8 && in_channels > 1;
    return backward;
}

torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding)
{
    return convolution3d(x, weight, bias, padding, choose_backward(weight.size(1), weight.size(0)));
}

torch::Tensor convolution3d(torch::Tensor const& x, torch::Tensor const& weight, torch::Tensor const& bias,
                            Int3 padding, ConvolutionBackward backward)
{
    // Custom functions take defined tensors only: no bias is a zero bias
    // that needs no gradient.
    auto const b = bias.defined() ? bias : torch::zeros({weight.size(0)}, weight.options());
    return Convolution3dFunction::apply(x, weight, b, to_vector(padding), backward.data_as_forward,
                                        backward.weights_as_forward);
}
}  // namespace calo::nn::detail
