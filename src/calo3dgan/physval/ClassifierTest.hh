#pragma once
// Classifier two-sample test (spec evaluation.md): a network learns to tell
// reference from candidate; its AUC on events it never saw says how
// distinguishable they are (0.5: not at all). Torch stays inside the .cc.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "calo3dgan/physval/Roc.hh"

namespace calo::physval
{
//! Row-major events x inputs.
struct InputMatrix
{
    std::vector<float> values;
    std::size_t rows = 0, cols = 0;
    float const* row(std::size_t r) const { return values.data() + r * cols; }
};

struct ClassifierOptions
{
    std::vector<int> hidden{256, 256};  //!< units of the hidden layers (LeakyReLU 0.2)
    int max_epochs = 50;
    int patience = 10;            //!< stop after this many epochs without better test accuracy
    int batch_size = 256;
    double learning_rate = 5e-4;  //!< Adam
    double train_fraction = 0.6;  //!< of each class; test and validation share the rest equally
    std::uint64_t seed = 1;
    std::string progress_label = "classifier";  //!< progress bar on a terminal
};

struct ClassifierResult
{
    double auc = 0.5;  //!< on the validation split, after isotonic calibration on the test split
    double jsd = 0;    //!< (ln 2 - BCE)/ln 2 of the calibrated output on the validation split
    RocCurve roc;
    std::vector<double> train_loss, test_accuracy;  //!< per epoch
    int best_epoch = 0;                             //!< 1-based, the one kept
    std::size_t train_events = 0, validation_events = 0;
    double seconds = 0;
};

/*!
 * Split each class into train/test/validation (seeded shuffle), standardise
 * inputs with the training split's mean and spread, train a fully connected
 * network with binary cross-entropy, keep the epoch with the best test
 * accuracy, calibrate its output on the test split and report AUC and JSD on
 * the validation split. Reference is label 0, candidate label 1. Throws
 * InputError when a class has too few events (10) or the widths differ.
 */
ClassifierResult classifier_two_sample_test(InputMatrix const& reference, InputMatrix const& candidate,
                                            ClassifierOptions const& options);
}  // namespace calo::physval
