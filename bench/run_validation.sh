#!/usr/bin/env bash
# Speed of `calo3dgan validate` on 20,000 against 20,000 fixed-angle showers
# (docs/benchmarks.md, "Physics validation"): wall time of the whole command
# without the classifiers (reading, features, figure of merit, histograms,
# plots and report), then the classifier steps alone (--no-plots).
#
# Usage: bench/run_validation.sh [BUILD_DIR] [WORK_DIR] [EVENTS]
# Simulates the two samples once into WORK_DIR (about 1 minute on 2 cores).
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/calo3dgan-bench-validation}
events=${3:-20000}
calo="$build/calo3dgan"
[[ -x "$calo" ]] || { echo "run_validation.sh: $calo not found — build first" >&2; exit 2; }
mkdir -p "$work"
for side in 1 2; do
  [[ -d "$work/mc$side" ]] || "$calo" -q simulate -o "$work/mc$side" --events "$events" --energy 2:500 --seed "$side"
done
seconds() { python3 -c "import json,sys; t=json.load(open(sys.argv[1]))['timing_s']; print(' '.join(f'{k}={v:.2f}s' for k,v in t.items()))" "$1"; }

echo "== without classifiers: read + features + figure of merit + histograms + plots + report.html"
start=$(date +%s.%N)
"$calo" -q validate --reference "$work/mc1" --candidate "$work/mc2" -o "$work/no-classifier" --no-classifier --overwrite
end=$(date +%s.%N)
echo "wall $(python3 -c "print(f'{$end - $start:.1f}')") s; steps: $(seconds "$work/no-classifier/metrics.json")"

echo "== with both classifiers (metrics.json only)"
start=$(date +%s.%N)
"$calo" -q validate --reference "$work/mc1" --candidate "$work/mc2" -o "$work/full" --no-plots --overwrite
end=$(date +%s.%N)
echo "wall $(python3 -c "print(f'{$end - $start:.1f}')") s; steps: $(seconds "$work/full/metrics.json")"
python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print({k: m[k] for k in ('auc_features','auc_images','sampling_fraction_mre','figure_of_merit','figure_of_merit_floor')})" "$work/full/metrics.json"
