#pragma once
// Read calorimeter events from one or more 3DGAN/LCD-layout HDF5 files.
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "calo3dgan/geo/ImageShape.hh"
#include "calo3dgan/event/DatasetLayout.hh"
#include "calo3dgan/event/EventBatch.hh"

namespace calo::io
{
//! What the reader found in one file.
struct FileInfo
{
    std::string path;
    std::size_t events = 0;
    event::Layout layout = event::Layout::fixed_angle;
    geo::ImageShape shape;
    bool has_theta = false;
    bool has_mtheta = false;
    //! Where the primary energy comes from: "energy", "target[:,1]" (2-D
    //! target) or "target[:,0,1]" (3-D target, as written by the 3DGAN analysis).
    std::string energy_key;
    //! The `calo3dgan` file attribute (metadata JSON), empty if absent.
    std::string metadata_json;
};

//! Reads the real 3DGAN/LCD layouts (docs/preprocessing.md, "Data layouts"):
//! - `ECAL` (N,25,25,25) -> layout a, (N,51,51,25) -> layout b, any float or
//!   integer type (converted to float32 on read);
//! - the primary energy [GeV] from `energy` (N,) or, without it, from
//!   `target` (N,k>=2) column 1 or (N,1,k>=2) [:,0,1];
//! - `theta`, `mtheta` [rad] (N,) when present; `pdgID` (N,) or `target`
//!   column 0 for the PDG id; every other key (HCAL, ECAL_E, eta, ...) is ignored.
//! An optional dataset appears in the batches only if every file has it.
//! Files stay open for the reader's lifetime. HDF5 is not thread-safe here:
//! call read() from one thread at a time, with no writer active elsewhere.
class DatasetReader
{
  public:
    //! Each input is a file or a folder (its *.h5 and *.hdf5 files, sorted by
    //! name, not recursive); files keep the order of the inputs. Opens every
    //! file and checks keys, ranks, shapes and event counts without reading
    //! the data. Throws a one-line InputError naming file and dataset for: no
    //! files, a missing path, a non-HDF5 file, missing `ECAL`, missing energy,
    //! a wrong rank or shape, inconsistent event counts, mixed layouts, and
    //! chunks so small that one event spans more than 4,096 of them.
    explicit DatasetReader(std::vector<std::string> const& inputs);
    ~DatasetReader();
    DatasetReader(DatasetReader&&) noexcept;
    DatasetReader& operator=(DatasetReader&&) noexcept;

    //! Events in all files together.
    std::size_t num_events() const { return num_events_; }
    event::Layout layout() const { return layout_; }
    geo::ImageShape shape() const { return shape_; }
    std::vector<FileInfo> const& files() const { return files_; }
    //! Whether batches carry theta_rad / measured_angle_rad / pdg_id (every file has them).
    bool has_theta() const { return has_theta_; }
    bool has_mtheta() const { return has_mtheta_; }
    bool has_pdg_id() const { return has_pdg_id_; }

    //! Events [first, first + count) in file order, possibly across files,
    //! with hyperslab reads (a file is never loaded whole). Cells stay in file
    //! units (see cell_unit_gev). Throws InputError naming the file, the event
    //! (index in the file) and the value for a NaN/inf or negative cell, or a
    //! non-finite or non-positive energy; and for a range past num_events().
    event::EventBatch read(std::size_t first, std::size_t count) const;

  private:
    struct Handles;
    std::vector<FileInfo> files_;
    std::vector<std::size_t> offsets_;  // first global event of each file, plus the total
    std::size_t num_events_ = 0;
    event::Layout layout_ = event::Layout::fixed_angle;
    geo::ImageShape shape_;
    bool has_theta_ = false;
    bool has_mtheta_ = false;
    bool has_pdg_id_ = false;
    std::unique_ptr<Handles> handles_;

    void read_file_range(std::size_t file, std::size_t first, std::size_t count, event::EventBatch& batch,
                         std::size_t out) const;
};
}  // namespace calo::io
