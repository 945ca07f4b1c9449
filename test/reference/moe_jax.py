"""An independent JAX interpreter of the moe dialect (test-only reference).

It reads a model in MLIR's *generic* form (`moefold-opt --mlir-print-op-generic`),
evaluates the function whose result carries `{moe.loss}` with JAX on CPU, and
differentiates it with `jax.grad`. Nothing here shares code with moefold's
kernels or autodiff: the op semantics are re-derived from docs/moe-dialect.md,
so agreement is evidence that both are right.
"""

import json
import re
import struct

import numpy as np

import jax
import jax.numpy as jnp

jax.config.update("jax_enable_x64", True)

# ----------------------------------------------------------------------------
# Reading generic-form MLIR
# ----------------------------------------------------------------------------

_OP_RE = re.compile(
    r'^\s*(?:(?P<results>%[\w#:, ]+?)\s*=\s*)?"(?P<name>[\w.]+)"'
    r'\((?P<operands>[^)]*)\)\s*(?:<\{(?P<props>.*)\}>)?\s*(?:\(\{)?\s*:\s*'
    r'\((?P<intypes>.*?)\)\s*->\s*(?P<outtypes>.*)$')
_TENSOR_RE = re.compile(r"tensor<([\dx]*?)x?(f32|f64|bf16|f16|i32|i64|i1)>")


def _parse_tensor_type(text):
    m = _TENSOR_RE.search(text)
    if not m:
        raise ValueError(f"not a tensor type: {text}")
    dims, elt = m.group(1), m.group(2)
    shape = tuple(int(d) for d in dims.split("x") if d) if dims else ()
    return shape, elt


