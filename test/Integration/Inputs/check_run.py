#!/usr/bin/env python3
"""Checks for the integration tests: JSON step lines and safetensors files.

  check_run.py steps FILE N            N JSON lines, steps consecutive, every
                                       loss and grad_norm finite, applied
  check_run.py initial FILE VOCAB TOL  step 0's loss is within TOL of
                                       ln(VOCAB): near-uniform predictions
                                       from a small random initialisation
  check_run.py drop FILE FRACTION      mean loss of the last 10 steps is at
                                       least FRACTION below step 0's
  check_run.py same A B                the (step, loss, grad_norm) of A and B
                                       are identical (bitwise: same text)
  check_run.py tensors FILE|DIR        prints "name dtype shape" per tensor
                                       and "meta key=value" per metadata entry
                                       (a checkpoint directory: every shard's
                                       tensors and the index's metadata)
  check_run.py reindex DIR             recomputes the sizes and SHA-256 of a
                                       checkpoint's index (after an edit)
  check_run.py setmeta DIR KEY VALUE   sets a metadata entry of the index
  check_run.py reshape SRC DST NAME D0,D1,..
                                       copies a safetensors file, giving NAME
                                       another shape with the same size
"""

import hashlib
import json
import math
import os
import struct
import sys


def read_steps(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def steps(path, n):
    rows = read_steps(path)
    assert len(rows) == int(n), "expected %s steps, got %d" % (n, len(rows))
    first = rows[0]["step"]
    for i, r in enumerate(rows):
        assert r["step"] == first + i, "step %d out of order" % i
        for key in ("loss", "grad_norm", "tokens_per_s"):
            v = r[key]
            assert v is not None and math.isfinite(v), "%s not finite: %r" % (key, r)
        assert r["applied"] is True, "update skipped: %r" % r
    print("steps ok: %d" % len(rows))


def initial(path, vocab, tol):
    first = read_steps(path)[0]["loss"]
    expected = math.log(int(vocab))
    print("step 0 loss %.4f, ln(%s) = %.4f" % (first, vocab, expected))
    assert abs(first - expected) <= float(tol), "step 0 loss too far from ln(V)"


def drop(path, fraction):
    rows = read_steps(path)
    first = rows[0]["loss"]
    last = sum(r["loss"] for r in rows[-10:]) / len(rows[-10:])
    got = 1.0 - last / first
    print("loss %.4f -> %.4f (mean of the last 10): drop %.1f%%" %
          (first, last, 100 * got))
    assert got >= float(fraction), "loss dropped only %.1f%%" % (100 * got)


def same(a, b):
    ra, rb = read_steps(a), read_steps(b)
    assert len(ra) == len(rb), "%d vs %d steps" % (len(ra), len(rb))
    for x, y in zip(ra, rb):
        for key in ("step", "loss", "grad_norm"):
            assert repr(x[key]) == repr(y[key]), "step %d: %s %r != %r" % (
                x["step"], key, x[key], y[key])
    print("identical: %d steps" % len(ra))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    return header, data[8 + n:]


def read_index(path):
    with open(os.path.join(path, "model.safetensors.index.json")) as f:
        return json.load(f)


def write_index(path, index):
    with open(os.path.join(path, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)


def tensors(path):
    if os.path.isdir(path):
        index = read_index(path)
        for fname in sorted(index["files"]):
            header, _ = read_safetensors(os.path.join(path, fname))
            for name, info in header.items():
                if name != "__metadata__":
                    print("%s %s %s" % (name, info["dtype"], "x".join(
                        str(d) for d in info["shape"])))
        for k, v in sorted(index["metadata"].items()):
            print("meta %s=%s" % (k, v))
        return
    header, _ = read_safetensors(path)
    for name, info in header.items():
        if name == "__metadata__":
            for k, v in sorted(info.items()):
                print("meta %s=%s" % (k, v))
        else:
            print("%s %s %s" % (name, info["dtype"],
                                "x".join(str(d) for d in info["shape"])))


def reshape(src, dst, name, dims):
    header, body = read_safetensors(src)
    shape = [int(d) for d in dims.split(",")]
    old = header[name]["shape"]
    assert math.prod(shape) == math.prod(old)
    header[name]["shape"] = shape
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(dst, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + body)


def reindex(path):
    index = read_index(path)
    for fname, info in index["files"].items():
        with open(os.path.join(path, fname), "rb") as f:
            data = f.read()
        info["size"] = len(data)
        info["sha256"] = hashlib.sha256(data).hexdigest()
    write_index(path, index)


def setmeta(path, key, value):
    index = read_index(path)
    index["metadata"][key] = value
    write_index(path, index)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"steps": steps, "initial": initial, "drop": drop, "same": same, "tensors": tensors,
     "reshape": reshape, "reindex": reindex, "setmeta": setmeta}[cmd](*args)
