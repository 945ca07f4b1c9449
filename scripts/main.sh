#!/usr/bin/env bash
# The main job on the embedded default: install what is missing, build
# moefold, show what the compiler derives for the example MoE model (rank and
# group tables, per-rank parameter shapes), compile it for one rank and for
# world=8 with expert parallelism (dense tp=2 x dp=4, expert ep=4 x edp=2:
# two routed experts per rank, the folded dispatch), train both for a few
# steps on local CPU ranks (mpirun --oversubscribe; loss and grad-norm per
# step), and end with a parity summary against one rank (gradients of every
# parameter at step 0, loss and grad-norm curves).
# Usage: scripts/main.sh [MODEL.mlir] [STEPS] [MESH]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
MODEL="${1:-$ROOT/examples/tiny_moe.mlir}"
STEPS="${2:-20}"
MESH="${3:-world=8,tp=2,ep=4}"
WORLD="$(sed -n 's/.*world=\([0-9]*\).*/\1/p' <<<"$MESH")"
OUT="$BUILD/main-job"
MPIRUN=(env OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
        mpirun --oversubscribe -np "$WORLD")

bash "$ROOT/scripts/setup.sh"
bash "$ROOT/scripts/build.sh" >&2
mkdir -p "$OUT"

echo "== mesh rank and group tables of $(basename "$MODEL") ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --spmd-print-rank-tables -o /dev/null
echo "== parameters: global and per-rank local shapes ==" >&2
"$BUILD/bin/moefold-opt" "$MODEL" --moe-print-param-table -o /dev/null

echo "== compile for 1 rank and for $MESH ==" >&2
"$BUILD/bin/moefold-compile" "$MODEL" --mesh world=1 -o "$OUT/model-1"
"$BUILD/bin/moefold-compile" "$MODEL" --mesh "$MESH" -o "$OUT/model-$WORLD"

echo "== train $STEPS steps on 1 rank ==" >&2
"$OUT/model-1" --steps "$STEPS" --seed 1 --dump-grads "$OUT/grads-1.safetensors" \
  > "$OUT/steps-1.jsonl"
echo "== train $STEPS steps on $WORLD local CPU ranks: mpirun -np $WORLD (JSON per step) ==" >&2
"${MPIRUN[@]}" "$OUT/model-$WORLD" --steps "$STEPS" --seed 1 \
  --dump-grads "$OUT/grads-$WORLD.safetensors" | tee "$OUT/steps-$WORLD.jsonl"

echo "== parity: $MESH vs 1 rank (same model, seed and data) ==" >&2
python3 "$ROOT/test/Integration/Inputs/parity.py" grads \
  "$OUT/grads-1.safetensors" "$OUT/grads-$WORLD.safetensors" 1e-5 | tail -1
python3 "$ROOT/test/Integration/Inputs/parity.py" steps \
  "$OUT/steps-1.jsonl" "$OUT/steps-$WORLD.jsonl" 1e-5 | tail -2
