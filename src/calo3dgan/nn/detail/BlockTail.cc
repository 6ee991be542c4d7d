#include "BlockTail.hh"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "Dropout.hh"
#include "calo3dgan/nn/Autocast.hh"

namespace calo::nn::detail
{
namespace
{
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

/*
 * The loops below run over one (sample, channel) plane at a time, with
 * restrict pointers and selects the compiler can turn into vector blends
 * (this file is compiled with -fno-trapping-math for that), so that they
 * vectorise: as scalar loops with a branch on the sign of x they were five
 * times slower than torch's operators. Each kernel is also compiled for
 * AVX-512 and AVX2 and picked at run time (GCC's target_clones), which
 * matters for the dropout hash's 32-bit multiplies.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define CALO_VECTOR_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define CALO_VECTOR_CLONES
#endif

//! fp32 storage.
struct Fp32
{
    using type = float;
    static float load(float v) { return v; }
    static float store(float v) { return v; }
};

//! bf16 storage as raw 16-bit values, converted by c10's bit-level
//! functions: the element type stays an integer, so the loops vectorise.
struct Bf16
{
    using type = std::uint16_t;
    static float load(std::uint16_t v) { return c10::detail::f32_from_bits(v); }
    static std::uint16_t store(float f) { return c10::detail::round_to_nearest_even(f); }
};

//! The tensor's values as S's storage type.
template <class S>
typename S::type const* values(torch::Tensor const& t)
{
    return static_cast<typename S::type const*>(t.data_ptr());
}
template <class S>
typename S::type* values(torch::Tensor& t)
{
    return static_cast<typename S::type*>(t.data_ptr());
}

//! relu: 0, leaky: the slope, linear: 1.
float negative_slope(Activation activation, double leaky_slope)
{
    switch (activation)
    {
        case Activation::relu:
            return 0.0f;
        case Activation::leaky_relu:
            return static_cast<float>(leaky_slope);
        case Activation::linear:
            break;
    }
    return 1.0f;
}

inline float activated(float x, float negative)
{
    return x > 0.0f ? x : x * negative;
}

//! The derivative as torch's backward kernels take it (at 0: the negative side).
inline float activation_derivative(float x, float negative)
{
    return x > 0.0f ? 1.0f : negative;
}

//! The mask value of flat index i, or 1 without dropout.
template <bool Dropping>
inline float mask_value(DropoutMask const& mask, std::int64_t i)
{
    if constexpr (Dropping)
        return mask(i);
    else
        return 1.0f;
}

constexpr int kLanes = 8;
constexpr std::int64_t kChunk = 1024;  //!< values summed in float before the double total

/*!
 * Adds the sums of u[0..n) and of u v to first and second: kLanes float
 * accumulators over at most kChunk values, then double.
 */
inline void add_sums(float const* __restrict u, float const* __restrict v, std::int64_t n, double& first,
                     double& second)
{
    float a[kLanes] = {}, b[kLanes] = {};
    std::int64_t j = 0;
    for (; j + kLanes <= n; j += kLanes)
    {
        for (int l = 0; l < kLanes; ++l)
        {
            a[l] += u[j + l];
            b[l] += u[j + l] * v[j + l];
        }
    }
    for (; j < n; ++j)
    {
        a[0] += u[j];
        b[0] += u[j] * v[j];
    }
    for (int l = 0; l < kLanes; ++l)
    {
        first += a[l];
        second += b[l];
    }
}

/*!
 * Sums over one plane of d = activation(x) - shift and of d^2. Shifting by a
 * value of the channel keeps the variance E[d^2] - E[d]^2 free of
 * cancellation. Chunks go through a float buffer: the conversion loop and
 * the sums vectorise separately.
 */
template <class In>
CALO_VECTOR_CLONES void plane_moments(typename In::type const* __restrict x, std::int64_t size, float negative,
                                      float shift, double& first, double& second)
{
    float d[kChunk];
    for (std::int64_t start = 0; start < size; start += kChunk)
    {
        auto const n = std::min(kChunk, size - start);
        for (std::int64_t j = 0; j < n; ++j) d[j] = activated(In::load(x[start + j]), negative) - shift;
        add_sums(d, d, n, first, second);
    }
}

//! y = (activation(x) alpha + shift) mask over one plane starting at flat index `base`.
template <bool Dropping, class In, class Out>
CALO_VECTOR_CLONES void plane_output(typename In::type const* __restrict x, typename Out::type* __restrict y,
                                     std::int64_t base, std::int64_t size, float negative, float alpha, float shift,
                                     DropoutMask const mask)
{
    for (std::int64_t j = 0; j < size; ++j)
    {
        float const v = activated(In::load(x[j]), negative) * alpha + shift;
        y[j] = Out::store(v * mask_value<Dropping>(mask, base + j));
    }
}

//! Sums over one plane of g = dL/dy mask and of g xhat, xhat = (activation(x) - mean) invstd.
template <bool Dropping, class In, class G>
CALO_VECTOR_CLONES void plane_gradient_sums(typename In::type const* __restrict x,
                                            typename G::type const* __restrict dy, std::int64_t base, std::int64_t size,
                                            float negative, float mean, float invstd, DropoutMask const mask,
                                            double& first, double& second)
{
    float g[kChunk], xhat[kChunk];
    for (std::int64_t start = 0; start < size; start += kChunk)
    {
        auto const n = std::min(kChunk, size - start);
        for (std::int64_t j = 0; j < n; ++j)
        {
            g[j] = G::load(dy[start + j]) * mask_value<Dropping>(mask, base + start + j);
            xhat[j] = (activated(In::load(x[start + j]), negative) - mean) * invstd;
        }
        add_sums(g, xhat, n, first, second);
    }
}

//! dL/dx = (coefficient g + offset + xhat_slope xhat) activation'(x) over one plane.
template <bool Dropping, class In, class G>
CALO_VECTOR_CLONES void plane_input_gradient(typename In::type const* __restrict x,
                                             typename G::type const* __restrict dy, typename In::type* __restrict dx,
                                             std::int64_t base, std::int64_t size, float negative, float mean,
                                             float invstd, float coefficient, float offset, float xhat_slope,
                                             DropoutMask const mask)
{
    for (std::int64_t j = 0; j < size; ++j)
    {
        float const xv = In::load(x[j]);
        float const g = G::load(dy[j]) * mask_value<Dropping>(mask, base + j);
        float const xhat = (activated(xv, negative) - mean) * invstd;
        dx[j] = In::store((coefficient * g + offset + xhat_slope * xhat) * activation_derivative(xv, negative));
    }
}

//! f(S{}) with S the storage of `type`: Fp32 or Bf16.
template <class F>
void with_type(torch::ScalarType type, F&& f)
{
    if (type == torch::kFloat)
        f(Fp32{});
    else if (type == torch::kBFloat16)
        f(Bf16{});
    else
        throw std::invalid_argument("block_tail: fp32 or bf16 tensors only");
}

/*!
 * f(A{}, B{}, std::bool_constant<dropping>{}) with A and B the storages of
 * `a` and `b`: the kernels' template arguments from run-time values.
 */
template <class F>
void dispatch(torch::ScalarType a, torch::ScalarType b, bool dropping, F&& f)
{
    with_type(a,
              [&](auto sa)
              {
                  with_type(b,
                            [&](auto sb)
                            {
                                if (dropping)
                                    f(sa, sb, std::true_type{});
                                else
                                    f(sa, sb, std::false_type{});
                            });
              });
}

bool fusable(torch::Tensor const& x)
{
    return x.is_cpu() && x.dim() >= 2 && x.numel() > 0 &&
           (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16);
}

//! A tensor as planes: plane p = (sample, channel) holds `size` values.
struct Planes
{
    std::int64_t count;
    std::int64_t channels;
    std::int64_t size;
    explicit Planes(torch::Tensor const& x)
        : count(x.size(0) * x.size(1)), channels(x.size(1)), size(x.numel() / (x.size(0) * x.size(1)))
    {
    }
    std::int64_t channel(std::int64_t plane) const { return plane % channels; }
    //! Values per channel over the batch.
    double per_channel() const { return static_cast<double>(count / channels * size); }

