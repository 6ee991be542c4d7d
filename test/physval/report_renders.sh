#!/usr/bin/env bash
# The validation report renders in headless Chromium with every image loaded.
# Uses synthetic metrics.json files (no C++ involved): model A complete, and
# model B with gaps (nulls, an empty bin, a classifier switched off).
#
#   report_renders.sh PLOTS_DIR WORK_DIR
#
# Exit 77 (CTest skip) when Chromium is not installed.
set -euo pipefail
plots=$1
work=$2

if ! command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
  echo "report_renders: chromium is not installed (Debian package chromium); skipping"
  exit 77
fi

# `python3` on PATH may be a pyenv one without the Debian plotting packages.
python=""
for candidate in "${PYTHON3:-}" /usr/bin/python3 python3; do
  if [ -n "$candidate" ] && "$candidate" -c 'import numpy, matplotlib' >/dev/null 2>&1; then
    python=$candidate
    break
  fi
done
if [ -z "$python" ]; then
  echo "report_renders: no python3 with numpy and matplotlib; run scripts/setup.sh" >&2
  exit 1
fi

rm -rf "$work"
mkdir -p "$work"
render() {
  local name=$1
  shift
  "$python" "$plots/make_sample_metrics.py" "$work/$name.json" "$@"
  "$python" "$plots/validation_report.py" "$work/$name.json" "$work/$name" --strict
  "$python" "$plots/check_report.py" "$work/$name/report.html" "$work/$name/screenshot.png"
}
render model_a --family a
render model_b_gaps --family b --gaps
