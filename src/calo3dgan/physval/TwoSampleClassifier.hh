#pragma once
// Classifier two-sample test (docs/validation.md, "Classifier two-sample
// test"): a network learns to tell reference from candidate; its AUC on events
// it never saw says how distinguishable they are (0.5: not at all). The
// validation only sees this interface; the network lives in the classifier
// library (classifier::two_sample_test), so that physval builds and links
// without the machine-learning framework.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "calo3dgan/physval/InputMatrix.hh"
#include "calo3dgan/physval/Roc.hh"

namespace calo::physval
{
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
 * A two-sample classifier test: reference events (label 0) against candidate
 * events (label 1), inputs of the same width, events x inputs. Implemented by
 * classifier::two_sample_test.
 */
using TwoSampleClassifier = std::function<ClassifierResult(InputMatrix const& reference, InputMatrix const& candidate,
                                                           ClassifierOptions const& options)>;
}  // namespace calo::physval
