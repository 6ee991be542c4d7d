#include "Network.hh"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unordered_map>

#include "SingleChannelConvolution.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::inference
{
using dnnl::memory;
using tag = memory::format_tag;
using dt = memory::data_type;

namespace
{
//! Round-to-nearest-even float -> bfloat16 bits (inputs are finite).
std::uint16_t to_bf16(float value)
{
    std::uint32_t bits;
    std::memcpy(&bits, &value, sizeof bits);
    bits += 0x7FFFu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>(bits >> 16);
}

//! Restores the calling thread's OpenMP thread count when it goes out of scope.
class ThreadCount
{
  public:
    explicit ThreadCount(int threads) : previous_(omp_get_max_threads())
    {
        omp_set_num_threads(threads > 0 ? threads : omp_get_num_procs());
    }
    ~ThreadCount() { omp_set_num_threads(previous_); }
    ThreadCount(ThreadCount const&) = delete;
    ThreadCount& operator=(ThreadCount const&) = delete;

  private:
    int previous_;
};

std::size_t align_up(std::size_t bytes)
{
    return (bytes + 63) / 64 * 64;
}

memory::dims conv_dims(int batch, int channels, Int3 length)
{
    return {batch, channels, length[0], length[1], length[2]};
}
}  // namespace

//! One primitive's worth of work, independent of the batch size.
struct Network::Stage
{
    bool is_matmul = false;
    // Matrix product: (N, rows) x (rows, cols).
    int rows = 0, cols = 0;
    // Convolution (after the phase rewrite) on an input of in_length x in_channels.
    detail::PhaseConvolution conv;
    Int3 in_length{0, 0, 0};
    std::vector<float> weight;  //!< matmul (rows, cols) row-major; convolution stacked (O, I, x, y, z)
    std::vector<float> bias;    //!< per output column / stacked channel, or empty
    Activation activation = Activation::linear;
    double leaky_slope = 0;
    //! Per output column / stacked channel, applied after the activation; empty if none.
    std::vector<float> scale, shift;
    //! Last stage: x -> output_scale * x^output_power after the other post-ops.
    bool last = false;
    float output_scale = 1, output_power = 1;
    //! Last stage run by the hand-written one-channel kernel instead of oneDNN.
    bool single_channel = false;
    detail::SingleChannelConvolution single;

    std::size_t in_elements = 0;       //!< per event
    std::size_t stacked_elements = 0;  //!< primitive output per event
    std::size_t out_elements = 0;      //!< after the shuffle, per event

    //! Weights reordered to what a primitive asked for, shared between plans.
    std::vector<std::pair<memory::desc, memory>> weight_cache;

    bool shuffles() const { return !is_matmul && conv.needs_shuffle(); }
    double multiply_adds() const
    {
        if (is_matmul)
            return static_cast<double>(rows) * cols;
        auto const taps = conv.taps();
        auto const pos = conv.positions();
        return static_cast<double>(pos[0]) * pos[1] * pos[2] * conv.stacked_channels() * conv.in_channels * taps[0] *
               taps[1] * taps[2];
    }
};

//! The primitives for one batch size and the workspace layout they need.
struct Network::Plan
{
    struct StagePlan
    {
        dnnl::primitive primitive;
        memory::desc src, dst, scratchpad;
        memory weights, bias;
        std::vector<memory> post_op_inputs;  //!< binary post-op operands, in post-op order
        std::vector<int> post_op_indices;
        dnnl::primitive to_planar;  //!< single-channel stage: its input as (N, C, x, y, z) float
        memory::desc planar;
        std::size_t dst_offset = 0;  //!< primitive output in the workspace
        std::size_t out_offset = 0;  //!< after the shuffle
    };
    int batch = 0;
    std::size_t first_stage = 0, end_stage = 0;
    std::vector<StagePlan> stages;  //!< of stages first_stage .. end_stage - 1
    std::size_t input_offset = 0;
    std::size_t scratchpad_offset = 0;
    std::size_t workspace_bytes = 0;

    std::mutex pool_mutex;
    std::vector<Workspace> pool;
};

Network::Network(GeneratorModel model, Precision precision, int threads)
    : model_(std::move(model)), precision_(precision), threads_(threads), engine_(dnnl::engine::kind::cpu, 0)
{
    CALO_VALIDATE(precision_ != Precision::automatic, "network precision must be resolved — bug in the caller");
    ThreadCount threads_in_use(threads_);
    build_stages();
    // The plan of a full micro-batch now; then the plain weights are no
    // longer needed (the folded input map alone is 20 MB in fp32).
    plan_for(kInputBatch, 0, 1);
    plan_for(kMicroBatch, 1, stages_.size());
    for (auto& stage : stages_)
    {
        if (!stage->single_channel && !stage->weight_cache.empty())
            std::vector<float>().swap(stage->weight);
    }
}

Network::~Network() = default;

double Network::multiply_adds_per_event() const
{
    double total = 0;
    for (auto const& stage : stages_) total += stage->multiply_adds();
    return total;
}

void Network::build_stages()
{
    auto const& m = model_;
    std::size_t const units = m.dense_bias.size();
    auto const post_ops_of = [](Stage& stage, ConvBlock const& block, int repeat)
    {
        stage.activation = block.activation;
        stage.leaky_slope = block.leaky_slope;
        if (!block.has_batchnorm)
            return;
        auto const& bn = block.batchnorm;
        auto const c = static_cast<std::size_t>(block.out_channels);
        stage.scale.resize(c * repeat);
        stage.shift.resize(c * repeat);
        for (std::size_t k = 0; k < c; ++k)
        {
            double const s = bn.gamma[k] / std::sqrt(static_cast<double>(bn.variance[k]) + bn.epsilon);
            double const t = bn.beta[k] - bn.mean[k] * s;
            for (int r = 0; r < repeat; ++r)
            {
                stage.scale[r * c + k] = static_cast<float>(s);
                stage.shift[r * c + k] = static_cast<float>(t);
            }
        }
    };
    auto const tiled_bias = [](ConvBlock const& block, int repeat)
    {
        std::vector<float> bias;
        if (block.bias.empty())
            return bias;
        for (int r = 0; r < repeat; ++r) bias.insert(bias.end(), block.bias.begin(), block.bias.end());
        return bias;
    };

    // Rewrite 2: dense -> reshape -> first convolution is affine in the dense
    // input when the first block has no upsampling; fold it if that is cheaper.
    Int3 length = m.reshape;
    auto const& first = m.blocks.front();
    auto const conv0 = detail::rewrite_block(first, length);
    double const plain_cost =
        static_cast<double>(m.latent_size) * units + [&] {
            Stage s;
            s.conv = conv0;
            return s.multiply_adds();
        }();
    auto const out0 = conv0.out_lengths();
    std::size_t const out0_elements = static_cast<std::size_t>(out0[0]) * out0[1] * out0[2] * first.out_channels;
    // (Kept unfolded when it is the only block: the last stage is a convolution.)
    folded_ = m.blocks.size() > 1 && !conv0.needs_shuffle() &&
              static_cast<double>(m.latent_size) * out0_elements < plain_cost;

    auto input = std::make_unique<Stage>();
    input->is_matmul = true;
    input->rows = m.latent_size;
    input->in_elements = static_cast<std::size_t>(m.latent_size);
    std::size_t next_block = 0;
    if (folded_)
    {
        std::vector<float> offset;
        input->weight = fold_input_map(conv0, offset);
        input->cols = static_cast<int>(out0_elements);
        input->bias = std::move(offset);
        int const positions = out0[0] * out0[1] * out0[2];
        post_ops_of(*input, first, positions);
        length = out0;
        next_block = 1;
    }
    else
    {
        // (units, latent) -> (latent, units) so both variants are (K, cols) products.
        input->cols = static_cast<int>(units);
        input->weight.resize(units * m.latent_size);
        for (std::size_t u = 0; u < units; ++u)
            for (int k = 0; k < m.latent_size; ++k)
                input->weight[k * units + u] = m.dense_weight[u * m.latent_size + k];
        input->bias = m.dense_bias;
    }
    input->stacked_elements = input->out_elements = static_cast<std::size_t>(input->cols);
    stages_.push_back(std::move(input));

    for (std::size_t i = next_block; i < m.blocks.size(); ++i)
    {
        auto const& block = m.blocks[i];
        auto stage = std::make_unique<Stage>();
        stage->conv = detail::rewrite_block(block, length);
        stage->in_length = length;
        stage->weight = std::move(stage->conv.weight);
        stage->conv.weight.clear();
        stage->bias = tiled_bias(block, stage->conv.phases);
        post_ops_of(*stage, block, stage->conv.phases);
        auto const pos = stage->conv.positions();
        length = stage->conv.out_lengths();
        stage->in_elements = static_cast<std::size_t>(block.in_channels) * stage->in_length[0] * stage->in_length[1] *
                             stage->in_length[2];
        stage->stacked_elements =
            static_cast<std::size_t>(pos[0]) * pos[1] * pos[2] * stage->conv.stacked_channels();
        stage->out_elements = static_cast<std::size_t>(length[0]) * length[1] * length[2] * block.out_channels;
        stages_.push_back(std::move(stage));
    }
    auto& last = *stages_.back();
    last.last = true;
    // Network units -> GeV: max(v, 0)^(1/power) / xscale * file unit (the ReLU is the block's own).
    last.output_scale = static_cast<float>(m.file_unit_gev / m.xscale);
    last.output_power = static_cast<float>(1.0 / m.power);
    auto const& last_block = m.blocks.back();
    // CALO3DGAN_INFERENCE_LIBRARY_ONLY=1 keeps every layer on oneDNN, for the
    // benchmark that justifies the hand-written kernel (docs/benchmarks.md).
    char const* library_only = std::getenv("CALO3DGAN_INFERENCE_LIBRARY_ONLY");
    bool const hand_written = !(library_only && std::string(library_only) == "1");
    if (hand_written && !last.is_matmul && detail::SingleChannelConvolution::applies_to(last_block))
    {
        last.single_channel = true;
        auto& k = last.single;
        k.in_length = last.in_length;
        k.kernel = last_block.kernel;
        k.in_channels = last_block.in_channels;
        k.weight = last.weight.data();
        k.bias = last_block.bias.empty() ? 0.0f : last_block.bias[0];
        k.activation = last_block.activation;
        k.leaky_slope = static_cast<float>(last_block.leaky_slope);
        k.output_scale = last.output_scale;
        k.output_power = last.output_power;
    }
}

std::vector<float> Network::fold_input_map(detail::PhaseConvolution const& conv0, std::vector<float>& offset) const
{
    // Apply the first convolution (no bias) to every column of the dense
    // weight and to the dense bias: rows 0..K-1 give the map, row K f(0).
    auto const& m = model_;
    auto const& block = m.blocks.front();
    int const k = m.latent_size;
    std::size_t const units = m.dense_bias.size();
    int const batch = k + 1;
    std::vector<float> inputs(static_cast<std::size_t>(batch) * units);
    for (std::size_t u = 0; u < units; ++u)
    {
        for (int i = 0; i < k; ++i) inputs[i * units + u] = m.dense_weight[u * k + i];
        inputs[k * units + u] = m.dense_bias[u];
    }
    auto const out = conv0.out_lengths();
    auto const src_md = memory::desc(conv_dims(batch, block.in_channels, m.reshape), dt::f32, tag::ndhwc);
    auto const dst_md = memory::desc(conv_dims(batch, block.out_channels, out), dt::f32, tag::ndhwc);
    memory::dims const weight_dims{block.out_channels, block.in_channels, block.kernel[0], block.kernel[1],
                                   block.kernel[2]};
    auto const weight_md = memory::desc(weight_dims, dt::f32, tag::any);
    memory::dims const strides{1, 1, 1};
    memory::dims const pad_l{conv0.axis[0].pad_before(), conv0.axis[1].pad_before(), conv0.axis[2].pad_before()};
    memory::dims const pad_r{conv0.axis[0].pad_after, conv0.axis[1].pad_after, conv0.axis[2].pad_after};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         src_md, weight_md, dst_md, strides, pad_l, pad_r);
    dnnl::convolution_forward::primitive_desc pd(desc, engine_);
    std::vector<float> outputs(dst_md.get_size() / sizeof(float));
    memory src(src_md, engine_, inputs.data());
    memory plain_weights(memory::desc(weight_dims, dt::f32, tag::oidhw), engine_,
                         const_cast<float*>(block.weight.data()));
    memory weights(pd.weights_desc(), engine_);
    memory dst(dst_md, engine_, outputs.data());
    dnnl::stream stream(engine_);
    dnnl::reorder(plain_weights, weights).execute(stream, plain_weights, weights);
    dnnl::convolution_forward(pd).execute(
        stream, {{DNNL_ARG_SRC, src}, {DNNL_ARG_WEIGHTS, weights}, {DNNL_ARG_DST, dst}});
    stream.wait();

    std::size_t const cols = outputs.size() / batch;
    std::vector<float> map(outputs.begin(), outputs.begin() + static_cast<std::ptrdiff_t>(k * cols));
    offset.assign(outputs.begin() + static_cast<std::ptrdiff_t>(k * cols), outputs.end());
    if (!block.bias.empty())
    {
        auto const c = static_cast<std::size_t>(block.out_channels);
        for (std::size_t j = 0; j < cols; ++j) offset[j] += block.bias[j % c];
    }
    return map;
}

