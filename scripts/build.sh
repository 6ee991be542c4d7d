#!/usr/bin/env bash
# Configure and build calo3dgan in build/ (Release). Extra arguments go to cmake --build (e.g. --target calo3dgan).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${CALO3DGAN_BUILD_DIR:-$root/build}
jobs=${CALO3DGAN_JOBS:-$(nproc)}
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release ${CALO3DGAN_CMAKE_ARGS:-} > "$build.configure.log" 2>&1 \
  || { cat "$build.configure.log"; exit 1; }
cmake --build "$build" -j "$jobs" "$@"
