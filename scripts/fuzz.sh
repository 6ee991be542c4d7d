#!/usr/bin/env bash
# Fuzz the parsers of outside input with libFuzzer (clang++ with its fuzzer
# runtime: Debian's clang and libclang-rt-dev packages), AddressSanitizer and
# UndefinedBehaviorSanitizer. Seeds: fuzz/corpus/<harness>/ (kept in git; new
# findings become regression seeds there). The checkpoint harness links the
# networks and libtorch of the main build (build/, or CALO3DGAN_MAIN_BUILD):
# build its nn library first, or that harness is skipped.
#   scripts/fuzz.sh [SECONDS_PER_HARNESS]     (default 60)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${1:-60}
build=${CALO3DGAN_FUZZ_BUILD:-$root/build-fuzz}
command -v clang++ > /dev/null || { echo "fuzz.sh: clang++ not found — apt-get install clang" >&2; exit 2; }
CC=clang CXX=clang++ cmake -S "$root/fuzz" -B "$build" -DCMAKE_BUILD_TYPE=Release \
  -DCALO3DGAN_MAIN_BUILD="${CALO3DGAN_MAIN_BUILD:-$root/build}" > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log" >&2; exit 1; }
cmake --build "$build" -j"$(nproc)"
for harness in config model_file keras_weights latent_file dataset_reader checkpoint; do
  if [[ ! -x "$build/fuzz_$harness" ]]; then
    echo "== $harness: skipped (not built; see $build.configure.log)"
    continue
  fi
  work=$(mktemp -d)
  cp "$root/fuzz/corpus/$harness/"* "$work/"
  echo "== $harness: $seconds s"
  # Findings (crash-*, timeout-*, oom-*) are written into the current folder.
  LSAN_OPTIONS=suppressions="$root/fuzz/lsan-suppressions.txt" \
  "$build/fuzz_$harness" -max_total_time="$seconds" -malloc_limit_mb=512 -max_len=4096 -timeout=10 \
    -print_final_stats=1 "$work" 2>&1 | grep -E "^(Done|stat::number_of_executed_units|SUMMARY)|ERROR" || true
  rm -rf "$work"
done
