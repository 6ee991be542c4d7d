#!/usr/bin/env bash
# Records the seeded outputs of every command into one folder, so that a
# refactoring can be checked number for number:
#   scripts/refactor/record_outputs.sh /tmp/before      # on the old tree
#   scripts/refactor/record_outputs.sh /tmp/after       # on the new tree
#   python3 scripts/refactor/compare_outputs.py /tmp/before /tmp/after
# Small sizes (a few minutes on 2 cores); every command is seeded.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:?usage: record_outputs.sh OUTPUT_FOLDER}
calo="${CALO3DGAN_BUILD_DIR:-$root/build}/calo3dgan"
mpirun=(mpirun --oversubscribe --allow-run-as-root -np 2)
rm -rf "$out" && mkdir -p "$out"
q=(-q)

"$calo" "${q[@]}" simulate -o "$out/sim-a" --events 600 --energy 2:500 --format a --events-per-file 300 --seed 3 --threads 2
"$calo" "${q[@]}" simulate -o "$out/sim-b" --events 200 --energy 100:200 --theta 60:120 --format b --seed 4 --threads 2

# Training: model A and B, serial and data-parallel (losses in history.json, weights in checkpoints).
"$calo" "${q[@]}" train --config "$root/configs/3dgan-a.toml" --data "$out/sim-a" -o "$out/train-a" \
  --epochs 2 --batch 8 --batches-per-epoch 4 --test-events 32 --seed 5 --validate-every 1 --validate-events 64
"$calo" "${q[@]}" train --config "$root/configs/3dgan-b.toml" --data "$out/sim-b" -o "$out/train-b" \
  --epochs 1 --batch 4 --batches-per-epoch 2 --test-events 16 --seed 6
"${mpirun[@]}" "$calo" "${q[@]}" train --config "$root/configs/3dgan-a.toml" --data "$out/sim-a" -o "$out/train-a-mpi" \
  --epochs 1 --batch 8 --batches-per-epoch 3 --test-events 32 --seed 7

# Generation: the engine (fp32) and libtorch, from the trained checkpoint.
"$calo" "${q[@]}" generate --checkpoint "$out/train-a" -n 64 --energy 100:200 -o "$out/gen-engine.h5" --seed 8 --precision fp32
"$calo" "${q[@]}" generate --checkpoint "$out/train-a" -n 64 --energy 100:200 -o "$out/gen-torch.h5" --seed 8 --engine torch
"$calo" "${q[@]}" export --checkpoint "$out/train-a" -o "$out/generator.h5"

# Validation metrics (plots off: the numbers are what must not change).
"$calo" "${q[@]}" validate --run "$out/train-a" --select-epoch --reference "$out/sim-a" --events 200 -o "$out/report-a" \
  --classifier-epochs 3 --no-plots

# The GA experiment and the architecture search.
"$calo" "${q[@]}" evolve --data "$out/sim-a" -o "$out/evolve" --events 300 --test-events 100 --generations 40 --epochs 3 --no-plots
"$calo" "${q[@]}" search --data "$out/sim-a" -o "$out/search" --events 200 --validation-events 100 --test-events 100 \
  --population 4 --elites 1 --budget 8 --epochs-per-candidate 1 --no-plots
echo "recorded in $out"