    //! f(plane) for every plane, in parallel; each plane on one thread.
    template <class F>
    void for_each(F&& f) const
    {
        at::parallel_for(0, count, 1,
                         [&](std::int64_t begin, std::int64_t end)
                         {
                             for (std::int64_t p = begin; p < end; ++p) f(p);
                         });
    }

    //! Per-channel totals of per-plane values, samples added in order, so
    //! the result does not depend on the thread count.
    std::vector<double> channel_totals(std::vector<double> const& per_plane) const
    {
        std::vector<double> total(channels, 0.0);
        for (std::int64_t p = 0; p < count; ++p) total[channel(p)] += per_plane[p];
        return total;
    }
};

//! What one call computes, fixed before the forward pass.
struct TailPlan
{
    float negative = 1.0f;  //!< the activation's slope below 0
    torch::ScalarType output_type = torch::kFloat;
    bool batchnorm = false;
    bool batch_statistics = false;  //!< BN trains: batch statistics, running averages updated
    double momentum = 0.1;
    double epsilon = 1e-5;
    double dropout = 0.0;  //!< 0: no dropout
    std::uint64_t seed = 0;
};

class BlockTailFunction : public torch::autograd::Function<BlockTailFunction>
{
  public:
    //! gamma, beta, running_mean, running_var: the BN's (empty without BN).
    static torch::Tensor forward(AutogradContext* ctx, torch::Tensor x, torch::Tensor gamma, torch::Tensor beta,
                                 torch::Tensor running_mean, torch::Tensor running_var, TailPlan plan)
    {
        auto const xc = x.contiguous();
        Planes const planes(xc);
        auto const out_type = plan.output_type;
        auto y = torch::empty(xc.sizes(), xc.options().dtype(out_type));
        // y = (activation(x) alpha + shift) mask, alpha and shift per channel.
        std::vector<double> mean(planes.channels, 0.0), invstd(planes.channels, 1.0);
        std::vector<float> alpha(planes.channels, 1.0f), shift(planes.channels, 0.0f);
        if (plan.batchnorm)
        {
            auto rm = running_mean.accessor<float, 1>();
            auto rv = running_var.accessor<float, 1>();
            if (plan.batch_statistics)
                batch_statistics(xc, planes, plan, mean, invstd, rm, rv);
            else
            {
                for (std::int64_t c = 0; c < planes.channels; ++c)
                {
                    mean[c] = rm[c];
                    invstd[c] = 1.0 / std::sqrt(static_cast<double>(rv[c]) + plan.epsilon);
                }
            }
            auto const g = gamma.accessor<float, 1>();
            auto const b = beta.accessor<float, 1>();
            for (std::int64_t c = 0; c < planes.channels; ++c)
            {
                alpha[c] = static_cast<float>(invstd[c] * g[c]);
                shift[c] = static_cast<float>(b[c] - mean[c] * alpha[c]);
            }
        }
        DropoutMask const mask(plan.dropout, plan.seed);
        dispatch(xc.scalar_type(), out_type, plan.dropout > 0,
                 [&](auto in_storage, auto out_storage, auto dropping)
                 {
                     using In = decltype(in_storage);
                     using Out = decltype(out_storage);
                     auto const* in = values<In>(xc);
                     auto* out = values<Out>(y);
                     planes.for_each(
                         [&](std::int64_t p)
                         {
                             auto const c = planes.channel(p), base = p * planes.size;
                             plane_output<dropping, In, Out>(in + base, out + base, base, planes.size, plan.negative,
                                                             alpha[c], shift[c], mask);
                         });
                 });
        ctx->save_for_backward({xc, plan.batchnorm ? gamma : torch::Tensor()});
        ctx->saved_data["mean"] = c10::List<double>(mean);
        ctx->saved_data["invstd"] = c10::List<double>(invstd);
        ctx->saved_data["negative"] = static_cast<double>(plan.negative);
        ctx->saved_data["batchnorm"] = plan.batchnorm;
        ctx->saved_data["batch_statistics"] = plan.batch_statistics;
        ctx->saved_data["dropout"] = plan.dropout;
        ctx->saved_data["seed"] = static_cast<std::int64_t>(plan.seed);
        return y;
    }

