#!/usr/bin/env python3
"""Reads a moefold checkpoint directory with an independent reader.

  check_checkpoint_reader.py MODEL_GENERIC.mlir CKDIR WEIGHTS.safetensors

Independent of the runtime: the safetensors reader is test/reference/
moe_jax.py's (numpy only), checksums are Python's hashlib, and the expected
Hugging Face names and layouts are written here from docs/import.md's table:

- the index is the Hugging Face sharded format (weight_map) plus
  optimizer_map and files {name: {size, sha256}}, every size and SHA-256
  matches, every tensor is in the file the index names and in no other;
- every moe.param of the model (parsed from the IR) is present under its
  Hugging Face name(s): [in, out] linear weights transposed to [out, in],
  [1, N] biases as [N], stacked [E, H, F] experts as E tensors
  ...experts.<e>.<proj>.weight of [F, H]; each with adam_m./adam_v. moments
  of the same names and shapes in the optimizer files;
- reassembled into moefold's layout, every parameter equals the same
  parameter in WEIGHTS (a --dump-grads weights file of the same state),
  so the transposes are checked value for value.
"""

import hashlib
import json
import os
import re
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "reference"))
import moe_jax  # noqa: E402

# docs/import.md: hand-written models (examples/tiny_moe.mlir) get
# Mixtral-style names.
EXAMPLE = {
    "attn_norm": "input_layernorm.weight",
    "attn.wq": "self_attn.q_proj.weight",
    "attn.wk": "self_attn.k_proj.weight",
    "attn.wv": "self_attn.v_proj.weight",
    "attn.wo": "self_attn.o_proj.weight",
    "moe_norm": "post_attention_layernorm.weight",
    "moe.router": "block_sparse_moe.gate.weight",
    "moe.w_gate": "block_sparse_moe.experts.w1.weight",
    "moe.w_up": "block_sparse_moe.experts.w3.weight",
    "moe.w_down": "block_sparse_moe.experts.w2.weight",
    "shared.w_gate": "block_sparse_moe.shared_expert.gate_proj.weight",
    "shared.w_up": "block_sparse_moe.shared_expert.up_proj.weight",
    "shared.w_down": "block_sparse_moe.shared_expert.down_proj.weight",
}
TOP = {"embed": "model.embed_tokens.weight", "final_norm": "model.norm.weight",
       "lm_head": "lm_head.weight"}


def hf_name(name):
    if name in TOP:
        return TOP[name]
    m = re.fullmatch(r"layers\.(\d+)\.(.*)", name)
    if m and m.group(2) in EXAMPLE:
        return f"model.layers.{m.group(1)}.{EXAMPLE[m.group(2)]}"
    return name


def exports(name, shape):
    """[(hf name, function global array -> exported array)]."""
    base = hf_name(name)
    if len(shape) == 3:  # stacked routed experts
        head, tail = base.split(".experts.", 1)
        return [(f"{head}.experts.{e}.{tail}", lambda a, e=e: a[e].T)
                for e in range(shape[0])]
    if len(shape) == 2 and "embed" not in base:
        if shape[0] == 1 and base.endswith(".bias"):
            return [(base, lambda a: a.reshape(-1))]
        return [(base, lambda a: a.T)]
    return [(base, lambda a: a)]


def main(model, ckdir, weights_path):
    with open(model) as f:
        params, _, _ = moe_jax.parse_model(f.read())
    with open(os.path.join(ckdir, "model.safetensors.index.json")) as f:
        index = json.load(f)
    files = index["files"]
    tensors, where = {}, {}
    for fname, info in sorted(files.items()):
        path = os.path.join(ckdir, fname)
        data = open(path, "rb").read()
        assert len(data) == info["size"], f"{fname}: size"
        assert hashlib.sha256(data).hexdigest() == info["sha256"], \
            f"{fname}: sha256"
        for k, v in moe_jax.read_safetensors(path).items():
            assert k not in tensors, f"'{k}' is written twice"
            tensors[k], where[k] = v, fname
    maps = {**index["weight_map"], **index["optimizer_map"]}
    assert set(maps) == set(tensors), "index and shards list other tensors"
    for k, fname in maps.items():
        assert where[k] == fname, f"'{k}' is in {where[k]}, index says {fname}"
        assert fname.startswith("model-" if k in index["weight_map"]
                                else "optimizer-"), f"'{k}' in {fname}"
    weights = moe_jax.read_safetensors(weights_path)
    count = 0
    for name, (shape, elt) in sorted(params.items()):
        expect = weights[name]
        assert expect.shape == tuple(shape), f"dump of '{name}'"
        rebuilt = np.zeros_like(expect)
        for hf, export in exports(name, shape):
            assert hf in index["weight_map"], f"checkpoint lacks '{hf}'"
            t = tensors[hf]
            want = export(expect)
            assert t.shape == want.shape, \
                f"'{hf}' has shape {t.shape}, expected {want.shape}"
            assert np.array_equal(t, want), f"'{hf}' differs from '{name}'"
            for role in ("adam_m.", "adam_v."):
                assert tensors[role + hf].shape == t.shape, role + hf
                assert np.all(np.isfinite(tensors[role + hf])), role + hf
            export(rebuilt)[...] = t  # views: writes into rebuilt
            count += 1
        assert np.array_equal(rebuilt, expect), f"'{name}' reassembled"
    print(f"independent reader: {len(params)} parameters as {count} Hugging "
          f"Face tensors in {len(files)} files, checksums and values match; "
          f"total_size {index['metadata']['total_size']}")
    for hf in sorted(index["weight_map"]):
        print(f"tensor {hf} {'x'.join(map(str, tensors[hf].shape))} "
              f"{index['weight_map'][hf]}")


if __name__ == "__main__":
    main(*sys.argv[1:])
