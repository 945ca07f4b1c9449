"""Checks the --dump-grads files of dump-grads.test against each other."""
import json
import struct
import sys

d = sys.argv[1]


def load(path):
    data = open(path, "rb").read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        fmt = {"F32": "f", "F64": "d", "I32": "i"}[info["dtype"]]
        out[name] = struct.unpack("<%d%s" % ((e - b) // struct.calcsize(fmt), fmt), body[b:e])
    return header, out


gh, grads = load(d + "/g.safetensors")
wh, weights = load(d + "/g.weights.safetensors")
_, batch = load(d + "/g.batch.safetensors")
assert set(grads) == set(weights), "gradients and weights name different tensors"
# The initial weights: norms are ones, normal(0.02) weights are small.
assert all(v == 1.0 for v in weights["final_norm"])
assert 0.005 < max(abs(v) for v in weights["lm_head"]) < 0.2
# The batch is the corpus: targets are the tokens shifted by one.
tok, tgt = batch["tokens"], batch["targets"]
assert list(tok[1:16]) == list(tgt[0:15]), "targets are not the next tokens"
# Embedding rows of tokens absent from the batch get no gradient.
present = set(tok)
emb = grads["embed"]
for v in range(256):
    row = emb[v * 64:(v + 1) * 64]
    assert any(x != 0 for x in row) == (v in present), "row %d" % v
# The loss of step 0 is the dumped one.
first = json.loads(open(d + "/steps.jsonl").readline())
assert abs(float(gh["__metadata__"]["loss"]) - first["loss"]) < 1e-6
print("dump ok")
