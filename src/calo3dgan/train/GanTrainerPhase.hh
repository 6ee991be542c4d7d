#pragma once
// Marks a phase of a training step for the observers (a timeline), from
// construction to destruction.
#include <vector>

#include "calo3dgan/train/GanTrainer.hh"

namespace calo::train
{
class GanTrainer::Phase
{
  public:
    Phase(std::vector<TrainingObserver*> const& observers, char const* phase) : observers_(observers), phase_(phase)
    {
        for (auto* observer : observers_) observer->phase_begin(phase_);
    }
    ~Phase()
    {
        for (auto* observer : observers_) observer->phase_end(phase_);
    }
    Phase(Phase const&) = delete;
    Phase& operator=(Phase const&) = delete;

  private:
    std::vector<TrainingObserver*> const& observers_;
    char const* phase_;
};
}  // namespace calo::train
