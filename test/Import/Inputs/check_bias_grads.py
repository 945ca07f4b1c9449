"""Prints max |gradient| of the expert biases (expected exactly 0) and
whether the router weights got a non-zero gradient."""
import json
import struct
import sys

with open(sys.argv[1], "rb") as f:
    data = f.read()
(n,) = struct.unpack("<Q", data[:8])
header = json.loads(data[8:8 + n])
for name in sorted(k for k in header if k != "__metadata__"):
    info = header[name]
    if info["dtype"] != "F32" or ".mlp.gate." not in name:
        continue
    begin, end = info["data_offsets"]
    raw = data[8 + n + begin:8 + n + end]
    vals = struct.unpack("<%df" % (len(raw) // 4), raw)
    top = max(abs(v) for v in vals)
    if name.endswith("e_score_correction_bias"):
        print("%s max_abs=%g" % (name, top))
    else:
        print("%s %s" % (name, "nonzero" if top > 0 else "zero"))
