#pragma once
// Per-epoch record of a run (losses, timing, validation metrics), kept as
// RUN/history.json and rewritten atomically after every epoch.
#include <string>

#include <nlohmann/json.hpp>

namespace calo::train
{
class TrainingHistory
{
  public:
    TrainingHistory() = default;
    //! Load RUN/history.json if it exists, keeping only epochs <= up_to_epoch
    //! (a resumed run replaces what came after its checkpoint).
    void load(std::string const& run_dir, long long up_to_epoch);
    void append(nlohmann::json record);
    void save(std::string const& run_dir) const;
    nlohmann::json const& records() const { return records_; }

    static std::string path(std::string const& run_dir);

  private:
    nlohmann::json records_ = nlohmann::json::array();
};
}  // namespace calo::train
