#include "calo3dgan/train/TrainingHistory.hh"

#include <filesystem>
#include <fstream>

#include "calo3dgan/base/AtomicFile.hh"
#include "calo3dgan/base/Error.hh"

namespace calo::train
{
std::string TrainingHistory::path(std::string const& run_dir)
{
    return (std::filesystem::path(run_dir) / "history.json").string();
}

void TrainingHistory::load(std::string const& run_dir, long long up_to_epoch)
{
    records_ = nlohmann::json::array();
    std::ifstream in(path(run_dir));
    if (!in)
        return;
    nlohmann::json all;
    try
    {
        in >> all;
    }
    catch (nlohmann::json::exception const& e)
    {
        throw InputError("cannot parse training history (where: " + path(run_dir) + ": " + e.what() + ")");
    }
    for (auto& record : all)
        if (record.value("epoch", 0LL) <= up_to_epoch)
            records_.push_back(std::move(record));
}

void TrainingHistory::append(nlohmann::json record)
{
    records_.push_back(std::move(record));
}

void TrainingHistory::save(std::string const& run_dir) const
{
    // Every write and the close checked: a full disk never leaves a
    // truncated history in place of the previous one.
    write_file_atomically(path(run_dir), records_.dump(1) + "\n", "the training history");
}
}  // namespace calo::train
