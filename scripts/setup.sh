#!/usr/bin/env bash
# Install every build, test and plotting dependency from Debian packages.
# Idempotent: does nothing when all packages are already installed.
set -euo pipefail

packages=(
  cmake g++ make ccache pkg-config git
  libtorch-dev libopenblas0-pthread
  libhdf5-dev
  libopenmpi-dev openmpi-bin
  iproute2  # ip, tc: the multi-host fault tests (test/app/MultiHost)
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libdnnl-dev libdeflate-dev libeigen3-dev
  python3 python3-torch python3-h5py python3-matplotlib python3-numpy chromium
  python3-onnx python3-jinja2 python3-pytest
)
# Node.js for ONNX Runtime (below), unless one is already installed.
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)

# ONNX Runtime for the ONNX export tests and benchmark (test/onnx/runtime):
# the npm package onnxruntime-node carries the CPU runtime; --ignore-scripts
# skips its install script, which only downloads GPU binaries.
install_onnx_runtime() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/test/onnx/runtime"
  local want have
  want=$(node -p "require('$dir/package.json').dependencies['onnxruntime-node']")
  have=$(node -p "try { require('$dir/node_modules/onnxruntime-node/package.json').version } catch (e) { '' }")
  if [ "$want" = "$have" ]; then
    echo "setup: onnxruntime-node $have is installed"
    return
  fi
  echo "setup: installing onnxruntime-node $want into test/onnx/runtime"
  (cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund)
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages are installed"
  install_onnx_runtime
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
install_onnx_runtime
