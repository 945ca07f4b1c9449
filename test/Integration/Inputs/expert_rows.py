"""Which experts got rows: per routed-expert gradient tensor [E, ...] of a
gradient dump (--dump-grads), the experts whose gradient slice is non-zero.

  expert_rows.py GRADS.safetensors

prints "<name> experts with rows: [i, ...]" per tensor whose name contains
"moe.w_". An expert no token was routed to has an all-zero slice (no rows,
no gradient); used to show that a routing really left some ep ranks without
tokens.
"""

import sys

from parity import read_safetensors


def main(path):
    tensors, _ = read_safetensors(path)
    for name in sorted(tensors):
        if "moe.w_" not in name:
            continue
        _, shape, values, _ = tensors[name]
        block = len(values) // shape[0]
        used = [e for e in range(shape[0])
                if any(v != 0.0 for v in values[e * block:(e + 1) * block])]
        print("%s experts with rows: %s" % (name, used))


if __name__ == "__main__":
    main(sys.argv[1])
