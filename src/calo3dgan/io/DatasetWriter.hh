#pragma once
// Write calorimeter events into a 3DGAN/LCD-layout HDF5 file.
#include <memory>
#include <string>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/geo/ImageShape.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::io
{
//! Writes the real 3DGAN/LCD layout (docs/preprocessing.md, "Data layouts"):
//! - layout a: `ECAL` float32 (N,25,25,25) [GeV], `energy` float32 (N,) [GeV],
//!   `target` float32 (N,2) = (PDG id, energy [GeV]);
//! - layout b: `ECAL` float32 (N,51,51,25) [GeV x 50], `energy` (N,) [GeV],
//!   `theta` (N,) [rad], `mtheta` (N,) [rad].
//! Datasets are chunked one event per chunk along N (images) with shuffle +
//! gzip level 4, and the file attribute `calo3dgan` holds the metadata JSON
//! (resolved config, seed, build info).
//!
//! The content goes to a temporary file next to `path` that commit() renames
//! into place: a writer destroyed without commit (error, Ctrl-C) leaves nothing.
//! HDF5 is not thread-safe here: use one writer per thread at most, and no
//! concurrent reader or writer in other threads.
class DatasetWriter
{
  public:
    //! Throws InputError if `path` exists and !overwrite, if `shape` is not
    //! the window of `layout`, if `metadata_json` is not valid JSON (empty
    //! means "{}"), or if the temporary file cannot be created.
    DatasetWriter(std::string path, event::Layout layout, geo::ImageShape shape, std::string metadata_json, bool overwrite);
    ~DatasetWriter();
    DatasetWriter(DatasetWriter const&) = delete;
    DatasetWriter& operator=(DatasetWriter const&) = delete;

    //! Append the batch's events (extends every dataset). The batch must have
    //! this writer's layout and shape, cells in file units, finite and >= 0.
    //! Layout b needs theta_rad; an empty measured_angle_rad is filled with
    //! geo::measured_angle. Layout a stores pdg_id (11 when empty) in
    //! `target[:,0]` and ignores the angles (the fixed-angle layout has none).
    void append(event::EventBatch const& batch);

    /*!
     * Compress image chunks on `threads` threads (0: all cores) with
     * libdeflate and write them with HDF5's direct chunk write: the same
     * datasets, filters and values as with HDF5's own (single-threaded)
     * shuffle + gzip filters, which a writer uses unless this is called; the
     * compressed bytes differ (libdeflate's deflate is faster and slightly
     * smaller).
     */
    void set_compression_threads(int threads) { compression_threads_ = threads; }
    //! Flush, close and rename the file into place. Nothing may be appended after.
    void commit();

    //! Events appended so far.
    std::size_t num_events() const { return events_; }
    std::string const& path() const { return file_.final_path(); }

  private:
    struct Handles;
    AtomicFile file_;  // declared first: destroyed after the HDF5 handles are closed
    event::Layout layout_;
    geo::ImageShape shape_;
    std::size_t events_ = 0;
    int compression_threads_ = -1;  //!< -1: HDF5's own filters
    std::unique_ptr<Handles> handles_;
};
}  // namespace calo::io
