#!/usr/bin/env bash
# The one command to run on a GPU machine (docs/gpu.md): configures and builds
# with CUDA on, runs the GPU GoogleTests (ctest -L gpu), the lit tests that
# require the `gpu` feature, and the MoE layer benchmark against PyTorch
# (bench/gpu/run.sh). Prints each command before running it and a summary of
# what ran; exits non-zero if any step failed.
#
# Usage: scripts/gpu-check.sh [--dry-run] [--no-bench] [-- BENCH FLAGS...]
#   --dry-run   print the steps without running them (works without a GPU)
#   --no-bench  skip the benchmark
#   BENCH FLAGS go to bench/gpu/run.sh (e.g. -- --shape mixtral --iters 10)
# Env: MOEFOLD_BUILD_DIR (default ./build), MOEFOLD_JOBS (default nproc),
#      MOEFOLD_BENCH_PYTHON (python with torch for the peer).
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="${MOEFOLD_BUILD_DIR:-$ROOT/build}"
JOBS="${MOEFOLD_JOBS:-$(nproc)}"
LIT=/usr/lib/llvm-22/bin/lit

dry=0
bench=1
bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dry-run) dry=1 ;;
    --no-bench) bench=0 ;;
    --) shift; bench_args=("$@"); break ;;
    -h|--help) awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next }
                    NR > 1 { exit }' "${BASH_SOURCE[0]}"; exit 0 ;;
    *) echo "gpu-check.sh: unknown flag '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done

summary=()
failed=0
# step NAME CMD...: prints and runs CMD, records its outcome.
step() {
  local name="$1"; shift
  echo
  echo "== $name"
  echo "+ $*"
  if [ "$dry" -eq 1 ]; then
    summary+=("$(printf '%-10s %s' 'dry-run' "$name")")
    return 0
  fi
  "$@"
  local rc=$?
  local what=passed
  if [ "$rc" -ne 0 ]; then what="FAILED ($rc)"; failed=1; fi
  summary+=("$(printf '%-10s %s' "$what" "$name")")
  return $rc
}

if [ "$dry" -eq 0 ] && ! { command -v nvidia-smi >/dev/null &&
                          nvidia-smi -L >/dev/null 2>&1; }; then
  echo "gpu-check.sh: no GPU here (nvidia-smi -L finds none). This script is" \
       "for a GPU machine; here the gpu checks would all be skipped." \
       "(--dry-run shows what it runs.)" >&2
  exit 2
fi
[ "$dry" -eq 1 ] || nvidia-smi -L

export CCACHE_DIR="${CCACHE_DIR:-$HOME/.cache/moefold-ccache}"
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$ROOT}"

step "configure (CUDA on)" cmake -G Ninja -S "$ROOT" -B "$BUILD" \
  -DCMAKE_BUILD_TYPE=Release -DMOEFOLD_ENABLE_CUDA=ON \
  -DLLVM_EXTERNAL_LIT="$LIT" || { [ "$dry" -eq 1 ] || exit 1; }
# CUDA on means nvcc was found: the device library and its tests get built.
step "CUDA compiler found" \
  grep -q "^CMAKE_CUDA_COMPILER:.*nvcc" "$BUILD/CMakeCache.txt" ||
  { [ "$dry" -eq 1 ] || exit 1; }
step "build" ninja -C "$BUILD" -j"$JOBS" all || { [ "$dry" -eq 1 ] || exit 1; }

# On a GPU machine a skipped gpu test is a failure, not a pass.
ctest_gpu() {
  local log="$BUILD/gpu-check.ctest.log"
  (cd "$BUILD" && ctest -L gpu --output-on-failure -j1) | tee "$log"
  local rc=${PIPESTATUS[0]}
  if grep -q "Skipped" "$log"; then
    echo "gpu-check.sh: some gpu tests were skipped on a GPU machine" >&2
    return 1
  fi
  if grep -q "No tests were found" "$log"; then
    echo "gpu-check.sh: no test has the gpu label" >&2
    return 1
  fi
  return "$rc"
}
step "ctest -L gpu (none may skip)" ctest_gpu

# lit adds the `gpu` feature where nvidia-smi -L works (test/lit.cfg.py);
# run exactly the tests that require it.
mapfile -t lit_gpu < <(cd "$ROOT/test" && grep -rlE "REQUIRES:.*\bgpu\b" . \
                         --include='*.mlir' --include='*.test' | sort)
if [ "${#lit_gpu[@]}" -eq 0 ]; then
  echo
  echo "== lit (REQUIRES: gpu): no lit test requires gpu yet"
  summary+=("$(printf '%-10s %s' 'none' 'lit tests with the gpu feature')")
else
  step "lit tests with the gpu feature (${#lit_gpu[@]})" \
    "$LIT" -sv "${lit_gpu[@]/#./$BUILD/test}"
fi

if [ "$bench" -eq 1 ]; then
  step "MoE layer benchmark vs PyTorch" \
    bash "$ROOT/bench/gpu/run.sh" "${bench_args[@]}"
fi

echo
echo "== gpu-check summary ($BUILD)"
printf '  %s\n' "${summary[@]}"
exit $failed
