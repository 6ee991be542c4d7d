// GanTrainer: checkpoints (weights, optimizer states, position, the knobs that
// change results) and resuming from them.
#include <spdlog/spdlog.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "calo3dgan/BuildInfo.hh"
#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"
#include "calo3dgan/train/GanTrainer.hh"

namespace fs = std::filesystem;

namespace calo::train
{
namespace
{
std::string checkpoint_name(TrainingPosition const& p)
{
    char name[64];
    if (p.batch == 0)
        std::snprintf(name, sizeof name, "epoch%04lld.pt", static_cast<long long>(p.epoch));
    else
        std::snprintf(name, sizeof name, "epoch%04lld_batch%07lld.pt", static_cast<long long>(p.epoch),
                      static_cast<long long>(p.batch));
    return name;
}

//! Architecture equality ignoring values a resumed run may change.
bool same_model(nn::ArchitectureConfig a, nn::ArchitectureConfig b)
{
    a.train.epochs = b.train.epochs;
    return a == b;
}

void copy_state(torch::nn::Module& to, torch::nn::Module const& from)
{
    auto const parameters = from.named_parameters();
    for (auto& p : to.named_parameters()) p.value().copy_(parameters[p.key()]);
    auto const buffers = from.named_buffers();
    for (auto& b : to.named_buffers()) b.value().copy_(buffers[b.key()]);
}
}  // namespace

nlohmann::json GanTrainer::result_knobs() const
{
    return {{"label_flip_probability", options_.label_flip_probability},
            {"generator_steps", options_.generator_steps},
            {"batchnorm_training", options_.batchnorm_training},
            {"precision", to_string(options_.precision)}};
}

std::string GanTrainer::save_checkpoint()
{
    fs::path const dir = fs::path(options_.run_dir) / nn::run_layout::kCheckpointDir;
    fs::create_directories(dir);
    nlohmann::json meta = {
        {"tool", "calo3dgan"},
        {"version", kVersion},
        {"git_revision", kGitRevision},
        {"seed", options_.seed},
        {"world_size", sync_->world_size()},
        {"training", result_knobs()},
        {"position", {{"epoch", position_.epoch}, {"batch", position_.batch}, {"step", position_.step}}},
        {"data",
         {{"shape", {config_.image_shape.nx, config_.image_shape.ny, config_.image_shape.nz}},
          {"train_events", data_.train_size()},
          {"test_events", data_.test_size()}}}};
    torch::serialize::OutputArchive archive;
    nn::write_checkpoint_entries(archive, config_, generator_, discriminator_, meta.dump());
    torch::serialize::OutputArchive od, og;
    optimizer_d_->save(od);
    optimizer_g_->save(og);
    archive.write("optimizer_d", od);
    archive.write("optimizer_g", og);
    std::string const name = checkpoint_name(position_);
    std::string const path = (dir / name).string();
    nn::save_archive_atomically(archive, path);
    // The pointer to the latest checkpoint is replaced atomically too.
    write_file_atomically((fs::path(options_.run_dir) / nn::run_layout::kLatestFile).string(), name + "\n",
                          "the latest-checkpoint pointer");
    return path;
}

void GanTrainer::resume(nn::LoadedCheckpoint& checkpoint)
{
    CALO_VALIDATE(same_model(checkpoint.config, config_),
                  "checkpoint was made with another model or config (where: " + checkpoint.path +
                      ") — resume with the same --config and --set values");
    CALO_VALIDATE(checkpoint.discriminator, "checkpoint has no discriminator (where: " + checkpoint.path +
                                                ") — cannot resume training from it");
    auto const meta = nlohmann::json::parse(checkpoint.metadata_json);
    CALO_VALIDATE(meta.value("seed", options_.seed) == options_.seed,
                  "checkpoint was trained with seed " + std::to_string(meta.value("seed", 0ull)) +
                      " — resume with the same --seed");
    // Checkpoints from before the knobs were recorded are not checked.
    auto const recorded = meta.value("training", nlohmann::json::object());
    auto const knobs = result_knobs();  // items() refers into it
    for (auto const& [key, value] : knobs.items())
    {
        CALO_VALIDATE(!recorded.contains(key) || recorded.at(key) == value,
                      "checkpoint was trained with " + key + " = " + recorded.at(key).dump() + ", not " +
                          value.dump() + " (where: " + checkpoint.path + ") — resume with the same setting");
    }
    {
        torch::NoGradGuard no_grad;
        copy_state(*generator_, *checkpoint.generator);
        copy_state(*discriminator_, *checkpoint.discriminator);
    }
    torch::serialize::InputArchive od, og;
    CALO_VALIDATE(checkpoint.archive.try_read("optimizer_d", od) && checkpoint.archive.try_read("optimizer_g", og),
                  "checkpoint has no optimizer state (where: " + checkpoint.path +
                      ") — it cannot be resumed; start a new run from it instead");
    optimizer_d_->load(od);
    optimizer_g_->load(og);
    auto const& pos = meta.at("position");
    position_.epoch = pos.at("epoch").get<std::int64_t>();
    position_.batch = pos.at("batch").get<std::int64_t>();
    position_.step = pos.at("step").get<std::int64_t>();
    // A global batch is batch_size x world_size events: resuming mid-epoch
    // with another rank count starts at the first global batch that holds
    // no event already trained on (the few skipped ones are seen next epoch).
    auto const saved_world = meta.value("world_size", std::int64_t{1});
    auto const world = static_cast<std::int64_t>(sync_->world_size());
    if (saved_world != world && position_.batch > 0)
    {
        auto const done = position_.batch * saved_world;
        auto const batch = (done + world - 1) / world;
        spdlog::info("checkpoint was written by {} ranks, resuming on {}: batch {} of epoch {} becomes batch {}",
                     saved_world, world, position_.batch, position_.epoch + 1, batch);
        position_.batch = batch;
    }
    // A mid-epoch checkpoint is superseded by the next one this run writes
    if (position_.batch > 0)
        periodic_checkpoint_ = checkpoint.path;
    history_.load(options_.run_dir, position_.epoch);
    spdlog::info("resuming from {} at epoch {} batch {}", checkpoint.path, position_.epoch + 1, position_.batch);
}
}  // namespace calo::train
