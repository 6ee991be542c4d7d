#!/usr/bin/env bash
# Weak scaling of data-parallel training over MPI: 2 ranks of 1 thread each
# against 1 rank of 1 thread, allreduce latency/bandwidth, and projections to
# 16, 64 and 256 ranks (docs/benchmarks.md, "Data-parallel scaling (MPI)").
#
# Usage: bench/run_scaling.sh [BUILD_DIR] [bench_scaling options...]
#   e.g. bench/run_scaling.sh build --batch 2 --steps 4 --rounds 3 --out scaling.json
# Takes 1-3 minutes on a 2-core machine with the defaults (model A, batch 2).
set -euo pipefail
build=${1:-build}
shift || true
bench="$build/bench/bench_scaling"
[[ -x "$bench" ]] || { echo "run_scaling.sh: $bench not found — build with CALO3DGAN_BUILD_BENCH=ON" >&2; exit 2; }
ranks=${RANKS:-2}
root_flag=()
[[ "$(id -u)" == 0 ]] && root_flag=(--allow-run-as-root)
# One thread per rank, each rank on its own core.
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
mpirun -np "$ranks" --oversubscribe "${root_flag[@]}" --bind-to core -x OMP_NUM_THREADS -x MKL_NUM_THREADS \
  "$bench" "$@"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
