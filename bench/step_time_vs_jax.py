#!/usr/bin/env python3
"""Step time of a moefold-compiled executable vs JAX (jit) on the same CPU.

Both sides run the same model (read from the same MLIR), the same batch shape
and AdamW, single rank. The executable is timed from its own per-step JSON
lines (`step_time_s`, else tokens / tokens_per_s), skipping warm-up steps; JAX
is timed around a jitted loss+grad+AdamW step with block_until_ready. Prints
the medians and the ratio jax/moefold (> 1 means moefold is faster).

Usage: step_time_vs_jax.py --exe EXE --model MODEL.mlir [--steps 30]
       [--warmup 5] [--moefold-opt build/bin/moefold-opt] [--threads 1]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "test", "reference"))


def time_executable(exe, steps, warmup, env, tokens_per_step, threads):
    out = subprocess.run([exe, "--steps", str(steps), "--seed", "1",
                          "--threads", str(threads)],
                         capture_output=True, text=True, env=env, check=True)
    times = []
    for line in out.stdout.splitlines():
        rec = json.loads(line)
        if "step_time_s" in rec:
            times.append(rec["step_time_s"])
        elif rec.get("tokens_per_s"):
            times.append(tokens_per_step / rec["tokens_per_s"])
    return statistics.median(times[warmup:])


def time_jax(model_text, steps, warmup):
    import jax
    import jax.numpy as jnp
    import numpy as np
    import moe_jax

    params, ops, args = moe_jax.parse_model(model_text)
    names = sorted(params)
    rng = np.random.default_rng(0)
    weights = [jnp.asarray(rng.standard_normal(params[n][0]) * 0.02,
                           dtype=jnp.float32) for n in names]
    token_shape = None
    for op in ops:  # the loss function's token arguments
        if op.name == "moe.embedding":
            token_shape = op.result_types[0][0][:2]
            break
    vocab = params[[n for n in names if "embed" in n][0]][0][0]
    tokens = jnp.asarray(rng.integers(0, vocab, token_shape), dtype=jnp.int32)
    targets = jnp.asarray(rng.integers(0, vocab, token_shape), dtype=jnp.int32)

    def loss_fn(flat):
        return moe_jax.evaluate(ops, args, [tokens, targets],
                                dict(zip(names, flat)))

    @jax.jit
    def step(flat, m, v, t):
        loss, grads = jax.value_and_grad(loss_fn)(flat)
        b1, b2, lr, eps, wd = 0.9, 0.95, 1e-3, 1e-8, 0.1
        new_flat, new_m, new_v = [], [], []
        for p, g, mi, vi in zip(flat, grads, m, v):
            mi = b1 * mi + (1 - b1) * g
            vi = b2 * vi + (1 - b2) * g * g
            mh = mi / (1 - b1 ** t)
            vh = vi / (1 - b2 ** t)
            new_flat.append(p - lr * (mh / (jnp.sqrt(vh) + eps) + wd * p))
            new_m.append(mi)
            new_v.append(vi)
        return loss, new_flat, new_m, new_v

    m = [jnp.zeros_like(w) for w in weights]
    v = [jnp.zeros_like(w) for w in weights]
    times = []
    for t in range(1, steps + 1):
        start = time.perf_counter()
        loss, weights, m, v = step(weights, m, v, float(t))
        loss.block_until_ready()
        times.append(time.perf_counter() - start)
    return statistics.median(times[warmup:])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--exe", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--moefold-opt",
                    default=os.path.join(HERE, "..", "build", "bin",
                                         "moefold-opt"))
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1,
                    help="CPU threads for both sides (OpenBLAS / XLA)")
    a = ap.parse_args()

    threads = str(a.threads)
    env = dict(os.environ, OPENBLAS_NUM_THREADS=threads, OMP_NUM_THREADS=threads)
    os.environ["XLA_FLAGS"] = (
        "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads="
        + threads if a.threads == 1 else os.environ.get("XLA_FLAGS", ""))
    generic = subprocess.run([a.moefold_opt, a.model, "--mlir-print-op-generic"],
                             capture_output=True, text=True, check=True).stdout
    import moe_jax
    _, ops, _ = moe_jax.parse_model(generic)
    batch = next(op.result_types[0][0] for op in ops
                 if op.name == "moe.embedding")
    ours = time_executable(a.exe, a.steps, a.warmup, env, batch[0] * batch[1],
                           a.threads)
    theirs = time_jax(generic, a.steps, a.warmup)
    print(f"model: {os.path.basename(a.model)}  threads: {a.threads}  "
          f"steps: {a.steps} (first {a.warmup} skipped)")
    print(f"moefold executable median step: {ours * 1e3:.2f} ms")
    print(f"jax.jit (CPU)     median step: {theirs * 1e3:.2f} ms")
    print(f"ratio jax/moefold: {theirs / ours:.2f}x "
          f"({'moefold faster' if ours < theirs else 'jax faster'})")


if __name__ == "__main__":
    main()
