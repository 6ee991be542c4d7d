#pragma once
// The generator as a chain of oneDNN primitives, after the exact rewrites.
#include <oneapi/dnnl/dnnl.hpp>

#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
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

    //! Events per primitive call (micro-batch), the unit of the plans.
    static constexpr int kMicroBatch = 16;

  private:
    struct Stage;
    struct Plan;
    struct Workspace;

    std::shared_ptr<Plan> plan_for(int batch) const;
    void run_batch(Plan& plan, int batch, float const* dense_input, float* cells_gev) const;
    void build_stages();
    std::vector<float> fold_input_map(detail::PhaseConvolution const& conv0, std::vector<float>& offset) const;

    GeneratorModel model_;
    Precision precision_;
    int threads_;
    bool folded_ = false;
    dnnl::engine engine_;
    std::vector<std::unique_ptr<Stage>> stages_;
    mutable std::mutex mutex_;
    mutable std::map<int, std::shared_ptr<Plan>> plans_;
};
}  // namespace calo::inference
