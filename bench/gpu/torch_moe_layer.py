#!/usr/bin/env python3
"""The PyTorch peer of moefold-bench-moe-layer (docs/gpu.md).

The same MoE layer -- router (softmax or sigmoid, top-k, renormalised),
permute into expert order ((token, k) order within an expert), grouped SwiGLU
experts through torch._grouped_mm, unpermute weighted by the scores -- forward
and backward, in PyTorch eager and under torch.compile, at the same shapes and
dtypes, timed with CUDA events, printed as JSON lines with the bench's fields.

Needs torch and a CUDA GPU and says so (exit 3) when either is missing;
`--describe` prints the shapes' FLOP and byte counts without torch.
"""

import argparse
import json
import math
import os
import statistics
import sys

PROG = "torch_moe_layer.py"

# name: (T, H, F, E, k, scoring) -- as bench/gpu/LayerShape.cpp.
SHAPES = {
    "mixtral": (8192, 4096, 14336, 8, 2, "softmax"),
    "qwen3-30b-a3b": (32768, 2048, 768, 128, 8, "softmax"),
    "deepseek-v3-ep8": (4096, 7168, 2048, 32, 8, "sigmoid"),
    "tiny": (64, 32, 48, 4, 2, "softmax"),
}
ISSUE_SHAPES = ["mixtral", "qwen3-30b-a3b", "deepseek-v3-ep8"]
DTYPE_BYTES = {"bf16": 2, "f32": 4}


def layer_flops(T, H, F, E, k):
    """GEMM FLOPs of forward + backward: 3 x (2TH E + 3 x 2(Tk)HF)."""
    return 6 * T * H * E + 18 * T * k * H * F


def permute_bytes(T, H, k, b):
    return 2 * T * k * H * b


def unpermute_bytes(T, H, k, b):
    return T * k * H * b + T * H * b


def parse_shape(spec):
    if spec == "all":
        return [(n,) + SHAPES[n] for n in ISSUE_SHAPES]
    if spec in SHAPES:
        return [(spec,) + SHAPES[spec]]
    if "=" not in spec:
        raise ValueError(f"unknown shape '{spec}' (all, {', '.join(SHAPES)}, "
                         "or T=..,H=..,F=..,E=..,k=..)")
    vals = {"scoring": "softmax"}
    for item in spec.split(","):
        key, _, value = item.partition("=")
        if key == "scoring":
            if value not in ("softmax", "sigmoid"):
                raise ValueError(f"scoring '{value}' is not softmax or sigmoid")
            vals[key] = value
        elif key in ("T", "H", "F", "E", "k"):
            if not value.isdigit() or int(value) < 1:
                raise ValueError(f"shape {key}='{value}' is not a positive integer")
            vals[key] = int(value)
        else:
            raise ValueError(f"unknown shape key '{key}' (T, H, F, E, k, scoring)")
    missing = [k for k in ("T", "H", "F", "E", "k") if k not in vals]
    if missing:
        raise ValueError(f"custom shape '{spec}' lacks {', '.join(missing)}")
    if vals["k"] > vals["E"]:
        raise ValueError("custom shape: k must be at most E")
    return [("custom", vals["T"], vals["H"], vals["F"], vals["E"], vals["k"],
             vals["scoring"])]


def parse_args(argv):
    p = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0])
    p.add_argument("--shape", default="all",
                   help="all (default), one of %s, or T=..,H=..,F=..,E=..,k=.."
                   % ", ".join(SHAPES))
    p.add_argument("--dtype", default="all", choices=["all", "bf16", "f32"])
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--warmup", type=int, default=3,
                   help="untimed iterations first (torch.compile compiles in "
                   "the first; at least 1)")
    p.add_argument("--mode", default="all", choices=["all", "eager", "compile"])
    p.add_argument("--describe", action="store_true",
                   help="print each shape's FLOP and byte counts; no torch")
    a = p.parse_args(argv)
    if a.iters < 1:
        p.error("--iters must be at least 1")
    if a.warmup < 1:
        p.error("--warmup must be at least 1")
    try:
        a.shapes = parse_shape(a.shape)
    except ValueError as e:
        p.error(f"--shape: {e}")
    a.dtypes = ["bf16", "f32"] if a.dtype == "all" else [a.dtype]
    return a


def describe(args):
    for (name, T, H, F, E, k, scoring) in args.shapes:
        for d in args.dtypes:
            b = DTYPE_BYTES[d]
            print(json.dumps({
                "bench": "moe_layer", "impl": "describe", "shape": name,
                "T": T, "H": H, "F": F, "E": E, "k": k, "scoring": scoring,
                "dtype": d, "flops_per_iter": layer_flops(T, H, F, E, k),
                "permute_bytes": permute_bytes(T, H, k, b),
                "unpermute_bytes": unpermute_bytes(T, H, k, b)}))


