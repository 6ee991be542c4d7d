#pragma once
// Checkpoint files: the generator, optionally the discriminator, the resolved
// architecture config and a metadata JSON (provenance, training position).
// Training code adds its optimizer states as further entries of the archive.
#include <torch/torch.h>

#include <optional>
#include <string>

#include "ArchitectureConfig.hh"
#include "Discriminator.hh"
#include "Generator.hh"

namespace calo::nn
{
//! A loaded checkpoint. The archive stays open for readers of extra entries.
struct LoadedCheckpoint
{
    std::string path;  //!< the file actually read
    ArchitectureConfig config;
    Generator generator{nullptr};
    Discriminator discriminator{nullptr};  //!< null if the file has none
    std::string metadata_json;
    torch::serialize::InputArchive archive;
};

//! Put the models, config and metadata into `archive`.
void write_checkpoint_entries(torch::serialize::OutputArchive& archive, ArchitectureConfig const& config,
                              Generator const& generator, Discriminator const& discriminator,
                              std::string const& metadata_json);

//! Write `archive` to `path` under a temporary name, then rename.
void save_archive_atomically(torch::serialize::OutputArchive& archive, std::string const& path);

/*!
 * Resolve a checkpoint argument: a checkpoint file, or a run folder meaning
 * its latest checkpoint (named in RUN/latest). InputError if there is none.
 */
std::string resolve_checkpoint_path(std::string const& path_or_run);

//! Load a checkpoint (file or run folder) onto `device`; clear InputError for
//! missing, unreadable or foreign files.
LoadedCheckpoint load_checkpoint(std::string const& path_or_run, torch::Device device = torch::kCPU);

//! The checkpoint file names a run folder uses.
namespace run_layout
{
inline constexpr char const kLatestFile[] = "latest";  //!< holds the latest checkpoint's file name
inline constexpr char const kCheckpointDir[] = "checkpoints";
}  // namespace run_layout
}  // namespace calo::nn