std::shared_ptr<Network::Plan> Network::plan_for(int batch, std::size_t first_stage, std::size_t end_stage) const
{
    std::lock_guard<std::mutex> lock(mutex_);
    ThreadCount threads_in_use(threads_);
    auto& slot = plans_[{batch, first_stage, end_stage}];
    if (slot)
        return slot;

    auto plan = std::make_shared<Plan>();
    plan->batch = batch;
    plan->first_stage = first_stage;
    plan->end_stage = end_stage;
    dt const act = precision_ == Precision::bf16 ? dt::bf16 : dt::f32;
    std::size_t const act_size = activation_bytes();
    std::size_t offset = 0;
    auto const reserve = [&offset](std::size_t bytes)
    {
        std::size_t const at = offset;
        offset += align_up(bytes);
        return at;
    };
    if (first_stage == 0)
        plan->input_offset = reserve(static_cast<std::size_t>(batch) * stages_.front()->in_elements * act_size);
    std::size_t scratch_bytes = 0;
    constexpr int kCaller = -1, kStacked = 2;
    std::size_t region_bytes[3] = {0, 0, 0};
    std::vector<std::tuple<std::size_t, int, int>> requests;  // stage, dst region, out region
    auto const request = [&](std::size_t index, int dst_region, std::size_t dst_bytes, int out_region,
                             std::size_t out_bytes)
    {
        if (dst_region != kCaller)
            region_bytes[dst_region] = std::max(region_bytes[dst_region], dst_bytes);
        if (out_region != kCaller)
            region_bytes[out_region] = std::max(region_bytes[out_region], out_bytes);
        requests.emplace_back(index, dst_region, out_region);
    };

    for (std::size_t s = first_stage; s < end_stage; ++s)
    {
        auto& stage = *stages_[s];
        Plan::StagePlan sp;
        if (stage.single_channel)
        {
            auto const dims = conv_dims(batch, stage.conv.in_channels, stage.in_length);
            sp.src = memory::desc(dims, act, tag::ndhwc);
            sp.planar = memory::desc(dims, dt::f32, tag::ncdhw);
            sp.to_planar = dnnl::reorder(dnnl::reorder::primitive_desc(engine_, sp.src, engine_, sp.planar));
            // The kernel reads a few floats past its input (kernel z - 1).
            request(plan->stages.size(), kStacked, sp.planar.get_size() + 64 * sizeof(float), kCaller, 0);
            plan->stages.push_back(std::move(sp));
            continue;
        }
        dt const dst_type = stage.last ? dt::f32 : act;
        memory::desc weight_any, weight_plain, bias_md, post_md;
        dnnl::primitive_attr attr;
        attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
        dnnl::post_ops ops;
        if (stage.activation == Activation::relu)
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
        else if (stage.activation == Activation::leaky_relu)
            ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, static_cast<float>(stage.leaky_slope), 0.0f);
        int const out_columns = stage.is_matmul ? stage.cols : stage.conv.stacked_channels();
        if (stage.is_matmul)
        {
            sp.src = memory::desc({batch, stage.rows}, act, tag::ab);
            sp.dst = memory::desc({batch, stage.cols}, dst_type, tag::ab);
            weight_any = memory::desc({stage.rows, stage.cols}, act, tag::any);
            weight_plain = memory::desc({stage.rows, stage.cols}, dt::f32, tag::ab);
            bias_md = memory::desc({1, stage.cols}, dt::f32, tag::ab);
            post_md = memory::desc({1, stage.cols}, dt::f32, tag::ab);
        }
        else
        {
            auto const& conv = stage.conv;
            auto const taps = conv.taps();
            sp.src = memory::desc(conv_dims(batch, conv.in_channels, stage.in_length), act, tag::ndhwc);
            sp.dst = memory::desc(conv_dims(batch, out_columns, conv.positions()), dst_type, tag::ndhwc);
            memory::dims const wdims{out_columns, conv.in_channels, taps[0], taps[1], taps[2]};
            weight_any = memory::desc(wdims, act, tag::any);
            weight_plain = memory::desc(wdims, dt::f32, tag::oidhw);
            bias_md = memory::desc({out_columns}, dt::f32, tag::a);
            post_md = memory::desc({1, out_columns, 1, 1, 1}, dt::f32, tag::ndhwc);
        }
        if (!stage.scale.empty())
        {
            ops.append_binary(dnnl::algorithm::binary_mul, post_md);
            sp.post_op_indices.push_back(ops.len() - 1);
            sp.post_op_inputs.emplace_back(post_md, engine_, stage.scale.data());
            ops.append_binary(dnnl::algorithm::binary_add, post_md);
            sp.post_op_indices.push_back(ops.len() - 1);
            sp.post_op_inputs.emplace_back(post_md, engine_, stage.shift.data());
        }
        if (stage.last)
        {
            // Cells are max(v, 0)^(1/power): clamp unless the activation did.
            if (stage.activation != Activation::relu)
                ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_relu, 0.0f, 0.0f);
            if (stage.output_power == 1.0f)
                ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_linear, stage.output_scale, 0.0f);
            else
                ops.append_eltwise(1.0f, dnnl::algorithm::eltwise_pow, stage.output_scale, stage.output_power);
        }
        attr.set_post_ops(ops);
        bool const has_bias = !stage.bias.empty();
        memory::desc weights_md;
        if (stage.is_matmul)
        {
            auto const desc = has_bias ? dnnl::matmul::desc(sp.src, weight_any, bias_md, sp.dst)
                                       : dnnl::matmul::desc(sp.src, weight_any, sp.dst);
            dnnl::matmul::primitive_desc pd(desc, attr, engine_);
            sp.primitive = dnnl::matmul(pd);
            sp.scratchpad = pd.scratchpad_desc();
            weights_md = pd.weights_desc();
        }
        else
        {
            auto const& conv = stage.conv;
            memory::dims const strides{1, 1, 1};
            memory::dims const pad_l{conv.axis[0].pad_before(), conv.axis[1].pad_before(), conv.axis[2].pad_before()};
            memory::dims const pad_r{conv.axis[0].pad_after, conv.axis[1].pad_after, conv.axis[2].pad_after};
            auto const desc =
                has_bias ? dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, sp.src, weight_any,
                                                           bias_md, sp.dst, strides, pad_l, pad_r)
                         : dnnl::convolution_forward::desc(dnnl::prop_kind::forward_inference,
                                                           dnnl::algorithm::convolution_direct, sp.src, weight_any,
                                                           sp.dst, strides, pad_l, pad_r);
            dnnl::convolution_forward::primitive_desc pd(desc, attr, engine_);
            sp.primitive = dnnl::convolution_forward(pd);
            sp.scratchpad = pd.scratchpad_desc();
            weights_md = pd.weights_desc();
        }
        // Weights in the primitive's preferred layout, reordered once.
        auto cached = std::find_if(stage.weight_cache.begin(), stage.weight_cache.end(),
                                   [&](auto const& entry) { return entry.first == weights_md; });
        if (cached == stage.weight_cache.end())
        {
            // From the plain weights, or, once those are released, from the
            // first reordered copy (same data type: a layout change, exact).
            memory plain = stage.weight.empty() ? stage.weight_cache.front().second
                                                : memory(weight_plain, engine_, stage.weight.data());
            memory reordered(weights_md, engine_);
            dnnl::stream stream(engine_);
            dnnl::reorder(plain, reordered).execute(stream, plain, reordered);
            stream.wait();
            stage.weight_cache.emplace_back(weights_md, reordered);
            cached = std::prev(stage.weight_cache.end());
        }
        sp.weights = cached->second;
        if (has_bias)
            sp.bias = memory(bias_md, engine_, stage.bias.data());

        scratch_bytes = std::max(scratch_bytes, sp.scratchpad.get_size());
        int const alternate = static_cast<int>(plan->stages.size() % 2);
        std::size_t const out_bytes = static_cast<std::size_t>(batch) * stage.out_elements * act_size;
        if (stage.shuffles())
            request(plan->stages.size(), kStacked, sp.dst.get_size(), stage.last ? kCaller : alternate, out_bytes);
        else if (stage.last)
            request(plan->stages.size(), kCaller, 0, kCaller, 0);
        else
            request(plan->stages.size(), alternate, sp.dst.get_size(), alternate, sp.dst.get_size());
        plan->stages.push_back(std::move(sp));
    }
    // Stage outputs alternate between two regions (a stage reads the other
    // one), a shuffle's stacked input and the last layer's planar input use a
    // third: the workspace holds three activations, not one per stage.
    std::size_t region_offset[3];
    for (int r = 0; r < 3; ++r) region_offset[r] = reserve(region_bytes[r]);
    for (auto const& [index, dst_region, out_region] : requests)
    {
        plan->stages[index].dst_offset = dst_region == kCaller ? SIZE_MAX : region_offset[dst_region];
        plan->stages[index].out_offset = out_region == kCaller ? SIZE_MAX : region_offset[out_region];
    }
    plan->scratchpad_offset = reserve(scratch_bytes);
    plan->workspace_bytes = offset;
    slot = plan;
    return plan;
}