def require_torch():
    """Imports torch and checks for a GPU; exits 3 with the reason if not."""
    try:
        import torch
    except ImportError as e:
        sys.stderr.write(
            f"{PROG}: torch is not importable by {sys.executable} ({e}); "
            "nothing measured.\n"
            "  A GPU machine without network access needs torch carried in: on\n"
            "  a networked machine run\n"
            "    pip download torch --only-binary=:all: -d wheels \\\n"
            "      --python-version X.Y --platform manylinux_2_28_x86_64\n"
            "  (X.Y = this machine's Python), copy wheels/ over, then\n"
            "    pip install --no-index --find-links wheels torch\n"
            "  or set MOEFOLD_BENCH_PYTHON to a python that has torch.\n")
        sys.exit(3)
    if not torch.cuda.is_available():
        sys.stderr.write(f"{PROG}: torch {torch.__version__} sees no CUDA GPU; "
                         "nothing measured.\n")
        sys.exit(3)
    return torch


def grouped_mm_refusal(torch, tdt):
    """None when torch._grouped_mm runs in `tdt`, else its error. Its fast
    path is bf16; fp32 needs the fallback of torch >= 2.9. Where refused, the
    experts run as a per-expert loop and the JSON's expert_gemm says so."""
    try:
        a = torch.zeros((32, 16), dtype=tdt, device="cuda")
        b = torch.zeros((2, 16, 16), dtype=tdt, device="cuda")
        offs = torch.tensor([16, 32], dtype=torch.int32, device="cuda")
        torch._grouped_mm(a, b, offs=offs)
        return None
    except (RuntimeError, AttributeError) as e:
        return str(e).splitlines()[0] if str(e) else type(e).__name__


