#!/usr/bin/env python3
"""Compares a multi-rank run with the single-rank run of the same model/seed.

  parity.py grads REF GOT TOL     REF, GOT: --dump-grads files (F.safetensors;
                                  F.weights.safetensors and F.batch.safetensors
                                  beside them). Every tensor of REF is in GOT
                                  with the same dtype and shape; gradients
                                  agree within TOL (norm-wise relative error
                                  per tensor, ||g - r|| / ||r||); the weights
                                  and the batch are identical (bitwise: each
                                  rank initialises and reads exactly its slice
                                  of the single-rank ones).
  parity.py steps REF GOT TOL     REF, GOT: JSON step lines of equally long
                                  runs; every step's loss and grad_norm agree
                                  within TOL (relative).

Prints one line per tensor / quantity and a summary line
  "max relative error: <what> <value>"
and exits non-zero when a bound is exceeded. Pure Python (no numpy).
"""

import array
import json
import math
import struct
import sys

FORMATS = {"F32": "f", "F64": "d", "I32": "i", "I64": "q"}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    base = 8 + n
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        values = array.array(FORMATS[info["dtype"]])
        values.frombytes(data[base + begin:base + end])
        if sys.byteorder != "little":
            values.byteswap()
        tensors[name] = (info["dtype"], tuple(info["shape"]), values,
                         data[base + begin:base + end])
    return tensors, meta


def base_of(path):
    return path[:-len(".safetensors")] if path.endswith(".safetensors") else path


def grads(ref_path, got_path, tol):
    tol = float(tol)
    worst = 0.0
    failed = []
    for suffix, exact in (("", False), (".weights", True), (".batch", True)):
        ref, _ = read_safetensors(base_of(ref_path) + suffix + ".safetensors")
        got, _ = read_safetensors(base_of(got_path) + suffix + ".safetensors")
        for name in sorted(ref):
            rdtype, rshape, rvals, rbytes = ref[name]
            if name not in got:
                failed.append("%s%s: missing" % (name, suffix))
                continue
            gdtype, gshape, gvals, gbytes = got[name]
            if (rdtype, rshape) != (gdtype, gshape):
                failed.append("%s%s: %s %s, expected %s %s" %
                              (name, suffix, gdtype, list(gshape), rdtype,
                               list(rshape)))
                continue
            if exact:
                if rbytes != gbytes:
                    failed.append("%s%s: not identical" % (name, suffix))
                continue
            diff = math.sqrt(sum((a - b) ** 2 for a, b in zip(rvals, gvals)))
            norm = math.sqrt(sum(a * a for a in rvals))
            err = diff / norm if norm > 0 else diff
            worst = max(worst, err)
            print("%s rel_err=%.3e" % (name, err))
            if not err <= tol:
                failed.append("%s: relative error %.3e > %g" % (name, err, tol))
        if exact:
            print("%s identical: %d tensors" % (suffix[1:], len(ref)))
    print("max relative error: gradients %.3e" % worst)
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


def steps(ref_path, got_path, tol):
    tol = float(tol)

    def load(path):
        with open(path) as f:
            return [json.loads(line) for line in f if line.strip()]

    ref, got = load(ref_path), load(got_path)
    if len(ref) != len(got) or not ref:
        print("FAIL %d steps, expected %d" % (len(got), len(ref)))
        return 1
    worst = {"loss": 0.0, "grad_norm": 0.0}
    failed = []
    for r, g in zip(ref, got):
        if r["step"] != g["step"]:
            failed.append("step %s, expected %s" % (g["step"], r["step"]))
            continue
        for key in worst:
            a, b = r.get(key), g.get(key)
            if a is None or b is None:
                if a != b:
                    failed.append("step %d: %s %r, expected %r" %
                                  (r["step"], key, b, a))
                continue
            err = abs(a - b) / max(abs(a), 1e-30)
            worst[key] = max(worst[key], err)
            if not err <= tol:
                failed.append("step %d: %s %.9g, expected %.9g (rel %.3e)" %
                              (r["step"], key, b, a, err))
    print("steps compared: %d" % len(ref))
    for key, v in worst.items():
        print("max relative error: %s %.3e" % (key, v))
    for f in failed:
        print("FAIL " + f)
    return 1 if failed else 0


if __name__ == "__main__":
    commands = {"grads": grads, "steps": steps}
    if len(sys.argv) != 5 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    sys.exit(commands[sys.argv[1]](*sys.argv[2:]))
