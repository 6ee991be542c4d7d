#!/usr/bin/env bash
# The main job, end to end on the embedded defaults (a few minutes on 2 cores):
# set up, build, simulate datasets with the shower Monte Carlo, generate
# showers with the shipped model and validate them against fresh Monte Carlo
# (the sampling fraction across energy, Figure 2 of Carminati et al. 2019),
# train 3DGAN model A briefly to show training, inspect everything, and run a
# small version of the genetic-algorithm experiment of Carminati et al. 2019.
#
# The brief training is a smoke run of a few batches; the shipped model
# (models/3dgan-a-mc, its model card says how far it is trained) is what a
# real training gives.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo}
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target calo3dgan
calo="${CALO3DGAN_BUILD_DIR:-$root/build}/calo3dgan"

echo "== simulate: 2,000 electrons, 2-500 GeV, fixed angle (25x25x25, GeV)"
"$calo" simulate -o "$out/data-a" --events 2000 --energy 2:500 --format a --events-per-file 1000 --seed 1 --overwrite
echo "== simulate: 1,000 electrons, 100-200 GeV, 60-120 degrees (51x51x25, GeV x 50)"
"$calo" simulate -o "$out/data-b" --events 1000 --energy 100:200 --theta 60:120 --format b --seed 2 --overwrite
echo "== inspect the Monte Carlo"
"$calo" inspect "$out/data-a"
"$calo" inspect "$out/data-b"

echo "== generate 4,000 showers at 10-500 GeV with the shipped model (models/3dgan-a-mc; no --checkpoint needed)"
"$calo" generate -n 4000 --energy 10:500 -o "$out/shipped-a.h5" --seed 1 --overwrite
echo "== simulate 4,000 fresh Monte Carlo showers at 10-500 GeV for the comparison"
"$calo" simulate -o "$out/fresh-a" --events 4000 --energy 10:500 --format a --seed 3 --overwrite
echo "== validate the shipped model against them: sampling fraction per energy bin (Figure 2), profiles, classifier AUCs"
"$calo" validate --reference "$out/fresh-a" --candidate "$out/shipped-a.h5" --candidate-label "shipped model" \
  --reference-label "Monte Carlo" --energy-bins 10,50,100,200,300,400,500 --classifier-epochs 10 \
  -o "$out/report-shipped" --overwrite

echo "== train model A briefly (2 epochs of 8 batches of 8 showers: a smoke run, not a physics training)"
rm -rf "$out/run-a"
"$calo" train --config "$root/configs/3dgan-a.toml" --data "$out/data-a" -o "$out/run-a" \
  --epochs 2 --batch 8 --batches-per-epoch 8 --test-events 64 --seed 1 --validate-every 1 --validate-events 100
echo "== generate 500 showers at 100-200 GeV from the latest checkpoint"
"$calo" generate --checkpoint "$out/run-a" -n 500 --energy 100:200 -o "$out/generated-a.h5" --seed 1 --overwrite
echo "== inspect the generated showers (same layout and units as the data)"
"$calo" inspect "$out/generated-a.h5"
echo "== pick the best epoch (lowest sampling-fraction error) and validate it against 400 Monte Carlo showers"
"$calo" validate --run "$out/run-a" --select-epoch --reference "$out/data-a" --events 400 -o "$out/report-a" \
  --classifier-epochs 10 --overwrite
echo "== the GA experiment of Carminati et al. 2019, small: (1+8) GA against RMSprop on an energy regressor (1,500 + 500 showers)"
rm -rf "$out/evolve"
"$calo" evolve --data "$out/data-a" -o "$out/evolve" --events 1500 --test-events 500 --generations 800 --epochs 20
echo "demo finished: datasets in $out/data-*, run in $out/run-a, generated showers in $out/generated-a.h5,"
echo "the shipped model against the Monte Carlo in $out/report-shipped/report.html (sampling_fraction.png: Figure 2),"
echo "validation report of the brief training in $out/report-a/report.html (an untrained generator: expect AUC near 1),"
echo "GA vs RMSprop in $out/evolve (results.json, losses.png, energy.png)"
echo "note: the shipped model's training, cost and quality: models/3dgan-a-mc/README.md"
