#!/usr/bin/env python3
"""Checks for the training-experience flags (--log-every, --plot,
--eval-every, --help).

  check_ux.py plot SVG N [E]        SVG is well-formed XML with a loss and a
                                    grad_norm series of N points each and E
                                    eval_loss points (default 0)
  check_ux.py eval FILE N EVERY     FILE has N step lines; exactly the steps s
                                    with (s+1) % EVERY == 0 carry a finite
                                    eval_loss
  check_ux.py progress FILE STEPS EVERY
                                    the progress lines on stderr are for steps
                                    0, EVERY, 2*EVERY, ... and the last one,
                                    each with [done/STEPS] and eta h:mm:ss
  check_ux.py help SOURCE HELP      every flag SOURCE (Options.cpp) accepts
                                    appears in the --help text HELP
  check_ux.py same-eval A B         step 4's eval_loss in A equals the loss of
                                    B's single --eval line
  check_ux.py eval-parity REF GOT TOL
                                    the eval_loss values of REF and GOT agree
                                    within TOL (relative)
  check_ux.py slice SRC DST BEGIN END
                                    copies uint16 tokens [BEGIN, END) of SRC
"""

import json
import math
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


def rows(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def plot(path, n, e="0"):
    root = ET.parse(path).getroot()
    assert root.tag == SVG + "svg", root.tag
    lines = {p.get("class"): p for p in root.iter(SVG + "polyline")}
    for name in ("loss", "grad_norm"):
        pts = lines[name].get("points").split()
        assert len(pts) == int(n), "%s: %d points, expected %s" % (name, len(pts), n)
        for p in pts:
            x, y = (float(v) for v in p.split(","))
            assert math.isfinite(x) and math.isfinite(y)
    evals = [g for g in root.iter(SVG + "g") if g.get("class") == "eval_loss"]
    got = len(list(evals[0].iter(SVG + "circle"))) if evals else 0
    assert got == int(e), "eval_loss: %d points, expected %s" % (got, e)
    texts = [t.text or "" for t in root.iter(SVG + "text")]
    assert any("training" in t for t in texts), "no title"
    assert "step" in texts, "no x-axis label"
    assert sum(1 for t in root.iter(SVG + "line")) >= 4, "no ticks"
    print("plot ok: %s points, %s eval points" % (n, e))


def eval_(path, n, every):
    rs = rows(path)
    assert len(rs) == int(n)
    for r in rs:
        want = (r["step"] + 1) % int(every) == 0
        assert ("eval_loss" in r) == want, "step %d: %r" % (r["step"], r)
        if want:
            assert r["eval_loss"] is not None and math.isfinite(r["eval_loss"])
            assert r["eval_loss"] > 0
    print("eval ok")


def progress(path, steps, every):
    steps, every = int(steps), int(every)
    pat = re.compile(r"^step (\d+)  loss (\S+)  grad_norm (\S+)(?:  eval_loss (\S+))?"
                     r"  tokens/s (\d+)  \[(\d+)/(\d+)\]  eta (\d+):([0-5]\d):([0-5]\d)$")
    got = []
    with open(path) as f:
        for line in f:
            if line.startswith("step "):
                m = pat.match(line.rstrip("\n"))
                assert m, "bad progress line: %r" % line
                assert int(m.group(7)) == steps
                assert int(m.group(6)) == int(m.group(1)) + 1
                for g in (2, 3):
                    assert math.isfinite(float(m.group(g)))
                got.append(int(m.group(1)))
    want = sorted(set(list(range(0, steps, every)) + [steps - 1]))
    assert got == want, "progress at %r, expected %r" % (got, want)
    print("progress ok: %r" % got)


def help_(source, helpfile):
    src = open(source).read()
    flags = set(re.findall(r'"(--[a-z][a-z0-9-]*)"', src))
    text = open(helpfile).read()
    missing = [f for f in sorted(flags) if not re.search(r"^  %s( |$)" % re.escape(f), text, re.M)]
    assert not missing, "not in --help: %r" % missing
    for g in ("run", "data", "optimizer", "checkpoints", "logging", "debugging"):
        assert re.search(r"^%s:$" % g, text, re.M), "no group %s" % g
    print("help ok: %d flags" % len(flags))


def same_eval(a, b):
    ea = [r for r in rows(a) if "eval_loss" in r]
    eb = rows(b)
    assert len(eb) == 1 and eb[0].get("eval") is True
    assert repr(ea[-1]["eval_loss"]) == repr(eb[0]["loss"]), (ea[-1], eb[0])
    print("eval_loss matches the --eval loss of the held-out tokens")


def slice_(src, dst, begin, end):
    data = open(src, "rb").read()
    open(dst, "wb").write(data[2 * int(begin):2 * int(end)])




def eval_parity(ref, got, tol):
    """eval_loss of two runs (1 rank and N ranks) agree within TOL."""
    a = [r for r in rows(ref) if "eval_loss" in r]
    b = [r for r in rows(got) if "eval_loss" in r]
    assert len(a) == len(b) > 0, (len(a), len(b))
    for x, y in zip(a, b):
        assert x["step"] == y["step"]
        rel = abs(x["eval_loss"] - y["eval_loss"]) / abs(x["eval_loss"])
        assert rel <= float(tol), "step %d: %r vs %r" % (x["step"], x, y)
    print("eval parity ok: %d evaluations" % len(a))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"plot": plot, "eval": eval_, "progress": progress, "help": help_,
     "same-eval": same_eval, "slice": slice_, "eval-parity": eval_parity}[cmd](*args)
