#!/usr/bin/env python3
"""Smoke test of the MoE layer bench (ctest, label unit; docs/gpu.md).

--bench EXE: the emulated bench's flags and errors, and one run at a tiny
custom shape: its JSON lines carry every field, and flops_per_iter equals the
hand-computed count below.
--torch-script PY: the PyTorch peer's flags and errors, its FLOP and byte
counts (--describe) against the same hand-computed numbers, its refusal
without torch or a GPU, and ratios.py on a hand-written results file.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

# T=16, H=8, F=12, E=4, k=2 by hand:
#   router   6·T·H·E      = 6·16·8·4       =  3072
#   experts  18·T·k·H·F   = 18·16·2·8·12   = 55296
FLOPS_BY_HAND = 58368
#   permute  2·T·k·H·4 B (f32) = 2048; unpermute (T·k·H + T·H)·4 B = 1536
PERMUTE_BYTES_F32, UNPERMUTE_BYTES_F32 = 2048, 1536
SHAPE = "T=16,H=8,F=12,E=4,k=2"

FIELDS = ["bench", "impl", "device", "emulated", "timing", "shape", "T", "H",
          "F", "E", "k", "scoring", "dtype", "warmup", "iters", "layer_ms",
          "layer_ms_min", "fwd_ms", "bwd_ms", "tokens_per_s",
          "flops_per_iter", "tflops", "permute_ms", "permute_gbps",
          "unpermute_ms", "unpermute_gbps", "memcpy_gbps",
          "permute_frac_memcpy", "unpermute_frac_memcpy",
          "max_group_over_mean", "finite"]

failures = []


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures.append(what)


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def json_lines(text):
    return [json.loads(l) for l in text.splitlines() if l.startswith("{")]


def check_bench(exe, dtypes):
    rc, out, err = run([exe, "--help"])
    check(rc == 0 and "usage: moefold-bench-moe-layer" in out, "bench --help")
    for args, msg in [
            (["--bogus"], "unknown flag '--bogus'"),
            (["--iters", "0"], "--iters: '0' is not an integer"),
            (["--iters"], "--iters needs a value"),
            (["--shape", "nope"], "unknown shape 'nope'"),
            (["--shape", "T=4,H=8"], "lacks T, H, F, E or k"),
            (["--dtype", "f64"], "--dtype: 'f64' is not all, bf16 or f32")]:
        rc, out, err = run([exe] + args)
        check(rc == 2 and msg in err and not out,
              f"bench {' '.join(args)}: exit 2, '{msg}' (got {rc}: {err.strip()})")

    rc, out, err = run([exe, "--shape", SHAPE, "--iters", "2", "--warmup", "1",
                        "--dtype", dtypes if "," not in dtypes else "all"])
    check(rc == 0, f"bench run at {SHAPE}: exit 0 (got {rc}: {err.strip()})")
    rows = json_lines(out)
    want = dtypes.split(",")
    check([r.get("dtype") for r in rows] == want,
          f"one JSON line per dtype {want} (got {len(rows)})")
    for r in rows:
        d = r.get("dtype")
        missing = [f for f in FIELDS if f not in r]
        check(not missing, f"{d}: every field present (missing {missing})")
        check(r.get("flops_per_iter") == FLOPS_BY_HAND,
              f"{d}: flops_per_iter {r.get('flops_per_iter')} == {FLOPS_BY_HAND}")
        check(r.get("emulated") is True and r.get("timing") == "host-clock",
              f"{d}: marked emulated, host-clock")
        check((r.get("T"), r.get("H"), r.get("F"), r.get("E"), r.get("k")) ==
              (16, 8, 12, 4, 2), f"{d}: shape echoed")
        check(r.get("finite") is True, f"{d}: outputs finite")
        # 32 copies over 4 experts: the largest group holds 8..32 of them.
        check(1.0 <= (r.get("max_group_over_mean") or 0) <= 4.0,
              f"{d}: max_group_over_mean in [1, E]")
        for f in ("layer_ms", "tokens_per_s", "tflops", "memcpy_gbps",
                  "permute_gbps", "unpermute_gbps"):
            check(isinstance(r.get(f), (int, float)) and r[f] > 0,
                  f"{d}: {f} positive")


def check_torch(script):
    py = sys.executable
    rc, out, err = run([py, script, "--describe", "--shape", SHAPE,
                        "--dtype", "f32"])
    rows = json_lines(out)
    check(rc == 0 and len(rows) == 1, "torch --describe: one line")
    if rows:
        r = rows[0]
        check(r["flops_per_iter"] == FLOPS_BY_HAND,
              f"torch flops_per_iter {r['flops_per_iter']} == {FLOPS_BY_HAND}")
        check((r["permute_bytes"], r["unpermute_bytes"]) ==
              (PERMUTE_BYTES_F32, UNPERMUTE_BYTES_F32), "torch byte counts")
    for args, msg in [(["--bogus"], "unrecognized arguments: --bogus"),
                      (["--shape", "T=4"], "lacks H, F, E, k"),
                      (["--iters", "0"], "--iters must be at least 1"),
                      (["--dtype", "f64"], "invalid choice: 'f64'")]:
        rc, out, err = run([py, script] + args)
        check(rc == 2 and msg in err, f"torch {' '.join(args)}: exit 2, '{msg}'")
    rc, out, err = run([py, script, "--help"])
    check(rc == 0 and "--describe" in out, "torch --help")

    rc, out, err = run([py, script, "--shape", "tiny", "--iters", "1",
                        "--warmup", "1", "--mode", "eager"])
    if rc == 3:
        check("nothing measured" in err and not json_lines(out),
              "torch refuses without torch or GPU: exit 3, says so, no JSON")
        if "not importable" in err:
            check("--no-index" in err, "the refusal says how to carry torch in")
    else:  # torch and a GPU are here: the run must produce the fields
        rows = json_lines(out)
        check(rc == 0 and len(rows) == 2, "torch run at tiny: two lines")
        for r in rows:
            missing = [f for f in FIELDS if f not in r]
            check(not missing, f"torch {r['dtype']}: fields (missing {missing})")

    # ratios.py on results written by hand: moefold twice eager's tokens/s,
    # half compile's.
    ratios = os.path.join(os.path.dirname(script), "ratios.py")
    base = {"shape": "tiny", "dtype": "bf16", "device": "GPU X",
            "layer_ms": 1.0, "tflops": 1.0, "permute_frac_memcpy": 0.5,
            "unpermute_frac_memcpy": 0.25}
    lines = [dict(base, impl="moefold", tokens_per_s=2000.0),
             dict(base, impl="torch-eager", tokens_per_s=1000.0,
                  permute_frac_memcpy=0.75),
             dict(base, impl="torch-compile", tokens_per_s=4000.0,
                  permute_frac_memcpy=None, unpermute_frac_memcpy=None)]
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        f.write("not json: a log line\n")
        for l in lines:
            f.write(json.dumps(l) + "\n")
    rc, out, err = run([py, ratios, f.name])
    row = [l for l in out.splitlines() if l.startswith("| tiny | bf16")]
    check(rc == 0 and len(row) == 1 and "| 2.00 | 0.50 |" in row[0]
          and "| 0.50, 0.75 |" in row[0],
          f"ratios.py: 2.00 vs eager, 0.50 vs compile, permute fractions "
          f"(got {row})")
    with open(f.name, "w") as g:
        g.write(json.dumps(lines[0]) + "\n")
    rc, out, err = run([py, ratios, f.name])
    check(rc == 1 and "no PyTorch result" in err,
          "ratios.py: exit 1 when PyTorch results are missing")
    os.unlink(f.name)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--bench")
    p.add_argument("--dtypes", default="bf16,f32",
                   help="the dtypes the bench run is expected to produce")
    p.add_argument("--torch-script")
    a = p.parse_args()
    if a.bench:
        check_bench(a.bench, a.dtypes)
    if a.torch_script:
        check_torch(a.torch_script)
    print(f"{len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
