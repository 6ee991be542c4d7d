#pragma once
// The classifier two-sample test of the validation (docs/validation.md,
// "Classifier two-sample test"), with a libtorch network. Torch stays inside
// the .cc: this header is torch-free.
#include "calo3dgan/physval/TwoSampleClassifier.hh"

namespace calo::classifier
{
/*!
 * Split each class into train/test/validation (seeded shuffle), standardise
 * inputs with the training split's mean and spread, train a fully connected
 * network with binary cross-entropy, keep the epoch with the best test
 * accuracy, calibrate its output on the test split and report AUC and JSD on
 * the validation split. Reference is label 0, candidate label 1. Throws
 * InputError when a class has too few events (10) or the widths differ.
 * Matches physval::TwoSampleClassifier.
 */
physval::ClassifierResult two_sample_test(physval::InputMatrix const& reference, physval::InputMatrix const& candidate,
                                          physval::ClassifierOptions const& options);
}  // namespace calo::classifier
