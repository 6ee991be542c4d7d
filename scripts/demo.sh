#!/usr/bin/env bash
# The main job, end to end on the embedded defaults: set up, build, simulate a
# small dataset with the shower Monte Carlo, and inspect it.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/demo}
"$root/scripts/setup.sh"
"$root/scripts/build.sh" --target calo3dgan
calo="${CALO3DGAN_BUILD_DIR:-$root/build}/calo3dgan"

echo "== simulate: 2,000 electrons, 2-500 GeV, fixed angle (25x25x25)"
"$calo" simulate -o "$out/data-a" --events 2000 --energy 2:500 --format a --events-per-file 1000 --seed 1 --overwrite
echo "== simulate: 1,000 electrons, 100-200 GeV, 60-120 degrees (51x51x25)"
"$calo" simulate -o "$out/data-b" --events 1000 --energy 100:200 --theta 60:120 --format b --seed 2 --overwrite
echo "== inspect"
"$calo" inspect "$out/data-a"
"$calo" inspect "$out/data-b"
echo "demo finished: datasets in $out"
