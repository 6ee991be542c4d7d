#!/usr/bin/env bash
# The GA experiment of Carminati et al. 2019 and its benchmarks (docs/benchmarks.md,
# "Evolutionary training"):
#  1. fitness evaluations/s of the GA engine on 1 rank and on 2 ranks (1 thread each);
#  2. the full experiment, GA (fixed mutation power) vs RMSprop, 5000 + 1000 showers;
#  3. the GA with the 1/5 success rule;
#  4. the GA on 2 ranks (must equal step 2's GA, faster).
#
# Usage: bench/run_evolve.sh [BUILD_DIR] [WORK_DIR]     (about 1 minute on 2 quiet cores)
set -euo pipefail
build=${1:-build}
work=${2:-/tmp/calo3dgan-evolve-bench}
calo="$build/calo3dgan"
bench="$build/bench/bench_evolve"
for exe in "$calo" "$bench"; do
  [[ -x "$exe" ]] || { echo "run_evolve.sh: $exe not found — build calo3dgan and bench_evolve" >&2; exit 2; }
done
root_flag=()
[[ "$(id -u)" == 0 ]] && root_flag=(--allow-run-as-root)
mpi=(mpirun --oversubscribe "${root_flag[@]}" --bind-to core -x OMP_NUM_THREADS)
export OMP_NUM_THREADS=1
mkdir -p "$work"
data="$work/data"
# 5000 training + 1000 test showers, 2-500 GeV (Carminati et al. 2019, Table 1: 5,000 events).
[[ -d "$data" ]] || "$calo" -q simulate -o "$data" --events 6000 --energy 2:500 --seed 11
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

echo "== fitness evaluations/s" >&2
"${mpi[@]}" -np 1 "$bench" --data "$data" --threads 1
"${mpi[@]}" -np 2 "$bench" --data "$data" --threads 1
"$bench" --data "$data" --threads 2

summary() {
  python3 - "$1/results.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
for m in ("ga", "rmsprop"):
    if m not in r:
        continue
    x = r[m]
    bins = [b["relative_error"] for b in x["energy_bins"] if b["events"]]
    print(f"{m}: test MRE {x['test_relative_error']:.4f}, worst bin {max(bins):.4f}, "
          f"10% after {x['seconds_to_10_percent']} s / {x['epochs_to_10_percent']} epochs, "
          f"train time {x['seconds']:.1f} s, test MRE per epoch {[round(v, 4) for v in x['history']['test_loss'][:6]]}..."
          + (f", {x['evaluations_per_second']:.0f} evaluations/s on {x['ranks']} rank(s)" if m == "ga" else ""))
PY
}

echo "== GA (fixed power) vs RMSprop" >&2
rm -rf "$work/fixed" "$work/one-fifth" "$work/two-ranks"
"$calo" -q evolve --data "$data" -o "$work/fixed" --threads 1
summary "$work/fixed"
echo "== GA, 1/5 success rule from power 0.02" >&2
"$calo" -q evolve --data "$data" -o "$work/one-fifth" --threads 1 --no-rmsprop --no-plots \
  --step-size one-fifth --mutation-power 0.02
summary "$work/one-fifth"
echo "== GA on 2 ranks" >&2
"${mpi[@]}" -np 2 "$calo" -q evolve --data "$data" -o "$work/two-ranks" --threads 1 --no-rmsprop --no-plots
summary "$work/two-ranks"
python3 - "$work/fixed/results.json" "$work/two-ranks/results.json" <<'PY'
import json, sys
a, b = (json.load(open(p))["ga"] for p in sys.argv[1:])
same = a["parent"] == b["parent"] and a["history"]["test_loss"] == b["history"]["test_loss"]
print("2 ranks reproduce the 1-rank GA exactly:", same)
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
