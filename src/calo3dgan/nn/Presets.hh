#pragma once
// The two reference models of 3DGAN as built-in presets (docs/models.md);
// configs/3dgan-a.toml and configs/3dgan-b.toml spell out the same values.
#include <string>

#include "calo3dgan/nn/ArchitectureConfig.hh"

namespace calo::nn
{
//! Model A (Energy-gan:keras/EcalEnergyGan.py), equal to configs/3dgan-a.toml.
ArchitectureConfig preset_a();
//! Model B (Anglegan:keras/AngleArch3dGAN.py), equal to configs/3dgan-b.toml.
ArchitectureConfig preset_b();
//! Preset by name: "a", "b", "3dgan-a" or "3dgan-b"; InputError otherwise.
ArchitectureConfig preset(std::string const& name);

//! Whether `name` names a built-in preset (then it is never read as a file,
//! even where a file or folder of that name exists).
bool is_preset_name(std::string const& name);
}  // namespace calo::nn
