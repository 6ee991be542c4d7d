#pragma once
// The generator as a chain of oneDNN primitives, after the exact rewrites.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <tuple>
#include <vector>

#include "PhaseRewrite.hh"
#include "calo3dgan/inference/Generator.hh"
#include "calo3dgan/inference/GeneratorModel.hh"

namespace calo::inference
{
/*!
 * Stages, built once at load time:
 *  - a matrix product: the dense layer, or (when it costs fewer operations)
 *    dense + reshape + first convolution folded into one linear map;
 *  - one convolution per remaining block, upsampling blocks rewritten as a
 *    phase-stacked convolution on the low-resolution input plus a shuffle.
 * Activation, inference-mode BatchNorm (per-channel scale and shift), bias and,
 * in the last stage, the conversion to GeV are post-ops of the primitives.
 * Activations are channels-last (ndhwc), which is the dense layer's Keras
 * reshape order and the dataset's cell order.
 *
 * Primitives depend on the batch size: a plan per batch size is made on first
 * use and kept. Runs are const and thread-safe: each takes a workspace from a
 * pool (or makes one) and the scratchpad is user-managed.
 */
class Network
{
  public:
    Network(GeneratorModel model, Precision precision, int threads);
    ~Network();

    GeneratorModel const& model() const { return model_; }
    Precision precision() const { return precision_; }
    //! Whether dense + reshape + first convolution were folded into one map.
    bool folded_input() const { return folded_; }
    //! Multiply-adds per event of the stages as run (after the rewrites).
    double multiply_adds_per_event() const;

    /*!
     * (n, latent_size) dense-layer inputs -> (n, cells) cell energies [GeV].
     * Events go through in micro-batches; `threads` as configured.
     */
    void run(std::size_t n, float const* dense_input, float* cells_gev) const;

    //! Events per convolution call (micro-batch): small enough for the caches.
    static constexpr int kMicroBatch = 16;
    //! Events per call of the input stage (the folded input map, 20 MB in
    //! fp32): its weights are read once per call, so it takes more at once.
    static constexpr int kInputBatch = 64;

  private:
    struct Stage;
    struct Plan;
    using Workspace = std::unique_ptr<std::vector<unsigned char>>;

    //! Primitives of stages [first_stage, end_stage) for `batch` events.
    std::shared_ptr<Plan> plan_for(int batch, std::size_t first_stage, std::size_t end_stage) const;
    /*!
     * Run the plan's stages on its batch of events from `source` (the dense
     * input as float for a plan that starts at stage 0, else the previous
     * stage's output). The last stage writes `cells_gev`; otherwise the
     * output stays in `workspace` and is returned.
     */
    void const* run_stages(Plan const& plan, Workspace const& workspace, void const* source, float* cells_gev) const;
    //! Bytes per activation value: 2 in bf16, 4 in fp32.
    std::size_t activation_bytes() const { return precision_ == Precision::bf16 ? 2 : 4; }
    Workspace take_workspace(Plan& plan) const;
    void give_back(Plan& plan, Workspace workspace) const;
    void build_stages();
    std::vector<float> fold_input_map(detail::PhaseConvolution const& conv0, std::vector<float>& offset) const;

    GeneratorModel model_;
    Precision precision_;
    int threads_;
    bool folded_ = false;
    dnnl::engine engine_;
    std::vector<std::unique_ptr<Stage>> stages_;
    mutable std::mutex mutex_;
    mutable std::map<std::tuple<int, std::size_t, std::size_t>, std::shared_ptr<Plan>> plans_;
};
}  // namespace calo::inference
