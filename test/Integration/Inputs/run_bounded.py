#!/usr/bin/env python3
"""Runs a command with a wall-clock bound and reports how it ended.

  run_bounded.py SECONDS CMD ARGS...

Prints "exit status: zero" or "exit status: nonzero (N)" and "within bound:
yes" (or "no: killed after SECONDS s") to stdout, after the command's own
output (stdout and stderr merged). The exit status is 0 unless the bound was
exceeded, so a test can FileCheck how a job that must fail failed, and a hang
is a test failure, never a pass.
"""

import subprocess
import sys
import time


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    bound = float(sys.argv[1])
    start = time.monotonic()
    proc = subprocess.Popen(sys.argv[2:], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        out, _ = proc.communicate(timeout=bound)
    except subprocess.TimeoutExpired:
        import os
        import signal
        os.killpg(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate()
        sys.stdout.write(out.decode(errors="replace"))
        print("within bound: no: killed after %g s" % bound)
        return 1
    elapsed = time.monotonic() - start
    sys.stdout.write(out.decode(errors="replace"))
    rc = proc.returncode
    print("exit status: %s" % ("zero" if rc == 0 else "nonzero (%d)" % rc))
    print("within bound: yes (%.1f s)" % elapsed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
