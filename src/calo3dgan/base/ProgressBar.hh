#pragma once
// A terminal progress bar that stays quiet when stderr is not a terminal.
#include <chrono>
#include <cstdint>
#include <string>

namespace calo
{
class ProgressBar
{
  public:
    struct Options
    {
        std::string label;       //!< Shown before the bar
        std::string unit = "it"; //!< Rate unit, e.g. "events"
        bool enabled = true;     //!< Still off when stderr is not a terminal
    };

    ProgressBar(std::int64_t total, Options options);
    ~ProgressBar();
    ProgressBar(ProgressBar const&) = delete;
    ProgressBar& operator=(ProgressBar const&) = delete;

    //! Set the number of completed items; `extra` is shown after the rate.
    void update(std::int64_t done, std::string const& extra = {});
    //! Draw the final state and end the line.
    void finish(std::string const& extra = {});

    bool active() const { return active_; }
    //! Elapsed wall time since construction [s].
    double elapsed_seconds() const;

  private:
    void draw(std::int64_t done, std::string const& extra);

    std::int64_t total_;
    Options options_;
    bool active_;
    bool finished_ = false;
    std::chrono::steady_clock::time_point start_;
    std::chrono::steady_clock::time_point last_draw_;
};
}  // namespace calo
