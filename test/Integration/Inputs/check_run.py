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
  check_run.py tensors FILE            prints "name dtype shape" per tensor
                                       and "meta key=value" per metadata entry
  check_run.py reshape SRC DST NAME D0,D1,..
                                       copies a safetensors file, giving NAME
                                       another shape with the same size
"""

import json
import math
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


def tensors(path):
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


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"steps": steps, "initial": initial, "drop": drop, "same": same, "tensors": tensors,
     "reshape": reshape}[cmd](*args)