def build_layer(torch, shape, dtype):
    """The layer's inputs (deterministic) and its forward, eager."""
    import torch.nn.functional as Fn
    name, T, H, F, E, k, scoring = shape
    dev = torch.device("cuda")
    tdt = torch.bfloat16 if dtype == "bf16" else torch.float32
    gen = torch.Generator(device=dev)
    gen.manual_seed(20261121)

    def uniform(shape_, scale, grad=True):
        t = (torch.rand(shape_, generator=gen, device=dev) * 2 - 1) * scale
        return t.to(tdt).requires_grad_(grad)

    p = {
        "x": uniform((T, H), 1.0),
        "w_router": uniform((H, E), 1 / math.sqrt(H)),
        "w_gate": uniform((E, H, F), 1 / math.sqrt(H)),
        "w_up": uniform((E, H, F), 1 / math.sqrt(H)),
        "w_down": uniform((E, F, H), 1 / math.sqrt(F)),
        "dout": uniform((T, H), 1.0, grad=False),
    }
    gemm = grouped_mm_refusal(torch, tdt)
    how = ("torch._grouped_mm" if gemm is None
           else f"per-expert torch.mm loop (torch._grouped_mm: {gemm})")

    def experts(xs, counts, offs):
        if gemm is None:
            g = torch._grouped_mm(xs, p["w_gate"], offs=offs)
            u = torch._grouped_mm(xs, p["w_up"], offs=offs)
            return torch._grouped_mm(Fn.silu(g) * u, p["w_down"], offs=offs)
        outs = []
        for e_, part in enumerate(torch.split(xs, counts.tolist())):
            h = Fn.silu(part @ p["w_gate"][e_]) * (part @ p["w_up"][e_])
            outs.append(h @ p["w_down"][e_])
        return torch.cat(outs)

    def forward(x, marks=None):
        def mark(i):
            if marks is not None:
                marks[i].record()
        logits = x @ p["w_router"]
        probs = (torch.softmax(logits.float(), -1) if scoring == "softmax"
                 else torch.sigmoid(logits.float()))
        top, idx = torch.topk(probs, k, dim=-1)
        scores = (top / top.sum(-1, keepdim=True)).to(tdt)
        mark(1)
        flat = idx.reshape(-1)
        order = torch.argsort(flat, stable=True)   # (token, k) within expert
        xs = x.index_select(0, order // k)        # permute
        counts = torch.bincount(flat, minlength=E)
        offs = torch.cumsum(counts, 0, dtype=torch.int32)
        mark(2)
        y = experts(xs, counts, offs)
        mark(3)
        inverse = torch.empty_like(order)
        inverse[order] = torch.arange(order.numel(), device=order.device)
        copies = y.index_select(0, inverse).view(T, k, H)  # unpermute
        out = (copies * scores.unsqueeze(-1)).sum(1)
        mark(4)
        return out, counts

    return p, forward, how


def time_layer(torch, args, shape, dtype, mode):
    name, T, H, F, E, k, scoring = shape
    p, forward, expert_gemm = build_layer(torch, shape, dtype)
    fn = forward if mode == "eager" else torch.compile(forward)
    params = [p[n] for n in ("x", "w_router", "w_gate", "w_up", "w_down")]
    ev = lambda: torch.cuda.Event(enable_timing=True)

    def step(marks=None):
        for t in params:
            t.grad = None  # moefold overwrites its gradients; no accumulation
        if marks is not None:
            marks[0].record()
        out, counts = fn(p["x"], marks if mode == "eager" else None)
        if marks is not None:
            marks[4].record()
        out.backward(p["dout"])
        if marks is not None:
            marks[5].record()
        return out, counts

    for _ in range(args.warmup):
        step()
    layer, fwd, bwd, perm, unperm = [], [], [], [], []
    for _ in range(args.iters):
        marks = [ev() for _ in range(6)]
        out, counts = step(marks)
        marks[5].synchronize()
        layer.append(marks[0].elapsed_time(marks[5]))
        fwd.append(marks[0].elapsed_time(marks[4]))
        bwd.append(marks[4].elapsed_time(marks[5]))
        if mode == "eager":
            perm.append(marks[1].elapsed_time(marks[2]))
            unperm.append(marks[3].elapsed_time(marks[4]))

    # Reference device-to-device copy of the permuted tensor's bytes.
    b = DTYPE_BYTES[dtype]
    src = torch.empty((T * k, H), dtype=p["x"].dtype, device="cuda")
    dst = torch.empty_like(src)
    copies = []
    for i in range(args.iters + 1):
        a, z = ev(), ev()
        a.record()
        dst.copy_(src)
        z.record()
        z.synchronize()
        if i:
            copies.append(a.elapsed_time(z))

    med = statistics.median
    layer_ms = med(layer)
    copy_gbps = 2 * T * k * H * b * 1e-9 / (med(copies) * 1e-3)
    perm_ms = med(perm) if perm else None
    unperm_ms = med(unperm) if unperm else None
    perm_gbps = (permute_bytes(T, H, k, b) * 1e-9 / (perm_ms * 1e-3)
                 if perm_ms else None)
    unperm_gbps = (unpermute_bytes(T, H, k, b) * 1e-9 / (unperm_ms * 1e-3)
                   if unperm_ms else None)
    flops = layer_flops(T, H, F, E, k)
    finite = bool(torch.isfinite(out).all()) and bool(
        torch.isfinite(p["x"].grad).all())
    prop = torch.cuda.get_device_properties(0)
    return {
        "bench": "moe_layer", "impl": f"torch-{mode}",
        "device": f"{prop.name} (sm_{prop.major}{prop.minor}, "
                  f"{prop.total_memory / 2**30:.1f} GiB)",
        "emulated": False, "timing": "cuda-events", "shape": name,
        "T": T, "H": H, "F": F, "E": E, "k": k, "scoring": scoring,
        "dtype": dtype, "warmup": args.warmup, "iters": args.iters,
        "layer_ms": layer_ms, "layer_ms_min": min(layer),
        "fwd_ms": med(fwd), "bwd_ms": med(bwd),
        "tokens_per_s": T / (layer_ms * 1e-3),
        "flops_per_iter": flops, "tflops": flops * 1e-12 / (layer_ms * 1e-3),
        # Under torch.compile the permutes fuse with their neighbours and are
        # not timed on their own.
        "permute_ms": perm_ms, "permute_gbps": perm_gbps,
        "unpermute_ms": unperm_ms, "unpermute_gbps": unperm_gbps,
        "memcpy_gbps": copy_gbps,
        "permute_frac_memcpy": perm_gbps / copy_gbps if perm_gbps else None,
        "unpermute_frac_memcpy":
            unperm_gbps / copy_gbps if unperm_gbps else None,
        "max_group_over_mean": float(counts.max()) * E / (T * k),
        "finite": finite,
        "torch_version": torch.__version__, "expert_gemm": expert_gemm,
    }


def main(argv):
    args = parse_args(argv)
    if args.describe:
        describe(args)
        return 0
    torch = require_torch()
    # Same arithmetic as moefold's cuBLAS calls: no TF32 for fp32.
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    modes = ["eager", "compile"] if args.mode == "all" else [args.mode]
    ok = True
    for shape in args.shapes:
        for dtype in args.dtypes:
            for mode in modes:
                try:
                    row = time_layer(torch, args, shape, dtype, mode)
                except Exception as e:  # report and go on with the others
                    sys.stderr.write(f"{PROG}: {shape[0]} {dtype} {mode}: "
                                     f"{type(e).__name__}: {e}\n")
                    ok = False
                    continue
                finally:
                    torch.cuda.empty_cache()
                print(json.dumps(row), flush=True)
                ok = ok and row["finite"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
