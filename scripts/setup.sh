#!/usr/bin/env bash
# Install every build, test and plotting dependency from Debian packages.
# Idempotent: does nothing when all packages are already installed.
set -euo pipefail

packages=(
  cmake g++ make ccache pkg-config git
  libtorch-dev libopenblas0-pthread
  libhdf5-dev
  libopenmpi-dev openmpi-bin
  libcli11-dev libspdlog-dev libfmt-dev nlohmann-json3-dev libtomlplusplus-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libdnnl-dev libeigen3-dev
  python3 python3-torch python3-h5py python3-matplotlib python3-numpy chromium
  python3-jinja2 python3-pytest python3-onnx iproute2
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "setup: all ${#packages[@]} Debian packages are installed"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
