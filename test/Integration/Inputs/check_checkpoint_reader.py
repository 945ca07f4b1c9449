#!/usr/bin/env python3
"""Reads a moefold checkpoint with an independent safetensors reader.

  check_checkpoint_reader.py MODEL_GENERIC.mlir CHECKPOINT.safetensors

The expected names and global shapes come from the model's `moe.param`
declarations (parsed from the IR, not from the checkpoint code): every
parameter must be present with its global shape as F32, with AdamW moments
`adam_m.<name>` / `adam_v.<name>` of the same shape, and every value finite.
The reader is test/reference/moe_jax.py's hand-written one (numpy only).
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "reference"))
import moe_jax  # noqa: E402


def main(model, checkpoint):
    with open(model) as f:
        params, _, _ = moe_jax.parse_model(f.read())
    tensors = moe_jax.read_safetensors(checkpoint)
    for name, (shape, elt) in sorted(params.items()):
        for key in (name, "adam_m." + name, "adam_v." + name):
            assert key in tensors, f"checkpoint lacks '{key}'"
            t = tensors[key]
            assert t.shape == tuple(shape), \
                f"'{key}' has shape {t.shape}, the model says {shape}"
            assert t.dtype == np.float32 and elt == "f32", f"'{key}' dtype"
            assert np.all(np.isfinite(t)), f"'{key}' has non-finite values"
    print(f"independent reader: {len(params)} parameters with their global "
          f"shapes and AdamW moments, {len(tensors)} tensors in all")


if __name__ == "__main__":
    main(*sys.argv[1:])