def _split_props(text):
    """Splits `a = 1 : i64, b = #x<y, z>, c` at top-level commas."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch in "<[({":
            depth += 1
        elif ch in ">])}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append(cur.strip())
            cur = ""
        else:
            cur += ch
    if cur.strip():
        parts.append(cur.strip())
    props = {}
    for part in parts:
        if "=" in part:
            key, value = part.split("=", 1)
            props[key.strip()] = value.strip()
        else:
            props[part] = "unit"
    return props


def _prop_int(props, key):
    return int(props[key].split(":")[0].strip())


def _prop_float(props, key, default=None):
    if key not in props:
        return default
    return float(props[key].split(":")[0].strip())


class Op:
    def __init__(self, name, results, operands, props, result_types):
        self.name = name
        self.results = results
        self.operands = operands
        self.props = props
        self.result_types = result_types


def _expand_results(text):
    """`%17:3` -> ['%17#0', '%17#1', '%17#2']; `%3` -> ['%3']."""
    if text is None:
        return []
    names = []
    for item in text.split(","):
        item = item.strip()
        if ":" in item:
            base, count = item.split(":")
            names += [f"{base}#{i}" for i in range(int(count))]
        else:
            names.append(item)
    return names


def parse_model(text):
    """Returns (params: {name: (shape, dtype)}, loss_fn_ops, arg_names)."""
    params = {}
    ops, args, in_loss_fn, found = [], [], False, False
    for line in text.splitlines():
        if '"moe.param"()' in line:
            props = _split_props(re.search(r"<\{(.*)\}>", line).group(1))
            name = props["sym_name"].strip('"')
            params[name] = _parse_tensor_type(props["type"])
            continue
        if '"func.func"()' in line and "moe.loss" in line:
            in_loss_fn, found = True, True
            continue
        if not in_loss_fn:
            continue
        if line.strip().startswith("^bb0("):
            args = re.findall(r"(%arg\d+):", line)
            continue
        if '"func.return"' in line:
            ops.append(Op("func.return", [],
                          re.findall(r"%[\w#]+", line.split(":")[0]), {}, []))
            in_loss_fn = False
            continue
        m = _OP_RE.match(line)
        if not m:
            continue
        operands = [o.strip() for o in m.group("operands").split(",")
                    if o.strip()]
        props = _split_props(m.group("props") or "")
        out = m.group("outtypes").strip()
        if out.startswith("("):
            out = out[1:-1]
        result_types = [_parse_tensor_type(t) for t in re.findall(
            r"tensor<[^>]*>", out)]
        ops.append(Op(m.group("name"), _expand_results(m.group("results")),
                      operands, props, result_types))
    if not found:
        raise ValueError("no function with a {moe.loss} result")
    return params, ops, args


# ----------------------------------------------------------------------------
# Op semantics (re-derived from docs/moe-dialect.md)
# ----------------------------------------------------------------------------

def _silu(x):
    return x * jax.nn.sigmoid(x)


def _rotary(x, theta):
    """Rotary position embedding of x [b, s, heads, d], written as complex
    multiplication: the half-split pair (x[j], x[j + d/2]) is the complex
    number x[j] + i x[j + d/2], turned by exp(i * pos * theta^(-2j/d)) at
    sequence position pos (Hugging Face's rotate_half convention, with the
    frequencies of its Llama/Mixtral rotary embedding)."""
    s, d = x.shape[1], x.shape[-1]
    half = d // 2
    j = np.arange(half, dtype=np.float64)
    freq = np.exp(-(2.0 * j / d) * np.log(theta))           # theta^(-2j/d)
    angle = np.arange(s, dtype=np.float64)[:, None] * freq  # [s, d/2]
    turn = np.exp(1j * angle)[None, :, None, :]             # [1, s, 1, d/2]
    z = (x[..., :half] + 1j * x[..., half:]) * turn.astype(
        jnp.complex128 if x.dtype == jnp.float64 else jnp.complex64)
    return jnp.concatenate([jnp.real(z), jnp.imag(z)], axis=-1).astype(x.dtype)


def _head_rms_norm(x, w, eps):
    """Qwen3's q_norm / k_norm: RMSNorm of x [b, s, heads, d] over the last
    axis (each head on its own) with the [d] weight shared by the heads."""
    ms = jnp.mean(jnp.square(x), axis=-1, keepdims=True)
    return x / jnp.sqrt(ms + eps) * w


def _attention(q, k, v, num_heads, num_kv_heads, causal, rope_theta=None,
               qk_norm=None, eps=1e-6):
    b, s, _ = q.shape
    d = q.shape[-1] // num_heads
    q = q.reshape(b, s, num_heads, d)
    k = k.reshape(b, s, num_kv_heads, d)
    v = v.reshape(b, s, num_kv_heads, d)
    if qk_norm is not None:  # normalised before the rotation
        q = _head_rms_norm(q, qk_norm[0], eps)
        k = _head_rms_norm(k, qk_norm[1], eps)
    if rope_theta is not None:
        q = _rotary(q, rope_theta)
        k = _rotary(k, rope_theta)
    rep = num_heads // num_kv_heads
    k = jnp.repeat(k, rep, axis=2)  # query head h reads kv head h // rep
    v = jnp.repeat(v, rep, axis=2)
    logits = jnp.einsum("bqhd,bkhd->bhqk", q, k) / jnp.sqrt(d).astype(q.dtype)
    if causal:
        mask = jnp.tril(jnp.ones((s, s), dtype=bool))
        logits = jnp.where(mask, logits, -jnp.inf)
    weights = jax.nn.softmax(logits, axis=-1)
    out = jnp.einsum("bhqk,bkhd->bqhd", weights, v)
    return out.reshape(b, s, num_heads * d)


def _router(x, w, bias, scoring, top_k, renormalize):
    logits = x @ w
    probs = jax.nn.softmax(logits, -1) if scoring == "softmax" else \
        jax.nn.sigmoid(logits)
    select = jax.lax.stop_gradient(probs)
    if bias is not None:
        select = select + jax.lax.stop_gradient(bias)
    _, indices = jax.lax.top_k(select, top_k)  # ties: lower expert id first
    scores = jnp.take_along_axis(probs, indices, axis=-1)
    if renormalize:
        scores = scores / jnp.sum(scores, axis=-1, keepdims=True)
    return scores, indices.astype(jnp.int32), probs


def _dispatch_order(indices, num_experts):
    flat = indices.reshape(-1)
    order = jnp.argsort(flat, stable=True)  # by expert, stable in (t, k)
    sizes = jnp.bincount(flat, length=num_experts).astype(jnp.int32)
    return order, sizes


def _dispatch(x, indices, num_experts, scores=None):
    k = indices.shape[-1]
    order, sizes = _dispatch_order(indices, num_experts)
    rows = x.reshape(-1, x.shape[-1])[order // k]
    if scores is not None:
        # Scores before the experts: copy (t, k) is scores[t, k] * x[t].
        rows = rows * scores.reshape(-1)[order][:, None]
    return rows, sizes


def _experts(rows, sizes, w_gate, w_up, w_down):
    # jax.lax.ragged_dot is JAX's grouped GEMM: rows [N, H] in groups of
    # `sizes` rows, each group times its own [H, F] weight.
    gate = jax.lax.ragged_dot(rows, w_gate, sizes)
    up = jax.lax.ragged_dot(rows, w_up, sizes)
    return jax.lax.ragged_dot(_silu(gate) * up, w_down, sizes)


def _combine(expert_out, indices, scores, num_experts):
    order, _ = _dispatch_order(indices, num_experts)
    row_of = jnp.argsort(order)  # inverse permutation: (t, k) -> sorted row
    b, s, k = indices.shape
    gathered = expert_out[row_of].reshape(b, s, k, -1)
    if scores is None:  # scores were applied before the experts
        return gathered.sum(axis=2)
    return jnp.einsum("bsk,bskh->bsh", scores, gathered)


def _shared_expert(x, w_gate, w_up, w_down, gate):
    out = (_silu(x @ w_gate) * (x @ w_up)) @ w_down
    if gate is not None:
        out = out * jax.nn.sigmoid(x @ gate)
    return out


def _aux_loss(probs, indices, num_experts, coefficient):
    counts = jnp.bincount(indices.reshape(-1), length=num_experts)
    frac = (counts / indices.size).astype(probs.dtype)
    mean_prob = probs.reshape(-1, num_experts).mean(axis=0)
    return coefficient * num_experts * jnp.sum(frac * mean_prob)


def _cross_entropy(logits, targets):
    logp = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(logp, targets[..., None], axis=-1)
    return -jnp.mean(picked)


def _scoring(props):
    return re.search(r"<(\w+)>", props["scoring"]).group(1)


def evaluate(ops, args, inputs, weights):
    env = dict(zip(args, inputs))
    num_experts_of = {}

    def val(name):
        return env[name]

    for op in ops:
        o = [val(x) for x in op.operands]
        p = op.props
        n = op.name
        if n == "func.return":
            return o[0]
        if n == "moe.get_param":
            out = [weights[p["name"].lstrip("@")]]
        elif n == "moe.embedding":
            out = [o[0][o[1]]]
        elif n == "moe.rms_norm":
            eps = _prop_float(p, "epsilon", 1e-6)
            x = o[0]
            out = [x * jax.lax.rsqrt(jnp.mean(x * x, -1, keepdims=True) + eps)
                   * o[1]]
        elif n == "moe.linear":
            out = [o[0] @ o[1]]
        elif n == "moe.attention":
            # Operands 3 and 4, when present, are the q/k norm weights.
            qk_norm = (o[3], o[4]) if len(o) == 5 else None
            out = [_attention(o[0], o[1], o[2], _prop_int(p, "num_heads"),
                              _prop_int(p, "num_kv_heads"), "causal" in p,
                              _prop_float(p, "rope_theta"), qk_norm,
                              _prop_float(p, "epsilon", 1e-6))]
        elif n == "moe.swiglu":
            out = [_silu(o[0]) * o[1]]
        elif n == "moe.router":
            bias = o[2] if len(o) > 2 else None
            out = list(_router(o[0], o[1], bias, _scoring(p),
                               _prop_int(p, "top_k"), "renormalize" in p))
            num_experts_of[op.results[1]] = o[1].shape[-1]
        elif n == "moe.dispatch":
            scores = o[2] if len(o) > 2 else None
            out = list(_dispatch(o[0], o[1], _prop_int(p, "num_experts"),
                                 scores))
        elif n == "moe.experts":
            out = [_experts(*o)]
        elif n == "moe.combine":
            e = num_experts_of.get(op.operands[1])
            out = [_combine(o[0], o[1], o[2] if len(o) > 2 else None, e)]
        elif n == "moe.shared_expert":
            gate = o[4] if len(o) > 4 else None
            out = [_shared_expert(o[0], o[1], o[2], o[3], gate)]
        elif n == "moe.aux_loss":
            out = [_aux_loss(o[0], o[1], _prop_int(p, "num_experts"),
                             _prop_float(p, "coefficient"))]
        elif n == "moe.cross_entropy":
            out = [_cross_entropy(o[0], o[1])]
        elif n == "moe.add":
            out = [o[0] + o[1]]
        elif n == "moe.fill":
            shape, elt = op.result_types[0]
            out = [jnp.full(shape, _prop_float(p, "value"),
                            dtype=jnp.float64 if elt == "f64" else
                            jnp.float32)]
        else:
            raise NotImplementedError(f"reference has no rule for {n}")
        for name, value in zip(op.results, out):
            env[name] = value
    raise ValueError("loss function has no func.return")


def loss_and_grads(model_text, inputs, weights):
    """Loss and d(loss)/d(param) for every parameter the function reads."""
    _, ops, args = parse_model(model_text)
    names = sorted(weights)

    def loss_fn(flat):
        return evaluate(ops, args, inputs, dict(zip(names, flat)))

    flat = [jnp.asarray(weights[n]) for n in names]
    loss, grads = jax.value_and_grad(loss_fn)(flat)
    return float(loss), dict(zip(names, [np.asarray(g) for g in grads]))


# ----------------------------------------------------------------------------
# safetensors, read by hand (no dependency on moefold's reader)
# ----------------------------------------------------------------------------

_DTYPES = {"F32": np.float32, "F64": np.float64, "I32": np.int32,
           "I64": np.int64, "U16": np.uint16, "U32": np.uint32}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = data[8 + n + begin:8 + n + end]
        out[name] = np.frombuffer(raw, dtype=_DTYPES[info["dtype"]]).reshape(
            info["shape"])
    return out
