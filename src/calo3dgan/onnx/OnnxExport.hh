#pragma once
// Export a calo3dgan checkpoint's generator or discriminator as an ONNX model
// for ONNX Runtime hosts (Geant4 Par04, Key4hep DDML; see docs/onnx.md).
#include <cstddef>
#include <string>
#include <vector>

namespace calo::onnx
{
//! Lowest and highest ONNX operator set the exporters write (the operators
//! they use have the same semantics in all of these).
inline constexpr int kMinOpset = 13;
inline constexpr int kMaxOpset = 17;

//! Options that shape the exported graph (never its results beyond float rounding).
struct ExportOptions
{
    int opset = kMinOpset;  //!< default-domain operator set, kMinOpset..kMaxOpset
    /*!
     * Generator only: use the exact rewrites (docs/onnx.md) — the dense layer
     * and a first convolution without upsampling fused into one matrix, and
     * every nearest-upsampling + padding + convolution as one phase-stacked
     * convolution on the low-resolution input followed by a depth-to-space
     * shuffle. false writes the layers as they are (Resize, padded Conv).
     */
    bool rewrite = true;
    /*!
     * Generator only: `cells_gev` as (N, layers, x, y) instead of (N, x, y,
     * layers), the order Key4hep DDML's RegularGridGANModel reads.
     */
    bool layers_first = false;
    //! Provenance JSON stored in the model's metadata_props ("calo3dgan.provenance").
    std::string provenance_json;
};

//! An exported model, not yet written.
struct ExportedModel
{
    std::string bytes;                 //!< serialised ModelProto
    std::string model_name;            //!< the architecture's name (3dgan-a, 3dgan-b, ...)
    std::vector<std::string> inputs;   //!< graph input names, in order
    std::vector<std::string> outputs;  //!< graph output names, in order
    std::size_t num_nodes = 0;
    std::size_t num_weights = 0;       //!< float32 values in initializers
};

/*!
 * The generator of a checkpoint (file or run folder) as an ONNX model.
 *
 * Inputs: `z` (N, noise) standard normal noise, `energy_gev` (N) primary
 * energy [GeV], and for variable-angle models `theta_rad` (N) polar angle
 * [rad]. Output: `cells_gev` (N, x, y, layers) cell energies [GeV]
 * ((N, layers, x, y) with options.layers_first). The
 * model's conditioning (y = E / yscale; A: y * z, B: [y, theta, z]),
 * inference-mode BatchNorm and output units (undo the power, divide by xscale,
 * file units -> GeV) are inside the graph.
 *
 * InputError for unreadable or foreign checkpoints and for models whose
 * images fit no dataset layout (their cell units are unknown).
 */
ExportedModel export_generator(std::string const& checkpoint, ExportOptions const& options);

/*!
 * The discriminator of a checkpoint as an ONNX model.
 *
 * Input: `cells_gev` (N, x, y, layers) [GeV], the generator's output or
 * Geant4 showers in GeV; the model's preprocessing (threshold, xscale,
 * power) is inside the graph. Outputs, each (N): `probability` P(real),
 * `energy_estimate_gev`, `ecal_gev` and, for variable-angle models,
 * `angle_rad` — the values of `calo3dgan discriminate`.
 *
 * InputError as export_generator, and for checkpoints without a discriminator.
 */
ExportedModel export_discriminator(std::string const& checkpoint, ExportOptions const& options);

/*!
 * Write the model to `path` under a temporary name, then rename: an error
 * leaves nothing behind. InputError if `path` exists and !overwrite, or if the
 * folder is not writable.
 */
void write_model(ExportedModel const& model, std::string const& path, bool overwrite);
}  // namespace calo::onnx
