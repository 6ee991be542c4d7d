#pragma once
// The content of a Keras 2 HDF5 weights file (`model.save_weights`, or the
// `model_weights` group of a `model.save` file), read without interpreting it.
//
// Keras 2.2.4 (keras/engine/saving.py, save_weights_to_hdf5_group) writes one
// group per top-level layer, listed in the root attribute `layer_names`, and
// one dataset per weight named by the weight's name ("conv3d_5/kernel:0"). A
// nested model (Sequential or Model used as a layer) is one top-level group
// whose weights are named after its inner layers, so both
//   /conv3d_1/conv3d_1/kernel:0            (flat model: two group levels)
//   /sequential_2/conv3d_5/kernel:0        (nested model)
// occur; in both the group holding a weight dataset is named after its layer.
// Kernels keep the Keras (TensorFlow) layout: Conv3D (kx, ky, kz, in, out),
// Dense (in, out).
//
// The same HDF5 walker also serves two small tool files (latent vectors in,
// per-event scores out), see read_float_datasets and write_float_datasets.
#include <cstddef>
#include <string>
#include <vector>

namespace calo::io
{
//! One numeric dataset of an HDF5 file, converted to float32.
struct FloatDataset
{
    std::string path;                //!< full HDF5 path without the leading '/'
    std::vector<std::size_t> shape;  //!< HDF5 dimensions, slowest first (empty: scalar)
    std::vector<float> values;       //!< row-major (C order), size = product of shape

    std::size_t size() const;
};

//! One weight tensor of a Keras layer.
struct KerasWeight
{
    std::string group;               //!< path of the group holding it, e.g. "sequential_2/conv3d_5"
    std::string top_level;           //!< first path component, e.g. "sequential_2"
    std::string layer;               //!< layer name = name of the holding group, e.g. "conv3d_5"
    std::string name;                //!< weight name without the ":0" suffix, e.g. "kernel"
    std::vector<std::size_t> shape;  //!< Keras (TensorFlow) layout
    std::vector<float> values;       //!< row-major
};

/*!
 * Every weight of a Keras 2 weights file.
 *
 * Plain data: mapping the weights onto networks is nn::KerasImport's job.
 */
struct KerasWeightsFile
{
    std::string path;
    //! Root attribute `layer_names` (top-level layer order), empty if absent.
    std::vector<std::string> layer_names;
    //! Root attributes `keras_version` and `backend`, empty if absent.
    std::string keras_version;
    std::string backend;
    //! All weight datasets, in HDF5 iteration order (by name).
    std::vector<KerasWeight> weights;

    /*!
     * Read a file. Throws a one-line InputError naming the file for: a missing
     * or non-HDF5 file, a non-numeric dataset, and a file without any weight
     * dataset. A `model.save` file is read from its `model_weights` group
     * (`optimizer_weights` is ignored).
     */
    static KerasWeightsFile read(std::string const& path);
};

/*!
 * Read every numeric dataset of a (small) HDF5 file as float32, in HDF5
 * iteration order. InputError for a missing, non-HDF5 or non-numeric content.
 */
std::vector<FloatDataset> read_float_datasets(std::string const& path);

/*!
 * Write float32 datasets into a new HDF5 file atomically (temporary file,
 * then rename): either the whole file appears or nothing. `metadata_json` goes
 * into the root attribute `calo3dgan`. InputError if `path` exists and
 * !overwrite, if a dataset's values do not match its shape, or on write errors.
 */
void write_float_datasets(std::string const& path, std::vector<FloatDataset> const& datasets,
                          std::string const& metadata_json, bool overwrite);
}  // namespace calo::io
