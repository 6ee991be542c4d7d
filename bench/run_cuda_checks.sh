#!/usr/bin/env bash
# Build calo3dgan against the CUDA libtorch of a Python torch install, check
# training and generation on the GPU against the CPU, and time both sides of
# the PyTorch comparison on the GPU (fp32 and bf16 autocast). One command for
# a GPU machine; results and discussion: docs/benchmarks.md ("On a GPU").
#
#   bench/run_cuda_checks.sh --out DIR [--build-dir build-cuda] [--jobs N]
#       [--deb-dir DIR] [--skip-bench] [--prebuilt] [--device cuda|cpu]
#
# --deb-dir: a folder of Debian .deb files for a machine that lacks the
# development packages (HDF5, oneDNN, fmt, spdlog, CLI11, nlohmann-json,
# toml++, Eigen, libdeflate, Google Benchmark) and cannot install them: they
# are unpacked into a private prefix; of their shared libraries only those the
# system lacks are put on LD_LIBRARY_PATH. MPI is left out of this build.
#
# Writes DIR/checks.md (one line per check, PASS or FAIL, with the numbers),
# DIR/build.log and the comparison tables DIR/fp32/ and DIR/bf16/. Exits
# non-zero if the build or any check fails. --prebuilt uses the build folder
# as it is; --device cpu runs the same steps with the CPU in the GPU's place
# (a dry run of this script on a machine without one).
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=build-cuda
jobs=$(nproc)
deb_dir=
out=
skip_bench=0
prebuilt=0
gpu=cuda
python=${PYTHON:-python3}
while [[ $# -gt 0 ]]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --build-dir) build_dir=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --deb-dir) deb_dir=$2; shift 2 ;;
    --skip-bench) skip_bench=1; shift ;;
    --prebuilt) prebuilt=1; shift ;;
    --device) gpu=$2; shift 2 ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "run_cuda_checks.sh: unknown option '$1' — see --help" >&2; exit 2 ;;
  esac
done
[[ -n $out ]] || { echo "run_cuda_checks.sh: --out DIR is required" >&2; exit 2; }
cd "$root"
mkdir -p "$out"
out=$(cd "$out" && pwd)
start=$(date +%s)
stamp() { echo "[$(( $(date +%s) - start )) s] $*"; }
failures=0
report() {  # report PASS|FAIL "what" "numbers"
  [[ $1 == PASS ]] || failures=$((failures + 1))
  echo "| $1 | $2 | $3 |" >> "$out/checks.md"
  stamp "$1: $2 — $3"
}
printf '# CUDA checks (bench/run_cuda_checks.sh)\n\n| result | check | numbers |\n|---|---|---|\n' > "$out/checks.md"

torch_prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)') \
  || { echo "run_cuda_checks.sh: $python has no torch" >&2; exit 1; }
[[ $gpu == cpu ]] || "$python" -c 'import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)' \
  || { echo "run_cuda_checks.sh: torch sees no GPU" >&2; exit 1; }
stamp "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | head -1);" \
  "torch $("$python" -c 'import torch; print(torch.__version__, "CUDA", torch.version.cuda)')"