    static variable_list backward(AutogradContext* ctx, variable_list grads)
    {
        auto const saved = ctx->get_saved_variables();
        auto const& x = saved[0];
        auto const& gamma = saved[1];
        auto const negative = static_cast<float>(ctx->saved_data["negative"].toDouble());
        bool const batchnorm = ctx->saved_data["batchnorm"].toBool();
        bool const batch_statistics = ctx->saved_data["batch_statistics"].toBool();
        auto const dropout = ctx->saved_data["dropout"].toDouble();
        DropoutMask const mask(dropout, static_cast<std::uint64_t>(ctx->saved_data["seed"].toInt()));
        auto const dy = grads[0].contiguous();
        Planes const planes(x);
        // f(In{}, G{}, dropping, p, x's plane p, dL/dy's plane p) for every plane.
        auto const for_each_plane = [&](auto&& f)
        {
            dispatch(
                x.scalar_type(), dy.scalar_type(), dropout > 0,
                [&](auto in_storage, auto gradient_storage, auto dropping)
                {
                    auto const* in = values<decltype(in_storage)>(x);
                    auto const* gy = values<decltype(gradient_storage)>(dy);
                    planes.for_each(
                        [&](std::int64_t p)
                        { f(in_storage, gradient_storage, dropping, p, in + p * planes.size, gy + p * planes.size); });
                });
        };
        // dL/da = coefficient g + offset + xhat_slope xhat per channel, with
        // g = dL/dy mask and xhat the normalised activation; without BN, g.
        std::vector<float> coefficient(planes.channels, 1.0f), offset(planes.channels, 0.0f),
            xhat_slope(planes.channels, 0.0f), mean(planes.channels, 0.0f), invstd(planes.channels, 1.0f);
        torch::Tensor dgamma, dbeta;
        if (batchnorm)
        {
            auto const mean_d = ctx->saved_data["mean"].toDoubleVector();
            auto const invstd_d = ctx->saved_data["invstd"].toDoubleVector();
            for (std::int64_t c = 0; c < planes.channels; ++c)
            {
                mean[c] = static_cast<float>(mean_d[c]);
                invstd[c] = static_cast<float>(invstd_d[c]);
            }
            std::vector<double> sums(planes.count, 0.0), products(planes.count, 0.0);
            for_each_plane(
                [&](auto in_storage, auto gradient_storage, auto dropping, std::int64_t p, auto const* in,
                    auto const* gy)
                {
                    auto const c = planes.channel(p);
                    plane_gradient_sums<dropping, decltype(in_storage), decltype(gradient_storage)>(
                        in, gy, p * planes.size, planes.size, negative, mean[c], invstd[c], mask, sums[p], products[p]);
                });
            auto const dbeta_c = planes.channel_totals(sums);
            auto const dgamma_c = planes.channel_totals(products);
            auto const g = gamma.accessor<float, 1>();
            double const m = planes.per_channel();
            for (std::int64_t c = 0; c < planes.channels; ++c)
            {
                double const k = g[c] * invstd_d[c];
                coefficient[c] = static_cast<float>(k);
                if (batch_statistics)
                {
                    // Through the batch mean and variance.
                    offset[c] = static_cast<float>(-k * dbeta_c[c] / m);
                    xhat_slope[c] = static_cast<float>(-k * dgamma_c[c] / m);
                }
            }
            dgamma = torch::tensor(dgamma_c).to(torch::kFloat);
            dbeta = torch::tensor(dbeta_c).to(torch::kFloat);
        }
        torch::Tensor dx;
        if (ctx->needs_input_grad(0))
        {
            dx = torch::empty(x.sizes(), x.options());
            for_each_plane(
                [&](auto in_storage, auto gradient_storage, auto dropping, std::int64_t p, auto const* in,
                    auto const* gy)
                {
                    using In = decltype(in_storage);
                    auto const c = planes.channel(p);
                    auto const base = p * planes.size;
                    plane_input_gradient<dropping, In, decltype(gradient_storage)>(
                        in, gy, values<In>(dx) + base, base, planes.size, negative, mean[c], invstd[c], coefficient[c],
                        offset[c], xhat_slope[c], mask);
                });
        }
        return {dx,
                batchnorm && ctx->needs_input_grad(1) ? dgamma : torch::Tensor(),
                batchnorm && ctx->needs_input_grad(2) ? dbeta : torch::Tensor(),
                torch::Tensor(),
                torch::Tensor(),
                torch::Tensor()};
    }

