"""The dashboard at 100 pods in a real browser: runs
tools/bench/dashboard/run --short, which starts a controller of 100 pods x
128 nodes fed by two pod-fleetsim processes (a leak on one pod, nodes down
on sixty others), submits 300 jobs and runs tests/browser/fabric.test.js in
Debian's Chromium: the fabric view asks only /status and /pods and ranks the
leak pod first with a badge unlike the pods with nodes down, the alarms
view's first row is the critical leak, the jobs view pages. It also times
each view against the bare page; the times are printed, never asserted.
Exits 77 (skipped) without Chromium, node or npm."""

import os
import re
import subprocess
import sys

from podtest import BUILD, SOURCE

OUT = os.path.join(BUILD, "tests", "out", "dashboard-fabric.md")


def main():
    # A fabric-size run, for the plain build: under the sanitizers it
    # takes six minutes of both cores (355 s measured); the routes the
    # dashboard reads run sanitized in test_summaries, at small size.
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        if re.search(r"^POD_SANITIZE:STRING=.+$", f.read(), re.M):
            print("SKIP: a fabric-size run, for the plain build")
            sys.exit(77)
    if os.path.exists(OUT):
        os.remove(OUT)
    p = subprocess.run([sys.executable, os.path.join(
        SOURCE, "tools", "bench", "dashboard", "run"), "--short", "--out",
        OUT], timeout=600)
    if p.returncode != 0:
        print("0 passed, 1 failed" if p.returncode != 77 else "skipped")
        sys.exit(p.returncode)
    with open(OUT) as f:
        text = f.read()
    if "## Dashboard at 100 pods" not in text or "| fabric | current |" \
            not in text:
        print("the bench wrote no table:\n" + text)
        print("0 passed, 1 failed")
        sys.exit(1)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
