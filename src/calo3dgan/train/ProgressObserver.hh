#pragma once
// The training's progress bar: one bar per epoch, drawn on a terminal only.
#include <memory>

#include "calo3dgan/base/ProgressBar.hh"
#include "calo3dgan/train/TrainingObserver.hh"

namespace calo::train
{
class ProgressObserver final : public TrainingObserver
{
  public:
    explicit ProgressObserver(bool enabled) : enabled_(enabled) {}

    void epoch_begin(BatchProgress const& progress) override;
    void batch_end(BatchProgress const& progress) override;
    void epoch_end(BatchProgress const& progress) override;

  private:
    bool enabled_;
    std::unique_ptr<ProgressBar> bar_;
};
}  // namespace calo::train