  private:
    //! Batch mean and 1/sqrt(var + eps) per channel; running averages
    //! updated as torch keeps them (unbiased variance).
    static void batch_statistics(torch::Tensor const& x, Planes const& planes, TailPlan const& plan,
                                 std::vector<double>& mean, std::vector<double>& invstd,
                                 at::TensorAccessor<float, 1>& running_mean, at::TensorAccessor<float, 1>& running_var)
    {
        std::vector<double> sums(planes.count, 0.0), squares(planes.count, 0.0);
        std::vector<float> shift(planes.channels, 0.0f);
        with_type(x.scalar_type(),
                  [&](auto tin)
                  {
                      using In = decltype(tin);
                      auto const* in = values<In>(x);
                      // Shift by each channel's first activation (of sample 0).
                      for (std::int64_t c = 0; c < planes.channels; ++c)
                          shift[c] = activated(In::load(in[c * planes.size]), plan.negative);
                      planes.for_each(
                          [&](std::int64_t p)
                          {
                              auto const c = planes.channel(p);
                              plane_moments<In>(in + p * planes.size, planes.size, plan.negative, shift[c], sums[p],
                                                squares[p]);
                          });
                  });
        auto const total = planes.channel_totals(sums);
        auto const total_squares = planes.channel_totals(squares);
        double const m = planes.per_channel();
        for (std::int64_t c = 0; c < planes.channels; ++c)
        {
            double const d = total[c] / m;
            double const var = std::max(0.0, total_squares[c] / m - d * d);
            mean[c] = shift[c] + d;
            invstd[c] = 1.0 / std::sqrt(var + plan.epsilon);
            running_mean[c] = static_cast<float>((1.0 - plan.momentum) * running_mean[c] + plan.momentum * mean[c]);
            running_var[c] = static_cast<float>((1.0 - plan.momentum) * running_var[c] +
                                                plan.momentum * var * m / std::max(1.0, m - 1.0));
        }
    }
};

torch::Tensor activate(torch::Tensor const& x, Activation activation, double leaky_slope)
{
    namespace F = torch::nn::functional;
    switch (activation)
    {
        case Activation::relu:
            return torch::relu(x);
        case Activation::leaky_relu:
            return F::leaky_relu(x, F::LeakyReLUFuncOptions().negative_slope(leaky_slope));
        case Activation::linear:
            break;
    }
    return x;
}
}  // namespace

torch::Tensor block_tail_composed(torch::Tensor const& x, BlockTail const& tail, torch::nn::BatchNorm3d batchnorm)
{
    auto y = activate(x, tail.activation, tail.leaky_slope);
    // Batch statistics in fp32 under bf16 autocast, like the fp32 parameters.
    if (!batchnorm.is_empty())
        y = batchnorm->forward(y.to(batchnorm->weight.scalar_type()));
    if (tail.dropout > 0)
        y = detail::dropout(y, tail.dropout, tail.training);
    return y;
}

torch::Tensor block_tail(torch::Tensor const& x, BlockTail const& tail, torch::nn::BatchNorm3d batchnorm)
{
    bool const has_batchnorm = !batchnorm.is_empty();
    bool const dropping = tail.training && tail.dropout > 0;
    if (!has_batchnorm && !dropping)
        return activate(x, tail.activation, tail.leaky_slope);
    bool const plain_batchnorm =
        !has_batchnorm || (batchnorm->options.affine() && batchnorm->options.track_running_stats() &&
                           batchnorm->weight.scalar_type() == torch::kFloat && batchnorm->weight.is_cpu());
    if (!fusable(x) || !plain_batchnorm)
        return block_tail_composed(x, tail, batchnorm);
    TailPlan plan;
    plan.negative = negative_slope(tail.activation, tail.leaky_slope);
    plan.batchnorm = has_batchnorm;
    plan.output_type = has_batchnorm ? batchnorm->weight.scalar_type() : x.scalar_type();
    if (tail.feeds_convolution && autocast_enabled(c10::DeviceType::CPU))
        plan.output_type = autocast_type(c10::DeviceType::CPU);
    torch::Tensor gamma = torch::empty({0}), beta = gamma, running_mean = gamma, running_var = gamma;
    if (has_batchnorm)
    {
        gamma = batchnorm->weight;
        beta = batchnorm->bias;
        running_mean = batchnorm->running_mean;
        running_var = batchnorm->running_var;
        plan.batch_statistics = batchnorm->is_training();
        plan.epsilon = batchnorm->options.eps();
        if (plan.batch_statistics)
        {
            // As BatchNorm3d::forward: count the batch; no momentum means a
            // cumulative average.
            torch::NoGradGuard no_grad;
            batchnorm->num_batches_tracked += 1;
            auto const momentum = batchnorm->options.momentum();
            plan.momentum = momentum ? *momentum : 1.0 / batchnorm->num_batches_tracked.item<double>();
        }
    }
    // The mask's seed is drawn where detail::dropout would draw it.
    if (dropping)
    {
        plan.dropout = tail.dropout;
        plan.seed = draw_dropout_seed();
    }
    return BlockTailFunction::apply(x, gamma, beta, running_mean, running_var, plan);
}
}  // namespace calo::nn::detail
