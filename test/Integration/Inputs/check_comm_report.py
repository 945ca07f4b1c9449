#!/usr/bin/env python3
"""Checks the runtime's per-step communication counters against the compiler.

  check_comm_report.py STATIC.json RUNTIME.jsonl [FUNCTION]
  check_comm_report.py rows RUNTIME.jsonl GROUP BYTES


STATIC.json: `moefold-opt --spmd-comm-report=json=true` of the per-rank
program (one JSON object per function); RUNTIME.jsonl: the executable's
`--comm-report` lines (one per step and rank). For every step and rank, the
(group, kind) pairs with traffic must be exactly those of FUNCTION
(default moefold_train_step), with the same number of calls; bytes must be
equal where the compiler's figure is exact and at most the compiler's bound
where it is data-dependent (ragged all_to_all). Prints one line per step and
rank and a summary; exits 1 on any disagreement.

`rows`: every step, the all_to_all traffic of GROUP summed over the ranks,
bytes sent plus bytes a rank kept for itself, must be exactly BYTES (each
token copy moved once); prints the share of those bytes that left their
rank, and what the naive scheme (`tp` copies of every row) would move is
for the test to state.
"""

import json
import sys


def rows(runtime_path, group, expected):
    expected = int(expected)
    per_step = {}
    with open(runtime_path) as f:
        for line in f:
            rec = json.loads(line)
            for c in rec["collectives"]:
                if c["group"] == group and c["kind"] == "all_to_all":
                    s = per_step.setdefault(rec["step"], [0, 0, set()])
                    s[0] += c["bytes_sent"]
                    s[1] += c["bytes_local"]
                    s[2].add(rec["rank"])
    failed = not per_step
    for step, (sent, local, ranks) in sorted(per_step.items()):
        total = sent + local
        ok = total == expected
        failed |= not ok
        print(f"step {step}: {group} all_to_all over {len(ranks)} ranks: "
              f"{total} bytes ({'==' if ok else '!='} {expected}), "
              f"{sent / total:.3f} of them left their rank"
              + ("" if ok else " FAIL"))
    return 1 if failed else 0


def main():
    if sys.argv[1] == "rows":
        return rows(sys.argv[2], sys.argv[3], sys.argv[4])
    static_path, runtime_path = sys.argv[1], sys.argv[2]
    function = sys.argv[3] if len(sys.argv) > 3 else "moefold_train_step"
    expected = None
    with open(static_path) as f:
        for line in f:
            line = line.strip()
            if not line.startswith("{"):
                continue
            obj = json.loads(line)
            if obj["function"] == function:
                expected = {(c["group"], c["kind"]): c for c in obj["per_call"]}
    if expected is None:
        print(f"FAIL: no report for @{function} in {static_path}")
        return 1
    failures = 0
    lines = 0
    with open(runtime_path) as f:
        for line in f:
            rec = json.loads(line)
            lines += 1
            got = {(c["group"], c["kind"]): c for c in rec["collectives"]}
            where = f"step {rec['step']} rank {rec['rank']}"
            problems = []
            for key in sorted(set(got) | set(expected)):
                e, g = expected.get(key), got.get(key)
                name = "/".join(key)
                if e is None or g is None:
                    problems.append(f"{name}: compiler {'-' if e is None else e['calls']} calls, runtime {'-' if g is None else g['calls']} calls")
                    continue
                if e["calls"] != g["calls"]:
                    problems.append(f"{name}: calls {g['calls']} != {e['calls']}")
                for field in ("bytes_sent", "bytes_received"):
                    bad = g[field] != e[field] if e["exact"] else (e[field] >= 0 and g[field] > e[field])
                    if bad:
                        rel = "==" if e["exact"] else "<="
                        problems.append(f"{name}: {field} {g[field]} not {rel} {e[field]}")
            if problems:
                failures += 1
                print(f"FAIL {where}: " + "; ".join(problems))
            else:
                total = sum(c["bytes_sent"] for c in rec["collectives"])
                print(f"{where}: {len(got)} (group, kind) pairs agree, {total} bytes sent")
    print(f"checked {lines} step/rank lines against @{function}: "
          + ("all agree" if failures == 0 else f"{failures} FAIL"))
    return 1 if failures or lines == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
