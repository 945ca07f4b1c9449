#!/usr/bin/env bash
# The MoE layer benchmark, moefold vs PyTorch, in one session on one GPU
# (docs/gpu.md). Runs build/bin/moefold-bench-moe-layer, then
# torch_moe_layer.py (eager and torch.compile) with the same flags, appends
# every JSON line to the results file and prints the table of ratios.
#
# Usage: bench/gpu/run.sh [--shape S] [--dtype D] [--iters N] [--warmup N]
# Env:   MOEFOLD_BUILD_DIR     build directory (default ./build)
#        MOEFOLD_BENCH_OUT     results file (default
#                              $BUILD/bench-results/moe_layer-DATE.jsonl)
#        MOEFOLD_BENCH_PYTHON  python with torch (default python3)
# Exit:  0 measured and compared (or, without a GPU, the emulated smoke run
#        passed: nothing measured); 1 a failure; 3 moefold measured but no
#        PyTorch result (torch missing: the message says how to provide it).
set -uo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
PY="${MOEFOLD_BENCH_PYTHON:-python3}"

for a in "$@"; do
  case "$a" in
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next }
                    NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
  esac
done

if ! { command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; }; then
  echo "run.sh: no GPU here (nvidia-smi -L finds none): emulated smoke run" \
       "at the tiny shape only. NOTHING IS MEASURED; no results file written."
  exe="$BUILD/bin/moefold-bench-moe-layer-emulated"
  if [ ! -x "$exe" ]; then
    echo "run.sh: $exe is not built (configure prints which cuda entry" \
         "points the bench still waits for)" >&2
    exit 1
  fi
  echo "+ $exe --shape tiny --iters 2 --warmup 1"
  "$exe" --shape tiny --iters 2 --warmup 1 || exit 1
  echo "run.sh: emulated smoke run passed (host-clock figures, not a measurement)"
  exit 0
fi

exe="$BUILD/bin/moefold-bench-moe-layer"
if [ ! -x "$exe" ]; then
  echo "run.sh: $exe is not built (scripts/gpu-check.sh builds it)" >&2
  exit 1
fi
OUT="${MOEFOLD_BENCH_OUT:-$BUILD/bench-results/moe_layer-$(date +%Y%m%d-%H%M%S).jsonl}"
mkdir -p "$(dirname "$OUT")"
echo "run.sh: results appended to $OUT"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader

echo "+ $exe $*"
"$exe" "$@" | tee -a "$OUT"
rc_moefold=${PIPESTATUS[0]}

echo "+ $PY $HERE/torch_moe_layer.py $*"
# A missing torch fails at import, at once (exit 3); the time limit only
# guards against a hung GPU.
timeout 3600 "$PY" "$HERE/torch_moe_layer.py" "$@" | tee -a "$OUT"
rc_torch=${PIPESTATUS[0]}

echo
python3 "$HERE/ratios.py" "$OUT"
rc_ratios=$?
echo "run.sh: moefold exit $rc_moefold, torch exit $rc_torch, ratios exit $rc_ratios"
[ "$rc_moefold" -eq 0 ] || exit 1
[ "$rc_torch" -eq 3 ] && exit 3
[ "$rc_torch" -eq 0 ] && [ "$rc_ratios" -eq 0 ] || exit 1
exit 0
