#!/usr/bin/env bash
# Configures (once) and builds moefold into ${MOEFOLD_BUILD_DIR:-build}.
# Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
JOBS="${MOEFOLD_JOBS:-$(nproc)}"

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/moefold-ccache}"
export CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-2G}"
# Paths relative to the checkout: clones and worktrees share cache hits.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"

if [ ! -f "$BUILD/build.ninja" ]; then
  cmake -G Ninja -S "$ROOT" -B "$BUILD" \
    -DCMAKE_BUILD_TYPE=Release \
    -DLLVM_EXTERNAL_LIT=/usr/lib/llvm-22/bin/lit >"$BUILD.configure.log" 2>&1 || {
      cat "$BUILD.configure.log" >&2; exit 1; }
fi
ninja -C "$BUILD" -j"$JOBS" "$@"
