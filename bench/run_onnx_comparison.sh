#!/usr/bin/env bash
# Generation speed of the exported ONNX generator in ONNX Runtime (CPU,
# onnxruntime-node from test/onnx/runtime) against the PyTorch reference
# (scripts/reference/bench_generation.py on models.py, fp32) and `calo3dgan
# generate` (libtorch and the inference engine), batch 1 and 128, same
# threads. The models are seeded Keras-style weights (write_model_fixture.py,
# imported with import-keras): timing only. docs/benchmarks.md has a run.
#
#   bench/run_onnx_comparison.sh [--threads 2] [--models "a b"]
#
# Writes bench/results/onnx_comparison.jsonl (one JSON object per measurement)
# and prints a table of ms per shower.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CALO3DGAN_BUILD_DIR:-$root/build}
calo=$build/calo3dgan
python=${PYTHON:-/usr/bin/python3}
threads=2
models="a b"
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads=$2; shift 2 ;;
    --models) models=$2; shift 2 ;;
    *) echo "run_onnx_comparison.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
runner=$root/test/onnx/runtime/run_onnx.mjs
[ -x "$calo" ] || { echo "run_onnx_comparison.sh: build $calo first (scripts/build.sh)" >&2; exit 1; }
[ -d "$root/test/onnx/runtime/node_modules/onnxruntime-node" ] || { echo "run_onnx_comparison.sh: run scripts/setup.sh (onnxruntime-node)" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$root/bench/results/onnx_comparison.jsonl
mkdir -p "$(dirname "$results")"
: > "$results"
export OMP_NUM_THREADS=$threads MKL_NUM_THREADS=$threads
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other processes distort the timings)" >&2

record() {  # model batch system ms_per_shower detail
  printf '{"model":"%s","batch":%s,"threads":%s,"system":"%s","ms_per_shower":%s,"detail":%s}\n' \
    "$1" "$2" "$threads" "$3" "$4" "$5" | tee -a "$results"
}
per_shower() {  # JSON with median_ms, batch -> ms per shower
  "$python" -c "import json,sys; print(json.loads(sys.argv[1])['median_ms'] / int(sys.argv[2]))" "$1" "$2"
}

for m in $models; do
  noise=$([ "$m" = a ] && echo 200 || echo 254)
  "$python" "$root/scripts/reference/write_model_fixture.py" --model "$m" --out "$work/fx$m" --batch 2 --seed 1234 > /dev/null
  "$calo" -q import-keras --model "$m" --generator "$work/fx$m/3dgan-${m}_generator_weights.h5" -o "$work/$m.pt"
  "$calo" -q export --checkpoint "$work/$m.pt" -o "$work/$m.onnx"
  "$calo" -q export --checkpoint "$work/$m.pt" --as-written -o "$work/$m-as-written.onnx"
  for batch in 1 128; do
    if [ "$batch" = 1 ]; then repeat=$([ "$m" = a ] && echo 40 || echo 10); events=$([ "$m" = a ] && echo 200 || echo 40)
    else repeat=$([ "$m" = a ] && echo 4 || echo 2); events=$([ "$m" = a ] && echo 1024 || echo 256); fi
    inputs=(--input "z=normal:$batch,$noise" --input "energy_gev=150:$batch")
    [ "$m" = b ] && inputs+=(--input "theta_rad=1.5708:$batch")
    for graph in "" "-as-written"; do
      json=$(node "$runner" --model "$work/$m$graph.onnx" "${inputs[@]}" --threads "$threads" --repeat "$repeat")
      record "$m" "$batch" "onnxruntime${graph:-"-rewritten"}" "$(per_shower "$json" "$batch")" "$json"
    done
    json=$("$python" "$root/scripts/reference/bench_generation.py" --model "$m" --batch "$batch" --threads "$threads" \
      --precisions fp32 --repeats "$repeat" 2> /dev/null | "$python" -c "import json,sys; print(json.dumps(json.load(sys.stdin)))")
    record "$m" "$batch" "pytorch-reference" \
      "$("$python" -c "import json,sys; print(json.loads(sys.argv[1])['results'][0]['ms_per_shower'])" "$json")" "$json"
    # calo3dgan generate: its own timing of the generation loop (HDF5 writing included, start-up not)
    for engine in "torch" "engine --precision fp32" "engine --precision auto"; do
      log=$("$calo" generate --checkpoint "$work/$m.pt" -n "$events" --batch "$batch" --threads "$threads" \
        --engine $engine --overwrite -o "$work/showers.h5" 2>&1)
      seconds=$(echo "$log" | sed -n 's/.*wrote [0-9]* showers .* in \([0-9.]*\) s .*/\1/p' | tail -1)
      [ -n "$seconds" ] || { echo "$log" >&2; exit 1; }
      label="generate-${engine// --precision /-}"
      record "$m" "$batch" "$label" "$("$python" -c "print(1000 * float('$seconds') / $events)")" \
        "{\"events\":$events,\"seconds\":$seconds}"
    done
  done
done

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$python" - "$results" <<'PY'
import json, sys
rows = [json.loads(line) for line in open(sys.argv[1])]
systems = list(dict.fromkeys(r["system"] for r in rows))
keys = list(dict.fromkeys((r["model"], r["batch"]) for r in rows))
print("| system | " + " | ".join(f"{m.upper()} batch {b}" for m, b in keys) + " |")
print("|---|" + "---|" * len(keys))
for s in systems:
    cells = []
    for m, b in keys:
        v = [r["ms_per_shower"] for r in rows if r["system"] == s and (r["model"], r["batch"]) == (m, b)]
        ref = [r["ms_per_shower"] for r in rows if r["system"] == "onnxruntime-rewritten" and (r["model"], r["batch"]) == (m, b)]
        cells.append(f"{v[0]:.2f} ({v[0] / ref[0]:.2f}x)" if v and ref else "-")
    print(f"| {s} | " + " | ".join(cells) + " |")
print("ms per shower (time relative to ONNX Runtime with the rewritten graph)")
PY
