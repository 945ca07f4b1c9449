#!/usr/bin/env python3
"""Compares a moefold executable's gradient dump with JAX on CPU.

Usage: check_against_jax.py MODEL_GENERIC.mlir GRADS.safetensors
           --weights W.safetensors --batch B.safetensors [--loss L] [--rtol R]

For every parameter, the error is max|ours - jax| / max|jax| (a norm-wise
relative error that stays meaningful for tensors with tiny entries); the
largest one must be <= rtol. Prints one line per parameter and a summary
line; exits 1 on disagreement, 2 on unusable input.
"""

import argparse
import json
import sys

import numpy as np

import moe_jax


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("model")
    ap.add_argument("grads")
    ap.add_argument("--weights", required=True)
    ap.add_argument("--batch", required=True)
    ap.add_argument("--loss", type=float, help="loss the executable printed")
    ap.add_argument("--loss-jsonl",
                    help="the executable's JSON step log; step 0's loss is used")
    ap.add_argument("--rtol", type=float, default=1e-4)
    a = ap.parse_args()

    if a.loss_jsonl:
        with open(a.loss_jsonl) as f:
            a.loss = json.loads(f.readline())["loss"]
    with open(a.model) as f:
        text = f.read()
    weights = moe_jax.read_safetensors(a.weights)
    batch = moe_jax.read_safetensors(a.batch)
    ours = moe_jax.read_safetensors(a.grads)
    if "tokens" not in batch or "targets" not in batch:
        print("error: batch file needs 'tokens' and 'targets'", file=sys.stderr)
        return 2
    params, _, _ = moe_jax.parse_model(text)
    missing = sorted(set(params) - set(weights))
    if missing:
        print(f"error: weights file lacks {missing[:3]}", file=sys.stderr)
        return 2

    loss, ref = moe_jax.loss_and_grads(
        text, [batch["tokens"], batch["targets"]],
        {k: weights[k] for k in params})
    worst = 0.0
    for name in sorted(params):
        if name not in ours:
            print(f"error: gradient dump lacks '{name}'", file=sys.stderr)
            return 2
        g, r = ours[name].astype(np.float64), ref[name].astype(np.float64)
        if g.shape != r.shape:
            print(f"error: '{name}' has shape {g.shape}, reference {r.shape}",
                  file=sys.stderr)
            return 2
        scale = max(np.abs(r).max(), 1e-30)
        err = float(np.abs(g - r).max() / scale)
        worst = max(worst, err)
        print(f"{name:40s} rel_err={err:.3e}")
    if a.loss is not None:
        loss_err = abs(a.loss - loss) / abs(loss)
        print(f"loss ours={a.loss:.8f} jax={loss:.8f} rel_err={loss_err:.3e}")
        worst = max(worst, loss_err)
    ok = worst <= a.rtol
    print(f"jax reference: max relative error {worst:.3e} "
          f"(tolerance {a.rtol:.0e}): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
