#!/usr/bin/env bash
# The main job on the embedded default: build moefold, verify the example MoE
# model and print its IR, its rank/group tables and its parameter table.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
MODEL="${1:-$ROOT/examples/tiny_moe.mlir}"

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" moefold-opt >&2

echo "== verified IR of $(basename "$MODEL") ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL"
echo "== mesh rank and group tables ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --spmd-print-rank-tables -o /dev/null
echo "== parameters: global and per-rank local shapes ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --moe-print-param-table -o /dev/null