Network::Workspace Network::take_workspace(Plan& plan) const
{
    {
        std::lock_guard<std::mutex> lock(plan.pool_mutex);
        if (!plan.pool.empty())
        {
            auto workspace = std::move(plan.pool.back());
            plan.pool.pop_back();
            return workspace;
        }
    }
    return std::make_unique<std::vector<unsigned char>>(plan.workspace_bytes + 64);
}

void Network::give_back(Plan& plan, Workspace workspace) const
{
    std::lock_guard<std::mutex> lock(plan.pool_mutex);
    plan.pool.push_back(std::move(workspace));
}

void const* Network::run_stages(Plan const& plan, Workspace const& workspace, void const* source,
                                float* cells_gev) const
{
    int const batch = plan.batch;
    auto* base = reinterpret_cast<unsigned char*>(
        (reinterpret_cast<std::uintptr_t>(workspace->data()) + 63) / 64 * 64);
    auto const at = [&](std::size_t offset) -> void*
    { return offset == SIZE_MAX ? static_cast<void*>(cells_gev) : base + offset; };

    void const* src = source;
    if (plan.first_stage == 0)
    {
        // The dense input in the network's data type.
        std::size_t const count = static_cast<std::size_t>(batch) * stages_.front()->in_elements;
        auto const* dense_input = static_cast<float const*>(source);
        void* input = at(plan.input_offset);
        if (precision_ == Precision::bf16)
        {
            auto* out = static_cast<std::uint16_t*>(input);
            for (std::size_t i = 0; i < count; ++i) out[i] = to_bf16(dense_input[i]);
        }
        else
        {
            std::memcpy(input, dense_input, count * sizeof(float));
        }
        src = input;
    }

    dnnl::stream stream(engine_);
    for (std::size_t s = plan.first_stage; s < plan.end_stage; ++s)
    {
        auto const& stage = *stages_[s];
        auto const& sp = plan.stages[s - plan.first_stage];
        auto* input = const_cast<void*>(src);
        if (stage.single_channel)
        {
            memory in(sp.src, engine_, input);
            memory planar(sp.planar, engine_, at(sp.dst_offset));
            sp.to_planar.execute(stream, {{DNNL_ARG_FROM, in}, {DNNL_ARG_TO, planar}});
            stream.wait();
            stage.single.run(static_cast<std::size_t>(batch), static_cast<float const*>(at(sp.dst_offset)),
                             cells_gev);
            src = cells_gev;
            continue;
        }
        memory src_mem(sp.src, engine_, input);
        memory dst_mem(sp.dst, engine_, at(sp.dst_offset));
        memory scratch(sp.scratchpad, engine_, at(plan.scratchpad_offset));
        std::unordered_map<int, memory> args{{DNNL_ARG_SRC, src_mem},
                                             {DNNL_ARG_WEIGHTS, sp.weights},
                                             {DNNL_ARG_DST, dst_mem},
                                             {DNNL_ARG_SCRATCHPAD, scratch}};
        if (!stage.bias.empty())
            args.emplace(DNNL_ARG_BIAS, sp.bias);
        for (std::size_t p = 0; p < sp.post_op_inputs.size(); ++p)
            args.emplace(DNNL_ARG_ATTR_MULTIPLE_POST_OP(sp.post_op_indices[p]) | DNNL_ARG_SRC_1,
                         sp.post_op_inputs[p]);
        sp.primitive.execute(stream, args);
        stream.wait();
        if (stage.shuffles())
        {
            std::size_t const element = stage.last ? sizeof(float) : activation_bytes();
            detail::shuffle_phases(stage.conv, static_cast<std::size_t>(batch), at(sp.dst_offset),
                                   at(sp.out_offset), element);
        }
        src = at(sp.out_offset);
    }
    return src;
}

