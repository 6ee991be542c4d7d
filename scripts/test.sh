#!/usr/bin/env bash
# Set up, build, and run the whole test suite (what CI runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
jobs=${CALO3DGAN_JOBS:-$(nproc)}

# ThreadSanitizer build of the inference library, whose Generator is called
# from many threads at once (docs/inference.md). One OpenMP thread per call:
# libgomp is not instrumented, so its barriers would read as races.
(cd "$root" &&
  { cmake --preset tsan > "$root/build-tsan.configure.log" 2>&1 || { cat "$root/build-tsan.configure.log"; exit 1; }; } &&
  cmake --build --preset tsan-inference -j "$jobs" > "$root/build-tsan.build.log" 2>&1 || { tail -50 "$root/build-tsan.build.log"; exit 1; })
(cd "$root/build-tsan/test/inference" &&
  ./test_inference_Generator --gtest_filter='*concurrent*:*bad_arguments*:*fp32_equals*' --gtest_brief=1 &&
  ./test_inference_ModelFile --gtest_brief=1) || { echo "ThreadSanitizer tests failed"; exit 1; }
echo "ThreadSanitizer build: inference library tests passed"

# ThreadSanitizer of the other multi-threaded torch-free parts: the Monte
# Carlo behind simulate (ParallelFor, one shared simulator), the dataset
# writer's parallel compression, the validation features; and the dataset
# reader that feeds the data loader.
(cd "$root" &&
  cmake --build --preset tsan-threads -j "$jobs" >> "$root/build-tsan.build.log" 2>&1 || { tail -50 "$root/build-tsan.build.log"; exit 1; })
(cd "$root/build-tsan" &&
  ctest --output-on-failure -j "$jobs" --timeout 900 \
    -R '^(base/ParallelFor|mc/ShowerSimulator|io/DatasetWriter|io/DatasetReader|physval/EventFeatures|physval/FeatureDistances)$') ||
  { echo "ThreadSanitizer tests failed"; exit 1; }
echo "ThreadSanitizer build: simulate, ParallelFor, dataset and feature tests passed"

# AddressSanitizer + UndefinedBehaviorSanitizer of the torch-free libraries'
# tests (base, geo, event, mc, io, physval, inference); the torch-using rest
# is run before releases (docs/reliability.md). Leak checks are on.
(cd "$root" &&
  { cmake --preset asan > "$root/build-asan.configure.log" 2>&1 || { cat "$root/build-asan.configure.log"; exit 1; }; } &&
  cmake --build --preset asan-torch-free -j "$jobs" > "$root/build-asan.build.log" 2>&1 || { tail -50 "$root/build-asan.build.log"; exit 1; })
(cd "$root/build-asan" &&
  ctest --output-on-failure -j "$jobs" --timeout 900 -R '^(base|geo|event|mc|io|physval|inference)/' \
    -E '^(base/CommunicatorMpi|physval/Validation|physval/ReportRenders|inference/InstalledLibrary)$') ||
  { echo "AddressSanitizer tests failed"; exit 1; }
echo "AddressSanitizer + UndefinedBehaviorSanitizer build: torch-free library tests passed"

build=${CALO3DGAN_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure -j "$jobs" --timeout 1500 "$@"
