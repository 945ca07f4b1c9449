#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build
# moefold, show what the compiler derives for the example MoE model (its
# rank/group tables and per-rank parameter shapes), compile it into a
# training executable and train it for a few steps on a local CPU rank.
# Usage: scripts/main.sh [MODEL.mlir] [STEPS]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
MODEL="${1:-$ROOT/examples/tiny_moe.mlir}"
STEPS="${2:-20}"
OUT="$BUILD/main-job"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" >&2
mkdir -p "$OUT"

echo "== mesh rank and group tables of $(basename "$MODEL") ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --spmd-print-rank-tables -o /dev/null
echo "== parameters: global and per-rank local shapes ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --moe-print-param-table -o /dev/null
echo "== compile: moefold-compile $(basename "$MODEL") --mesh world=1 ==" >&2
"$BUILD/bin/moefold-compile" "$MODEL" --mesh world=1 -o "$OUT/model"
echo "== train $STEPS steps on 1 CPU rank (one JSON line per step) ==" >&2
"$OUT/model" --steps "$STEPS" --seed 1
