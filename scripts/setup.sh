#!/usr/bin/env bash
# Installs every system dependency moefold needs on a fresh Debian 12 machine.
# Idempotent: packages already present are skipped, so re-running is cheap.
set -euo pipefail

PACKAGES=(
  llvm-22-dev libmlir-22-dev mlir-22-tools llvm-22-tools
  libopenmpi-dev openmpi-bin libopenblas-dev
  ccache cmake ninja-build g++ libgtest-dev python3
  zlib1g-dev libzstd-dev libedit-dev libxml2-dev libcurl4-openssl-dev
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: all system packages present" >&2
fi

# lit and FileCheck come with llvm-22-tools; fail loudly if the package
# layout ever changes rather than running a partial suite.
for tool in lit FileCheck not count split-file mlir-tblgen; do
  if [ ! -x "/usr/lib/llvm-22/bin/$tool" ]; then
    echo "setup: /usr/lib/llvm-22/bin/$tool is missing after install" >&2
    exit 1
  fi
done

# Test-only Python tools (the independent JAX reference). A registry that
# cannot be reached fails here, loudly: the reference tests never pass
# silently without it.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if ! python3 -c "import jax, numpy" 2>/dev/null; then
  echo "setup: installing test-only Python packages (test/reference/requirements.txt)" >&2
  python3 -m pip install -q -r "$ROOT/test/reference/requirements.txt" || {
    echo "setup: ERROR: could not install jax/numpy from the package registry;" \
         "the independent-reference tests cannot run" >&2
    exit 1
  }
fi

