#!/usr/bin/env python3
"""Table of moefold vs PyTorch from the MoE layer bench's JSON lines.

Usage: ratios.py RESULTS.jsonl

Ratios are throughputs, moefold tokens/s over the peer's (> 1: moefold is
faster), per shape and dtype, from lines of one run on one GPU; plus the
permute / unpermute GB/s of each as a fraction of the same run's
device-to-device copy (bench/gpu/run.sh, docs/gpu.md). Exits 1 when a
moefold line has no peer to compare with, or none is finite.
"""

import json
import sys


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main(argv):
    if len(argv) != 1:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    rows = {}
    with open(argv[0]) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line.startswith("{"):
                continue
            try:
                r = json.loads(line)
            except json.JSONDecodeError as e:
                sys.stderr.write(f"ratios.py: {argv[0]}:{n}: not JSON: {e}\n")
                return 1
            rows[(r["shape"], r["dtype"], r["impl"])] = r
    keys = sorted({(s, d) for (s, d, i) in rows if i == "moefold"})
    if not keys:
        sys.stderr.write(f"ratios.py: {argv[0]}: no moefold results\n")
        return 1
    print("| shape | dtype | moefold ms | TFLOP/s | eager ms | compile ms "
          "| moefold/eager | moefold/compile | permute frac (moefold, eager) "
          "| unpermute frac (moefold, eager) |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    complete = True
    for (s, d) in keys:
        m = rows[(s, d, "moefold")]
        e = rows.get((s, d, "torch-eager"))
        c = rows.get((s, d, "torch-compile"))
        ratio = lambda p: (m["tokens_per_s"] / p["tokens_per_s"]) if p else None
        complete = complete and e is not None and c is not None
        print(f"| {s} | {d} | {fmt(m['layer_ms'], '.3f')} "
              f"| {fmt(m['tflops'], '.1f')} "
              f"| {fmt(e and e['layer_ms'], '.3f')} "
              f"| {fmt(c and c['layer_ms'], '.3f')} "
              f"| {fmt(ratio(e), '.2f')} | {fmt(ratio(c), '.2f')} "
              f"| {fmt(m['permute_frac_memcpy'], '.2f')}, "
              f"{fmt(e and e['permute_frac_memcpy'], '.2f')} "
              f"| {fmt(m['unpermute_frac_memcpy'], '.2f')}, "
              f"{fmt(e and e['unpermute_frac_memcpy'], '.2f')} |")
    devices = sorted({r["device"] for r in rows.values()})
    print(f"\ndevice(s): {'; '.join(devices)}")
    if len(devices) > 1:
        sys.stderr.write("ratios.py: results from more than one device: "
                         "the ratios compare different machines\n")
        return 1
    if not complete:
        sys.stderr.write("ratios.py: some shapes have no PyTorch result (-)\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
