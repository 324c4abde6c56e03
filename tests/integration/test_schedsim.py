"""pod-schedsim replays SWF traces through the controller's scheduler in
virtual time. Small hand-written traces (tests/integration/data/schedsim_*)
have schedules worked out by hand below, for FCFS, EASY and CONSERVATIVE;
a malformed trace is refused with its file and line; a generated trace of
10,000 jobs runs through and adds up."""

import json
import os
import random
import subprocess

from podtest import SOURCE, TempDir, binary, run

DATA = os.path.join(SOURCE, "tests", "integration", "data")


def schedsim(*args):
    """Runs pod-schedsim; returns (exit code, stdout, stderr)."""
    p = subprocess.run([binary("pod-schedsim")] + list(args),
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def replay(trace, *args):
    rc, out, err = schedsim("--trace", os.path.join(DATA, trace), "-o",
                            "json", *args)
    assert rc == 0, err
    return json.loads(out)


def bsld(wait, run):
    """Bounded slowdown with the 10 s threshold."""
    return max(1.0, (wait + run) / max(run, 10.0))


def expect(got, jobs, skipped, refused, waits, runs, accel_s, accels,
           first_submit, last_end):
    """Compares pod-schedsim's summary with a schedule worked out by hand:
    per-job waits and run times (s), accelerator-seconds used."""
    makespan = last_end - first_submit
    want = {
        "jobs": jobs, "skipped": skipped, "refused": refused,
        "makespan_s": makespan,
        "utilisation": accel_s / (accels * makespan),
        "mean_wait_s": sum(waits) / len(waits),
        "max_wait_s": max(waits),
        "mean_bounded_slowdown":
            sum(bsld(w, r) for w, r in zip(waits, runs)) / len(waits),
    }
    for k, v in want.items():
        # figures are printed with at most three decimals
        assert abs(got[k] - v) <= 0.0005 + 1e-9, \
            "%s: got %r, want %r (%r)" % (k, got[k], v, got)


# schedsim_backfill.swf on 2 nodes of 1 accelerator. Job 1 (1 node, 100 s)
# starts at 0. Job 2 (2 nodes, 50 s) comes at 10 and waits for job 1: its
# reservation is at 100. Job 3 (1 node, 30 s) comes at 20.
#   FCFS: job 3 waits behind job 2, which runs 100-150; job 3 150-180.
#         waits 0, 90, 130; makespan 180.
#   EASY: job 3 ends at 50, before the reservation at 100: backfilled at
#         20. waits 0, 90, 0; makespan 150.
#   CONSERVATIVE: the same (job 3's window 20-50 clears job 2's 100-150).
# Job 4 has no run time (skipped), job 5 needs 3 nodes (refused).
# Accelerator-seconds: 100 + 2 x 50 + 30 = 230.
BACKFILL = ("--pods", "1", "--nodes-per-pod", "2", "--accels-per-node", "1")


def test_fcfs_makes_the_short_job_wait():
    expect(replay("schedsim_backfill.swf", *BACKFILL, "--policy", "fcfs"),
           3, 1, 1, [0, 90, 130], [100, 50, 30], 230, 2, 0, 180)


def test_easy_backfills_the_short_job():
    got = replay("schedsim_backfill.swf", *BACKFILL, "--policy", "easy")
    assert got["policy"] == "easy"
    expect(got, 3, 1, 1, [0, 90, 0], [100, 50, 30], 230, 2, 0, 150)


def test_easy_is_the_default_policy():
    got = replay("schedsim_backfill.swf", *BACKFILL)
    assert got["policy"] == "easy" and got["makespan_s"] == 150, got


def test_conservative_backfills_what_delays_nobody():
    expect(replay("schedsim_backfill.swf", *BACKFILL, "--policy",
                  "conservative"),
           3, 1, 1, [0, 90, 0], [100, 50, 30], 230, 2, 0, 150)


def test_map_nodes():
    """--map nodes: processors are whole nodes, here of 8 accelerators:
    the same schedule, every accelerator of a node counted as used."""
    args = ("--pods", "1", "--nodes-per-pod", "2", "--accels-per-node", "8",
            "--map", "nodes")
    expect(replay("schedsim_backfill.swf", *args, "--policy", "easy"),
           3, 1, 1, [0, 90, 0], [100, 50, 30], 8 * 230, 16, 0, 150)
    # with --map accels the same trace asks for 1 or 2 accelerators:
    # everything shares the first node and starts at once
    got = replay("schedsim_backfill.swf", "--nodes-per-pod", "2",
                 "--accels-per-node", "8")
    assert got["mean_wait_s"] == 0 and got["refused"] == 0, got


# schedsim_shared.swf on one node of 4 accelerators. Jobs 1 (2 accel.,
# 100 s) and 2 (2 accel., 50 s) share the node from 0; job 3 (the whole
# node, 10 s) waits for both: reservation at 100. Job 4 (1 accelerator,
# 20 s) comes at 10, when the node is full.
#   FCFS: job 3 runs 100-110, job 4 110-130: waits 0, 0, 100, 100.
#   EASY: at 50 job 2 ends; job 4 ends at 70, before 100: it starts at 50.
#         waits 0, 0, 100, 40; makespan 110.
# Accelerator-seconds: 200 + 100 + 40 + 20 = 360.
SHARED = ("--nodes-per-pod", "1", "--accels-per-node", "4")


def test_shared_jobs_fcfs():
    expect(replay("schedsim_shared.swf", *SHARED, "--policy", "fcfs"),
           4, 0, 0, [0, 0, 100, 100], [100, 50, 10, 20], 360, 4, 0, 130)


def test_shared_jobs_easy_backfill():
    expect(replay("schedsim_shared.swf", *SHARED, "--policy", "easy"),
           4, 0, 0, [0, 0, 100, 40], [100, 50, 10, 20], 360, 4, 0, 110)


# schedsim_limit.swf on 2 nodes of 1 accelerator: job 1 (both nodes, asks
# 200 s, runs 500) is killed at 200; job 2 (1 node, 10 s, no requested
# time) waits from 5 to 200. Accelerator-seconds: 2 x 200 + 10.
def test_killed_at_the_time_limit():
    expect(replay("schedsim_limit.swf", "--nodes-per-pod", "2",
                  "--accels-per-node", "1"),
           2, 0, 0, [0, 195], [200, 10], 410, 2, 0, 210)


def test_jobs_option_reads_only_the_first_jobs():
    got = replay("schedsim_backfill.swf", *BACKFILL, "--jobs", "2")
    assert (got["jobs"], got["skipped"], got["refused"]) == (2, 0, 0), got
    assert got["makespan_s"] == 150, got  # job 2 runs 100-150


def test_text_output():
    """One figure a line, each as precise as it needs: whole numbers
    without decimals, others with at most three."""
    rc, out, err = schedsim("--trace",
                            os.path.join(DATA, "schedsim_backfill.swf"),
                            *BACKFILL, "--policy", "fcfs")
    assert rc == 0, err
    rows = dict(line.split(None, 1) for line in out.splitlines())
    rows = {k: v.strip() for k, v in rows.items()}
    assert rows["policy"] == "fcfs", out
    assert rows["jobs"] == "3", out
    assert rows["makespan_s"] == "180", out          # not 180.000000
    assert rows["max_wait_s"] == "130", out
    assert rows["mean_wait_s"] == "73.333", out      # 220 / 3
    assert rows["utilisation"] == "0.639", out       # 230 / (2 x 180)
    assert rows["mean_bounded_slowdown"] == "3.044", out


def test_json_figures():
    """The JSON has the same figures: whole ones as JSON integers."""
    rc, out, err = schedsim("--trace",
                            os.path.join(DATA, "schedsim_backfill.swf"),
                            *BACKFILL, "--policy", "easy", "-o", "json")
    assert rc == 0, err
    assert '"makespan_s":150,' in out and '"mean_bounded_slowdown":1.6,' \
        in out, out
    got = json.loads(out)
    for k in ("jobs", "skipped", "refused", "makespan_s", "max_wait_s"):
        assert isinstance(got[k], int), (k, out)
    assert got["utilisation"] == 0.767, out


# schedsim_power.swf: see the trace's header. Without a budget job 2 runs
# 10-60 beside job 1 and job 3 waits for a node until 60.
POWER = ("--pods", "1", "--nodes-per-pod", "2", "--accels-per-node", "1",
         "--accel-tdp-w", "700", "--accel-idle-w", "100")


def test_power_budget_admits_what_fits():
    got = replay("schedsim_power.swf", *POWER, "--pod-budget-w", "1000")
    expect(got, 3, 0, 0, [0, 90, 0], [100, 50, 30], 180, 2, 0, 150)
    assert got["power_held"] == 1, got
    assert got["peak_pod_power_w"] == 950, got


def test_without_a_budget_power_holds_nothing():
    got = replay("schedsim_power.swf", *POWER)
    expect(got, 3, 0, 0, [0, 0, 40], [100, 50, 30], 180, 2, 0, 100)
    assert got["power_held"] == 0, got
    assert got["peak_pod_power_w"] == 1400, got


def test_cooling_capacity_admits_too():
    got = replay("schedsim_power.swf", *POWER, "--pod-cooling-w", "1000")
    expect(got, 3, 0, 0, [0, 90, 0], [100, 50, 30], 180, 2, 0, 150)
    assert got["power_held"] == 1, got


def test_malformed_trace_names_file_and_line():
    path = os.path.join(DATA, "schedsim_bad.swf")
    rc, out, err = schedsim("--trace", path)
    assert rc == 1, (rc, out, err)
    assert out == "", out
    assert err.strip() == ("pod-schedsim: %s:3: expected 18 or 19 fields, "
                           "found 12" % path), err


def test_not_a_number_and_missing_file():
    tmp = TempDir("schedsim")
    try:
        bad = tmp.file("nan.swf", "; x\n\n1 0 -1 10 1 -1 -1 1 ten -1 1 1 1"
                       " -1 1 -1 -1 -1\n")
        rc, out, err = schedsim("--trace", bad)
        assert rc == 1 and err.strip() == (
            "pod-schedsim: %s:3: field 9 (requested time) is not a "
            "number: 'ten'" % bad), err
        rc, out, err = schedsim("--trace", tmp.file("none.swf"))
        assert rc == 1 and "No such file" in err, err
    finally:
        tmp.cleanup()


def test_bad_options():
    trace = os.path.join(DATA, "schedsim_backfill.swf")
    for args, words in [
            (["--policy", "lottery"], "--policy: unknown value 'lottery'"),
            (["--map", "cores"], "--map: unknown value 'cores'"),
            (["--accels-per-node", "65"], "--accels-per-node"),
            (["--groups-per-pod", "9", "--nodes-per-pod", "8"],
             "--groups-per-pod"),
            (["-o", "yaml"], "-o: unknown value 'yaml'"),
            ([], "usage: pod-schedsim")]:
        argv = (["--trace", trace] if args else []) + args
        rc, out, err = schedsim(*argv)
        assert rc == 1 and words in err, (args, rc, err)


def test_ten_thousand_jobs_add_up():
    """A generated trace of 10,000 jobs at about 80 % load on one pod:
    every job is accounted for and the figures are consistent."""
    rnd = random.Random(11)
    lines, t = ["; generated"], 0.0
    for j in range(1, 10001):
        t += rnd.expovariate(1 / 348.0)
        procs = rnd.choice([1, 2, 4, 8, 8, 16, 32, 64, 128, 256])
        req = rnd.choice([600, 1800, 3600, 7200, 14400, 43200])
        run_s = max(1, int(req * rnd.random())) if j % 500 else -1
        lines.append("%d %d -1 %d %d -1 -1 %d %d -1 1 1 1 -1 1 -1 -1 -1"
                     % (j, int(t), run_s, procs, procs, req))
    tmp = TempDir("schedsim")
    try:
        trace = tmp.file("big.swf", "\n".join(lines) + "\n")
        got = {}
        for policy in ("fcfs", "easy", "conservative"):
            rc, out, err = schedsim("--trace", trace, "--policy", policy,
                                    "-o", "json")
            assert rc == 0, err
            g = got[policy] = json.loads(out)
            assert g["jobs"] + g["skipped"] + g["refused"] == 10000, g
            assert g["skipped"] == 20 and g["refused"] == 0, g
            assert 0 < g["utilisation"] <= 1, g
            assert g["max_wait_s"] >= g["mean_wait_s"] >= 0, g
            assert g["mean_bounded_slowdown"] >= 1, g
        # on this (fixed) trace backfilling shortens the waits eightfold
        assert got["easy"]["mean_wait_s"] < got["fcfs"]["mean_wait_s"], got
    finally:
        tmp.cleanup()


run([test_fcfs_makes_the_short_job_wait, test_easy_backfills_the_short_job,
     test_easy_is_the_default_policy,
     test_conservative_backfills_what_delays_nobody, test_map_nodes,
     test_shared_jobs_fcfs, test_shared_jobs_easy_backfill,
     test_killed_at_the_time_limit,
     test_jobs_option_reads_only_the_first_jobs, test_text_output,
     test_json_figures,
     test_malformed_trace_names_file_and_line,
     test_not_a_number_and_missing_file, test_bad_options,
     test_ten_thousand_jobs_add_up])
