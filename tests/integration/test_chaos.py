"""tools/chaos (docs/reliability.md): the controller and agents killed and
cut off under load, and the checks that no job is lost or run twice.

- The checks themselves, on hand-made records: two attempts of one job
  overlapping on two nodes, an attempt started twice, an attempt still
  running when the next starts, and their harmless look-alikes (attempts
  one after the other, two ranks of one attempt at once); the same for the
  attempts the database lists.
- A short run: 3 rounds with a fixed seed whose plan has every kind of
  fault (controller SIGKILL, agent SIGKILL restarted at once and after the
  fence timeout, agent cut off by the proxy and by SIGSTOP), on 4 real
  agents and a pod of pod-fleetsim nodes; its faults must fence and
  requeue running attempts, and it must find no violation.
- The same tool with a duplicate injected (a second process of a running
  attempt, as a node that wrongly ran it too): it must say so and exit 1.
"""

import importlib.machinery
import importlib.util
import os
import random
import re
import subprocess
import sys

from podtest import SOURCE, TempDir, run

TOOL = os.path.join(SOURCE, "tools", "chaos")
AGENTS, SEED, ROUNDS = 4, 9, 3


def load_tool():
    loader = importlib.machinery.SourceFileLoader("chaos", TOOL)
    spec = importlib.util.spec_from_loader("chaos", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


chaos = load_tool()


def r(job, attempt, node, start, end, rank=0, pid=None, alive=False):
    """A run as the watcher keeps it: its end from its end record."""
    run_ = chaos.Run(job, attempt, rank, node, pid or 1000 + 10 * attempt +
                     rank + (0 if node.endswith("1") else 5), start)
    run_.end_rec = end
    run_.alive = alive
    return run_


# (what, runs, how many violations, a word each must have)
RUN_CASES = [
    ("two attempts overlapping on two nodes",
     [r(7, 1, "pod01-n001", 1000, 5000), r(7, 2, "pod01-n002", 4000, 6000)],
     1, "job 7"),
    ("attempt 2 after attempt 1 ended",
     [r(7, 1, "pod01-n001", 1000, 5000), r(7, 2, "pod01-n002", 5001, 6000)],
     0, None),
    ("attempt 1 killed, no end record, still alive at the last scan",
     [r(7, 1, "pod01-n001", 1000, None, alive=True),
      r(7, 2, "pod01-n002", 4000, None, alive=True)], 1, "job 7"),
    ("attempt 1 seen alive by a scan after attempt 2 started",
     [r(7, 1, "pod01-n001", 1000, None), r(7, 2, "pod01-n002", 4000, 6000)],
     1, "job 7"),
    ("one attempt started twice, one after the other",
     [r(8, 1, "pod01-n001", 1000, 2000),
      r(8, 1, "pod01-n002", 3000, 4000)], 1, "started twice"),
    ("two ranks of one attempt at once",
     [r(9, 1, "pod01-n001", 1000, 5000, rank=0),
      r(9, 1, "pod01-n002", 1000, 5000, rank=1)], 0, None),
    ("two jobs at once on one node",
     [r(10, 1, "pod01-n001", 1000, 5000), r(11, 1, "pod01-n001", 1000, 5000)],
     0, None),
]


def test_run_checks():
    for what, runs, count, word in RUN_CASES:
        if what.startswith("attempt 1 seen alive"):
            runs[0].last_alive = 4500  # a scan saw it after 4000
        found = chaos.run_conflicts(runs, now=10000)
        assert len(found) == count, (what, found)
        for key, text in found:
            assert word in text, (what, text)
            assert key == chaos.key(*runs), (what, key)


def test_bad_records_are_reported():
    """A record the watcher cannot read is a violation, not the end of the
    watcher (whose thread would die unseen)."""
    tmp = TempDir("chaos-records")
    try:
        path = tmp.file("records",
                        "start 6 1 0 pod01-n001 6054 1000 11.0 term\n"
                        "end 6 1 0 pod01-n001 6054  exit\n"
                        "end 6 1 0 pod01-n001 6054 3000 term\n"
                        "start 7 1 0 pod01-n002\n")
        w = chaos.Watcher(path, {})
        w.read_records()
        assert [t for _, t in w.violations] == [
            "bad record 'end 6 1 0 pod01-n001 6054  exit'",
            "bad record 'start 7 1 0 pod01-n002'"], w.violations
        assert [(x.job, x.start, x.end_rec, x.end_how) for x in w.runs] == \
            [(6, 1000, 3000, "term")], w.runs
    finally:
        tmp.cleanup()


def test_requeue_gaps():
    runs = [r(7, 1, "pod01-n001", 1000, 5000), r(7, 2, "pod01-n002", 5500,
                                                   9000),
            r(7, 3, "pod01-n001", 8000, None, alive=True),
            r(8, 1, "pod01-n003", 1000, 2000)]
    assert chaos.requeue_gaps(runs, now=10000) == [-1.0, 0.5]


def test_live_checks():
    a1 = r(7, 1, "pod01-n001", 1000, None, alive=True)
    a2 = r(7, 2, "pod01-n002", 4000, None, alive=True)
    other = r(8, 1, "pod01-n003", 1000, None, alive=True)
    ranks = [r(9, 1, "pod01-n001", 1000, None, rank=k, alive=True)
             for k in (0, 1)]
    twice = [r(10, 1, "pod01-n001", 1000, None, alive=True),
             r(10, 1, "pod01-n002", 1200, None, alive=True)]
    assert [t for _, t in chaos.live_conflicts([a1, a2, other])] == \
        ["job 7: processes alive at once: 7.1 rank 0 on pod01-n001 "
         "(pid 1010), 7.2 rank 0 on pod01-n002 (pid 1025)"]
    assert chaos.live_conflicts([a1, other] + ranks) == []
    assert len(chaos.live_conflicts(twice)) == 1


def attempt(n, node, start, end):
    return {"attempt": n, "nodes": [node], "start": start, "end": end}


# (what, attempts, violations)
ATTEMPT_CASES = [
    ("requeued after the end", [
        attempt(1, "pod01-n001", "2026-05-01T12:00:00.000Z",
                "2026-05-01T12:00:06.000Z"),
        attempt(2, "pod01-n002", "2026-05-01T12:00:07.000Z", None)], 0),
    ("attempt 2 before attempt 1 ended", [
        attempt(1, "pod01-n001", "2026-05-01T12:00:00.000Z",
                "2026-05-01T12:00:06.000Z"),
        attempt(2, "pod01-n002", "2026-05-01T12:00:05.000Z", None)], 1),
    ("attempt 2 while attempt 1 has no end", [
        attempt(1, "pod01-n001", "2026-05-01T12:00:00.000Z", None),
        attempt(2, "pod01-n002", "2026-05-01T12:00:05.000Z", None)], 1),
    ("attempt 2 placed, not started", [
        attempt(1, "pod01-n001", "2026-05-01T12:00:00.000Z", None),
        attempt(2, "pod01-n002", None, None)], 0),
]


def test_attempt_checks():
    for what, atts, count in ATTEMPT_CASES:
        found = chaos.attempt_conflicts({"id": 3, "attempts": atts})
        assert len(found) == count, (what, found)
        assert all("job 3" in f for f in found), (what, found)


def tool(*args, timeout=200):
    p = subprocess.run([sys.executable, TOOL] + list(args),
                       capture_output=True, text=True, timeout=timeout)
    print(p.stdout[-4000:], end="", flush=True)
    return p.returncode, p.stdout + p.stderr


def summary(out, what):
    m = re.search(r"^  %s +(\d+)" % what, out, re.M)
    assert m is not None, "no %r in the summary:\n%s" % (what, out)
    return int(m.group(1))


def test_the_plan_has_every_fault():
    """The short run's seed gives every kind of fault in its rounds."""
    rng = random.Random(SEED)
    names = ["pod01-n%03d" % (i + 1) for i in range(AGENTS)]
    kinds = set()
    for k in range(ROUNDS):
        kinds |= {f[1] for f in chaos.plan_round(rng, k, names)}
    assert kinds == set(chaos.FAULTS) | {"controller-kill"}, kinds


def test_short_run():
    rc, out = tool("--rounds", str(ROUNDS), "--seed", str(SEED),
                   "--agents", str(AGENTS), "--fleet-pods", "1",
                   "--nodes-per-pod", "8")
    assert rc == 0, "tools/chaos failed (%d):\n%s" % (rc, out)
    assert summary(out, "violations") == 0, out
    assert summary(out, "rounds") == ROUNDS, out
    assert summary(out, "controller kills") == ROUNDS, out
    assert summary(out, "agent kills") >= 2, out
    assert summary(out, "agents cut off") >= 2, out
    assert summary(out, "jobs") >= AGENTS, out
    # the faults longer than the fence timeout hit running jobs, which
    # were fenced and requeued
    assert summary(out, "agent faults") >= 3, out
    m = re.search(r"(\d+) of them requeued attempts", out)
    assert m is not None and int(m.group(1)) >= 1, out
    assert "VIOLATION" not in out, out


def test_a_duplicate_is_found():
    rc, out = tool("--rounds", "1", "--seed", str(SEED), "--agents", "2",
                   "--fleet-pods", "0", "--inject", "duplicate")
    assert rc == 1, "tools/chaos missed the duplicate (%d):\n%s" % (rc, out)
    assert re.search(r"VIOLATION .*job \d+: (processes alive at once|"
                     r"attempt \d+ rank \d+ started twice)", out), \
        out
    assert summary(out, "violations") >= 1, out


run([test_run_checks, test_bad_records_are_reported, test_requeue_gaps,
     test_live_checks, test_attempt_checks, test_the_plan_has_every_fault,
     test_short_run, test_a_duplicate_is_found])
