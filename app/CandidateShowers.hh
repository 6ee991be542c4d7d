#pragma once
// Showers generated with the conditions of a reference sample, as the 3DGAN
// analysis compares them: with the same conditions (E, θ) as the reference
// events (docs/preprocessing.md, "Generated showers").
#include <cstdint>
#include <string>
#include <vector>

#include "calo3dgan/infer/ShowerGenerator.hh"
#include "calo3dgan/physval/ShowerSample.hh"

namespace calo::app
{
//! One shower per reference event, with its energy (and angle); event i
//! draws its noise from its own stream (seed, i). Returned in GeV.
physval::ShowerSample generate_like(infer::ShowerGenerator& generator, physval::ShowerSample const& reference,
                                    std::uint64_t seed, std::string label, bool progress = true);

//! Indices of the reference events whose conditions lie inside the range the
//! generator was trained on; `outside` counts the others.
std::vector<std::size_t> events_in_trained_range(infer::ShowerGenerator const& generator,
                                                 physval::ShowerSample const& reference, std::size_t* outside);
}  // namespace calo::app
