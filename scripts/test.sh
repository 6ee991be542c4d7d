#!/usr/bin/env bash
# Set up, build, and run the whole test suite (what CI runs).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/setup.sh"
"$root/scripts/build.sh"
build=${CALO3DGAN_BUILD_DIR:-$root/build}
cd "$build"
ctest --output-on-failure -j "${CALO3DGAN_JOBS:-$(nproc)}" --timeout 1500 "$@"
