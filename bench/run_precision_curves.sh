#!/usr/bin/env bash
# fp32 and bf16 mixed-precision trainings of model A side by side, same seed
# and data: losses and the validation figure of merit per epoch, plotted to
# OUT/precision_curves.png (docs/training-performance.md, "Checks").
#
#   bench/run_precision_curves.sh CALO3DGAN OUT_DIR
set -euo pipefail
if [[ $# -ne 2 ]]; then echo "usage: bench/run_precision_curves.sh CALO3DGAN OUT_DIR" >&2; exit 2; fi
bin=$1; out=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
mkdir -p "$out"
"$bin" -q simulate -o "$out/data" --events 1000 --energy 10:500 --seed 31
for p in fp32 bf16; do
  start=$(date +%s)
  OMP_NUM_THREADS=2 "$bin" -q train --data "$out/data" -o "$out/run_$p" --batch 8 --steps 80 --batches-per-epoch 10 \
    --test-events 64 --seed 7 --validate-every 1 --validate-events 400 --precision "$p"
  echo $(( $(date +%s) - start )) > "$out/seconds_$p"
done
/usr/bin/python3 "$root/bench/plot_precision_curves.py" "$out"
