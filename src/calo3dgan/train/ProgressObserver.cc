#include "calo3dgan/train/ProgressObserver.hh"

#include <fmt/format.h>

namespace calo::train
{
void ProgressObserver::epoch_begin(BatchProgress const& progress)
{
    bar_ = std::make_unique<ProgressBar>(
        progress.batches,
        ProgressBar::Options{fmt::format("epoch {}/{}", progress.epoch + 1, progress.epochs), "batches", enabled_});
}

void ProgressObserver::batch_end(BatchProgress const& progress)
{
    if (bar_ && progress.trained)
        bar_->update(progress.batch, fmt::format("D {:.3f} G {:.3f} | {:.2f} samples/s", progress.discriminator_loss,
                                                 progress.generator_loss, progress.samples_per_second));
}

void ProgressObserver::epoch_end(BatchProgress const&)
{
    if (bar_)
        bar_->finish();
    bar_.reset();
}
}  // namespace calo::train
