#pragma once
// Score calorimeter showers with a trained (or imported) 3DGAN discriminator.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "calo3dgan/event/EventBatch.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/Discriminator.hh"

namespace calo::infer
{
//! Tuning options: they never change the scores.
struct ShowerScorerOptions
{
    torch::Device device = torch::kCPU;
    std::int64_t batch_size = 64;  //!< events per forward pass
};

//! Discriminator outputs per event, in physical units.
struct ShowerScores
{
    std::vector<float> probability;          //!< 'generation' head: P(real)
    std::vector<float> energy_estimate_gev;  //!< 'auxiliary' head x yscale [GeV]
    std::vector<float> ecal_gev;             //!< ECAL-sum head in GeV (cells after the model's threshold)
    std::vector<float> angle_rad;            //!< measured-angle head [rad] (model B); empty for model A

    std::size_t size() const { return probability.size(); }
    //! Append another block of scores.
    void append(ShowerScores const& other);
};

/*!
 * Runs the discriminator in eval mode (no dropout, BatchNorm moving
 * statistics) without gradients on events preprocessed exactly as for
 * training (nn::preprocess_options), except that no event is dropped:
 * model B's ECAL > 10 cut is off, so there is one score per input event.
 */
class ShowerScorer
{
  public:
    //! Use `discriminator` (moved to options.device, switched to eval mode).
    ShowerScorer(nn::Discriminator discriminator, ShowerScorerOptions options);

    //! Load the discriminator of a checkpoint file or run folder; InputError
    //! if the checkpoint has none (e.g. imported without --discriminator).
    static ShowerScorer load(std::string const& checkpoint, ShowerScorerOptions options);

    nn::ArchitectureConfig const& config() const { return discriminator_->config(); }
    //! The preprocessing applied to the events before the network.
    io::PreprocessOptions const& preprocessing() const { return preprocessing_; }

    /*!
     * Score every event of `events` (cells in file units), options.batch_size
     * events per forward pass. InputError if the images are not the model's
     * shape (e.g. layout-b data for a model-A discriminator).
     */
    ShowerScores score(event::EventBatch const& events);

  private:
    nn::Discriminator discriminator_;
    ShowerScorerOptions options_;
    io::PreprocessOptions preprocessing_;
};
}  // namespace calo::infer