prefixes=$torch_prefix
cmake_extra=()
if [[ -n $deb_dir ]]; then
  deps=/tmp/calo3dgan-deps
  rm -rf "$deps" && mkdir -p "$deps/runtime"
  for deb in "$deb_dir"/*.deb; do dpkg-deb -x "$deb" "$deps" || exit 1; done
  # Only libraries the system does not have: the system's own stay in use.
  for lib in "$deps"/usr/lib/x86_64-linux-gnu/lib*.so.*; do
    name=$(basename "$lib")
    if command -v objdump > /dev/null; then
      soname=$(objdump -p "$lib" | awk '/SONAME/ {print $2}')
    else  # Debian names the link that carries the soname lib*.so.N
      [[ $name =~ \.so\.[0-9]+$ ]] && soname=$name || soname=
    fi
    [[ -n $soname && $name == "$soname" ]] || continue
    ldconfig -p | awk '{print $1}' | grep -qxF "$soname" || ln -sf "$lib" "$deps/runtime/$soname"
  done
  export LD_LIBRARY_PATH=$deps/runtime${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  prefixes="$prefixes;$deps/usr"
  cmake_extra+=(-DHDF5_ROOT="$deps/usr/lib/x86_64-linux-gnu/hdf5/serial" -DCMAKE_LIBRARY_ARCHITECTURE=x86_64-linux-gnu)
  stamp "unpacked $(ls "$deb_dir"/*.deb | wc -l) packages; libraries the system lacks: $(ls "$deps/runtime" | wc -l)"
fi
keep_going=-k
if command -v ninja > /dev/null; then
  cmake_extra+=(-G Ninja)
  keep_going="-k 0"
fi

stamp "configure and build ($jobs jobs)"
if [[ $prebuilt == 1 ]]; then
  report PASS "build (--prebuilt: $build_dir as it is)" "-"
elif cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefixes" \
     -DCALO3DGAN_USE_MPI=OFF -DCALO3DGAN_BUILD_TESTS=OFF -DCMAKE_POLICY_VERSION_MINIMUM=3.5 "${cmake_extra[@]}" \
     > "$out/build.log" 2>&1 \
   && cmake --build "$build_dir" -j "$jobs" --target calo3dgan bench_gan -- $keep_going >> "$out/build.log" 2>&1; then
  report PASS "build against $("$python" -c 'import torch; print("torch", torch.__version__)')" \
    "$(grep -c 'Building CXX' "$out/build.log") translation units"
else
  grep -E 'error|Error' "$out/build.log" | head -40
  report FAIL "build" "see build.log"
  exit 1
fi
calo=$build_dir/calo3dgan
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Showers for every check, the same on both devices.
"$calo" -q simulate -o "$work/data" --events 4000 --energy 10:500 --seed 5 > /dev/null || exit 1

# history.json's last epoch: train and test losses with their parts as one
# flat JSON list (`losses RUN totals`: the three training totals alone).
losses() {
  "$python" - "$1" "${2:-all}" <<'EOF'
import json, sys
h = json.load(open(sys.argv[1] + "/history.json"))[-1]
parts = ("discriminator_real", "discriminator_fake", "generator")
if sys.argv[2] == "totals":
    print(json.dumps([round(h["train"][p]["total"], 4) for p in parts]))
else:
    print(json.dumps([v for split in ("train", "test") for p in parts for v in [h[split][p]["total"]] + h[split][p]["parts"]]))
EOF
}
# relative_difference A B: largest |a - b| / max(|a|, |b|, 1e-3) over two
# such lists. The floor: the real showers' ECAL-sum loss is zero in exact
# arithmetic (the discriminator's sum of a shower against the same shower's
# recorded sum) and comes out as round-off near 3e-6, which changes by its
# whole size with the summation order; the other parts of these short runs
# are above 1e-3, where the floor does not act.
relative_difference() {
  "$python" -c 'import json, sys; a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2]); import math
print("%.3g" % max(abs(x - y) / max(abs(x), abs(y), 1e-3) for x, y in zip(a, b)) if len(a) == len(b) and all(map(math.isfinite, a + b)) else "nan")' "$1" "$2"
}
# compare_runs A B BOUND WHAT: report the largest relative difference of two
# runs' losses against BOUND ("-": reported only, finite losses pass); both
# histories are kept in DIR/histories/ for a closer look.
compare_runs() {
  local d r
  mkdir -p "$out/histories"
  cp "$work/$1/history.json" "$out/histories/$1.json"
  cp "$work/$2/history.json" "$out/histories/$2.json"
  d=$(relative_difference "$(losses "$work/$1")" "$(losses "$work/$2")")
  r=FAIL
  if [[ $d != nan ]] && { [[ $3 == - ]] || "$python" -c "import sys; sys.exit(0 if $d < $3 else 1)"; }; then r=PASS; fi
  report $r "$4" "largest relative difference of the losses $d (bound $3)${5:+; $5}"
}
train() {  # train RUN DEVICE PRECISION STEPS|- [extra...]
  local run=$1 device=$2 precision=$3 steps=()
  [[ $4 == - ]] || steps=(--steps "$4")
  shift 4
  "$calo" -q train --config a --data "$work/data" -o "$work/$run" --device "$device" --precision "$precision" \
    --seed 3 --batch 16 "${steps[@]}" --test-events 256 --threads "$jobs" "$@" > "$work/$run.log" 2>&1
}

# One fp32 step from the same weights and draws: the losses on the GPU and on
# the CPU differ only by arithmetic. cuDNN runs fp32 convolutions in TF32
# (10-bit mantissa, unit roundoff 2^-11 = 4.9e-4) by default, so the losses
# differ by a few 1e-4 relative; 1e-2 bounds that with room for the
# accumulation over the 4 (D) and 6 (G) convolutions.
if train cpu1 cpu fp32 1 && train gpu1 "$gpu" fp32 1; then
  compare_runs cpu1 gpu1 1e-2 "one fp32 training step, GPU against CPU (losses and parts, train and test)"
else
  report FAIL "one fp32 training step on GPU and CPU" "$(tail -2 "$work/gpu1.log" "$work/cpu1.log" | tr '\n' ' ')"
fi

# 20 steps in each precision on the GPU: bf16 autocast follows fp32.
if train gpu20 "$gpu" fp32 20 && train gpu20bf "$gpu" bf16 20; then
  compare_runs gpu20 gpu20bf - \
    "20 steps fp32 and bf16 on the GPU: finite losses (their difference is reported, not bounded: two GAN runs drift apart)" \
    "training D real, D fake, G: fp32 $(losses "$work/gpu20" totals), bf16 $(losses "$work/gpu20bf" totals)"
else
  report FAIL "20 training steps on the GPU" "$(tail -2 "$work/gpu20.log" "$work/gpu20bf.log" | tr '\n' ' ')"
fi

# --resume keeps the run's precision and refuses to switch silently.
if train gpu20bf "$gpu" fp32 30 --resume; then
  report FAIL "--resume of a bf16 run with --precision fp32 refuses" "it ran"
elif grep -q precision "$work/gpu20bf.log"; then
  report PASS "--resume of a bf16 run with --precision fp32 refuses" "$(grep -m1 precision "$work/gpu20bf.log")"
else
  report FAIL "--resume of a bf16 run with --precision fp32 refuses" "another error: $(head -1 "$work/gpu20bf.log")"
fi

# Resume on the GPU: epoch 2 of a run stopped after epoch 1 and resumed
# against epoch 2 of one uninterrupted run (10 batches per epoch). On the CPU
# the two are bit-identical; cuDNN may pick backward algorithms that add in a
# varying order, which leaves float-rounding differences (bound 1e-3).
epochs() { train "$1" "$gpu" fp32 - --batches-per-epoch 10 --epochs "$2" "${@:3}"; }
if epochs whole 2 && epochs resumed 1 && epochs resumed 2 --resume; then
  compare_runs whole resumed 1e-3 "resume: epoch 2 after a stop at epoch 1 against epoch 2 of one run, on the GPU"
else
  report FAIL "resume on the GPU" "$(tail -2 "$work/resumed.log" "$work/whole.log" | tr '\n' ' ')"
fi

# Generation: event i's inputs come from the seed, not the device, so the
# showers agree with the CPU's to the arithmetic (TF32, as above).
generate() {  # generate NAME ENGINE DEVICE
  "$calo" -q generate --checkpoint "$work/gpu20" --engine "$2" --device "$3" --precision fp32 -n 512 --seed 7 \
    -o "$work/gen-$1.h5" > "$work/gen-$1.log" 2>&1
}
# compare_showers A B: largest relative difference of the shower sums, and
# the largest cell difference over the largest cell.
compare_showers() {
  "$python" - "$work/gen-$1.h5" "$work/gen-$2.h5" <<'EOF'
import h5py, numpy as np, sys
a, b = (h5py.File(p, "r")["ECAL"][...].astype(np.float64) for p in sys.argv[1:3])
sa, sb = a.sum(axis=(1, 2, 3)), b.sum(axis=(1, 2, 3))
print("%.3g %.3g" % (np.max(np.abs(sa - sb) / np.maximum(np.abs(sa), 1e-12)), np.max(np.abs(a - b)) / np.max(np.abs(a))))
EOF
}
if generate cpu torch cpu && generate gpu torch "$gpu"; then
  read -r sums cells <<< "$(compare_showers cpu gpu)"
  "$python" -c "import sys; sys.exit(0 if $sums < 1e-2 else 1)" && r=PASS || r=FAIL
  report $r "generate --device cuda against --device cpu (libtorch), 512 showers, same seed" "largest relative difference of shower sums $sums (bound 1e-2, TF32 as above); largest cell difference over the largest cell $cells"
else
  report FAIL "generate on the GPU and the CPU" "$(tail -2 "$work/gen-gpu.log" "$work/gen-cpu.log" | tr '\n' ' ')"
fi
# The torch-free engine (oneDNN) in the same process as this libtorch, which
# carries its own oneDNN: the two must not mix. fp32 against fp32 on the CPU,
# where only the summation order differs (a few float epsilons; bound 1e-4).
if generate engine engine cpu; then
  read -r sums cells <<< "$(compare_showers cpu engine)"
  "$python" -c "import sys; sys.exit(0 if $sums < 1e-4 else 1)" && r=PASS || r=FAIL
  report $r "generate --engine engine against --engine torch, fp32 on the CPU, 512 showers" "largest relative difference of shower sums $sums (bound 1e-4); largest cell difference over the largest cell $cells"
else
  report FAIL "generate --engine engine" "$(tail -2 "$work/gen-engine.log" | tr '\n' ' ')"
fi

if [[ $skip_bench == 0 ]]; then
  for precision in fp32 bf16; do
    stamp "side by side with PyTorch on the GPU, $precision"
    if PYTHON=$python bash bench/run_gan_comparison.sh --build-dir "$build_dir" --device "$gpu" --threads "$jobs" \
         --precision "$precision" --batch-a 128 --warmup 5 --steps 20 --gen-batch 1024 --gen-warmup 2 --gen-steps 10 \
         --with-b --batch-b 64 --out-dir "$out/$precision" > "$out/$precision.log" 2>&1; then
      report PASS "side by side, $precision" "$(grep -E '^\| (A|B) ' "$out/$precision/"*.md | head -4 | tr '\n' ' ')"
    else
      report FAIL "side by side, $precision" "$(tail -3 "$out/$precision.log" | tr '\n' ' ')"
    fi
  done
fi
stamp "done: $failures failed"
cat "$out/checks.md"
[[ $failures == 0 ]]
