#pragma once
// Training data: a streamed HDF5 dataset split into train and test events,
// shuffled per epoch, preprocessed per batch. Torch-free.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "calo3dgan/io/DatasetReader.hh"
#include "calo3dgan/io/Preprocessing.hh"
#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::train
{
class ShowerDataset
{
  public:
    struct Options
    {
        //! The last fraction of the events (in file order) is held out for
        //! testing, as 3DGAN holds out its last files.
        double test_fraction = 0.1;
        //! Use only the first `max_events` events (0: all).
        std::size_t max_events = 0;
        //! Seed of the per-epoch shuffles.
        std::uint64_t seed = 1;
    };

    ShowerDataset(io::DatasetReader reader, io::PreprocessOptions preprocess, Options options);
    //! With the preprocessing of the model that trains on it (nn::preprocess_options).
    ShowerDataset(io::DatasetReader reader, nn::ArchitectureConfig const& model, Options options);

    std::size_t train_size() const { return train_end_; }
    std::size_t test_size() const { return end_ - train_end_; }
    io::DatasetReader const& reader() const { return reader_; }
    io::PreprocessOptions const& preprocess_options() const { return preprocess_; }

    //! The training events of `epoch` in shuffled order (a permutation of
    //! [0, train_size), the same for every run and rank with this seed).
    std::vector<std::size_t> epoch_order(std::int64_t epoch) const;

    //! Read and preprocess the given events (dataset indices). Events dropped
    //! by the preprocessing (model B's ECAL cut) are missing from the result.
    io::PreprocessedBatch load(std::vector<std::size_t> const& events) const;

    //! Test events [first, first + count) of the held-out split.
    io::PreprocessedBatch load_test(std::size_t first, std::size_t count) const;

  private:
    io::DatasetReader reader_;
    io::PreprocessOptions preprocess_;
    Options options_;
    std::size_t end_ = 0;
    std::size_t train_end_ = 0;
};
}  // namespace calo::train