void Network::run(std::size_t n, float const* dense_input, float* cells_gev) const
{
    ThreadCount threads(threads_);
    std::size_t const in_elements = stages_.front()->in_elements;
    // Bytes per event of the input stage's output, which the convolutions read.
    std::size_t const between = stages_.front()->out_elements * activation_bytes();
    std::size_t const cells = model_.cells_per_event();
    for (std::size_t first = 0; first < n; first += kInputBatch)
    {
        int const count = static_cast<int>(std::min<std::size_t>(kInputBatch, n - first));
        auto input_plan = plan_for(count, 0, 1);
        auto input_workspace = take_workspace(*input_plan);
        auto const* features = static_cast<unsigned char const*>(
            run_stages(*input_plan, input_workspace, dense_input + first * in_elements, nullptr));
        for (int part = 0; part < count; part += kMicroBatch)
        {
            int const batch = std::min(kMicroBatch, count - part);
            auto plan = plan_for(batch, 1, stages_.size());
            auto workspace = take_workspace(*plan);
            run_stages(*plan, workspace, features + static_cast<std::size_t>(part) * between,
                       cells_gev + (first + static_cast<std::size_t>(part)) * cells);
            give_back(*plan, std::move(workspace));
        }
        give_back(*input_plan, std::move(input_workspace));
    }
}
}  // namespace calo::inference
