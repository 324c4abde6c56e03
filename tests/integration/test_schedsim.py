"""pod-schedsim replays SWF traces through the controller's scheduler in
virtual time. Small hand-written traces (tests/integration/data/schedsim_*)
have schedules worked out by hand below, for FCFS, EASY and CONSERVATIVE;
a malformed trace is refused with its file and line; a generated trace of
10,000 jobs runs through and adds up. With --config, the controller's
priority weights, QOS and partitions order and place the jobs: tiny traces
written here show each one change what starts first, asserted on the start
times the output gives (submit + wait), not on figures that could match by
chance; the shipped site example runs on a shipped trace and adds up."""

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


def swf_line(job, submit, run_s, procs, user, group, queue=1, part=-1,
             req=None):
    """One SWF line: user, group, queue and partition numbers set."""
    return ("%d %d -1 %d %d -1 -1 %d %d -1 1 %d %d -1 %d %d -1 -1" %
            (job, submit, run_s, procs, procs,
             req if req is not None else run_s, user, group, queue, part))


def replay_conf(tmp, lines, conf, *args):
    """Replays lines under the configuration text conf, per user; returns
    the JSON and {user name: that user's row}."""
    trace = tmp.file("t.swf", "\n".join(lines) + "\n")
    path = tmp.file("c.conf", conf)
    rc, out, err = schedsim("--trace", trace, "--config", path, "--by-user",
                            "-o", "json", *args)
    assert rc == 0, err
    got = json.loads(out)
    return got, {u["user"]: u for u in got["by_user"]}


def starts(users, submits):
    """Start times: each user here has one job, submitted at submits[u]."""
    return {u: submits[u] + users[u]["max_wait_s"] for u in submits}


FCFS_ORDER = """[scheduler]
age_weight_per_h = 1
age_cap_h = 1000
[priority]
weight_operator = 0
"""

# One node of 2 accelerators. Job 1 (u9) holds both until 100. Then job 2
# (u1, both accelerators, submitted at 10) and job 3 (u2, one, at 20)
# compete: in FCFS order job 2 goes first; favouring small jobs, job 3.
TWO = ("--nodes-per-pod", "1", "--accels-per-node", "2")
SIZES = [swf_line(1, 0, 100, 2, 9, 9), swf_line(2, 10, 50, 2, 1, 1),
         swf_line(3, 20, 50, 1, 2, 2)]
SIZE_SUBMITS = {"u1": 10, "u2": 20}


def test_config_jobsize_weight_changes_the_order():
    tmp = TempDir("schedsim")
    try:
        got, users = replay_conf(tmp, SIZES, FCFS_ORDER, *TWO)
        s = starts(users, SIZE_SUBMITS)
        assert s["u1"] < s["u2"], (s, got)
        small = FCFS_ORDER.replace(
            "weight_operator = 0",
            "weight_operator = 0\nweight_jobsize = 1000\n"
            "jobsize_favor = small")
        got, users = replay_conf(tmp, SIZES, small, *TWO)
        s = starts(users, SIZE_SUBMITS)
        assert s["u2"] < s["u1"], (s, got)
        # favouring large jobs is FCFS order again here
        got, users = replay_conf(
            tmp, SIZES, small.replace("= small", "= large"), *TWO)
        s = starts(users, SIZE_SUBMITS)
        assert s["u1"] < s["u2"], (s, got)
        # the same waits in all: only the order changed
        assert got["jobs"] == 3 and got["refused"] == 0, got
    finally:
        tmp.cleanup()


def test_config_qos_weight_and_map():
    """Queue numbers become QOS through --qos-map; with weight_qos the
    job in the higher QOS goes first, and swapping the map swaps the
    order."""
    conf = FCFS_ORDER.replace("weight_operator = 0",
                              "weight_operator = 0\nweight_qos = 1000") + \
        "[qos high]\npriority = 10\n[qos low]\npriority = 0\n" \
        "[scheduler]\ndefault_qos = low\n"
    lines = [swf_line(1, 0, 100, 2, 9, 9), swf_line(2, 10, 50, 2, 1, 1, 1),
             swf_line(3, 20, 50, 2, 2, 2, 2)]
    tmp = TempDir("schedsim")
    try:
        orders = []
        for qmap in ("1=high,2=low", "1=low,2=high"):
            got, users = replay_conf(tmp, lines, conf, *TWO,
                                     "--qos-map", qmap)
            s = starts(users, SIZE_SUBMITS)
            orders.append(s["u1"] < s["u2"])
        assert orders == [True, False], orders
        # without weight_qos the map changes nothing: submission order
        got, users = replay_conf(tmp, lines,
                                 conf.replace("weight_qos = 1000", ""),
                                 *TWO, "--qos-map", "1=low,2=high")
        s = starts(users, SIZE_SUBMITS)
        assert s["u1"] < s["u2"], s
    finally:
        tmp.cleanup()


def test_config_fair_share():
    """One accelerator. Account g1 (u1) used it for 1000 s; then u2 (g1)
    and u3 (g2) wait for it. In FCFS order u2, submitted first, goes
    first; with fair share, u3, whose account used nothing."""
    lines = [swf_line(1, 0, 1000, 1, 1, 1), swf_line(2, 10, 10, 1, 2, 1),
             swf_line(3, 30, 10, 1, 3, 2)]
    subs = {"u2": 10, "u3": 30}
    one = ("--nodes-per-pod", "1", "--accels-per-node", "1")
    tmp = TempDir("schedsim")
    try:
        got, users = replay_conf(tmp, lines, FCFS_ORDER, *one)
        s = starts(users, subs)
        assert s["u2"] < s["u3"], s
        fs = FCFS_ORDER.replace(
            "weight_operator = 0",
            "weight_operator = 0\nweight_fairshare = 1000\nhalf_life_h = 1")
        got, users = replay_conf(tmp, lines, fs, *one)
        s = starts(users, subs)
        assert s["u3"] < s["u2"], s
    finally:
        tmp.cleanup()


def test_config_fair_share_follows_shares():
    """Two accelerators: g1 (u1) and g2 (u4) each use one for 1000 s;
    then u2 (g1) and u3 (g2) each wait for both. With equal shares the
    factors tie and u2, submitted first, goes first; the account given
    more shares (--shares) is further under its share and goes first."""
    lines = [swf_line(1, 0, 1000, 1, 1, 1), swf_line(2, 0, 1000, 1, 4, 2),
             swf_line(3, 10, 10, 2, 2, 1), swf_line(4, 30, 10, 2, 3, 2)]
    subs = {"u2": 10, "u3": 30}
    fs = FCFS_ORDER.replace(
        "weight_operator = 0",
        "weight_operator = 0\nweight_fairshare = 1000\nhalf_life_h = 1")
    tmp = TempDir("schedsim")
    try:
        orders = []
        for shares in ([], ["--shares", "g2=4"], ["--shares", "g1=4"]):
            got, users = replay_conf(tmp, lines, fs, *TWO, *shares)
            s = starts(users, subs)
            orders.append("u2" if s["u2"] < s["u3"] else "u3")
        assert orders == ["u2", "u3", "u2"], orders
    finally:
        tmp.cleanup()


def test_config_qos_limits_hold_jobs():
    """Two single-accelerator jobs of one user on an idle node of two:
    both start at once, unless the QOS allows one running job per user
    (or one accelerator), when the second waits for the first to end."""
    lines = [swf_line(1, 0, 100, 1, 1, 1), swf_line(2, 5, 100, 1, 1, 1)]
    tmp = TempDir("schedsim")
    try:
        got, users = replay_conf(tmp, lines, FCFS_ORDER, *TWO)
        assert got["limit_held"] == 0 and users["u1"]["max_wait_s"] == 0, \
            got
        for limit in ("max_jobs_per_user = 1", "max_accels_per_account = 1"):
            got, users = replay_conf(
                tmp, lines, FCFS_ORDER + "[qos normal]\n" + limit + "\n",
                *TWO)
            assert got["limit_held"] == 1, (limit, got)
            # the second job starts when the first ends, at 0 + 100
            assert users["u1"]["max_wait_s"] == 100 - 5, (limit, got)
        # a job over the QOS's wall time is refused, as at submit
        got, users = replay_conf(
            tmp, lines, FCFS_ORDER + "[qos normal]\nmax_wall_s = 99\n", *TWO)
        assert got["refused"] == 2 and got["jobs"] == 0, got
    finally:
        tmp.cleanup()


def test_config_partitions_are_node_sets():
    """Two pods of one single-accelerator node. Jobs in a partition of
    pod01 share its one node and wait for each other; mapped to a
    partition of both pods, they run side by side. A partition that does
    not allow an account refuses its jobs."""
    lines = [swf_line(1, 0, 100, 1, 1, 1, part=1),
             swf_line(2, 0, 100, 1, 2, 1, part=2)]
    conf = FCFS_ORDER + ("[partition one]\npods = pod01\ndefault = true\n"
                         "[partition both]\nnodes = pod01-n001,pod02-n001\n"
                         "[partition g2only]\ngroups = pod02-g01\n"
                         "accounts = g2\n")
    args = ("--pods", "2", "--nodes-per-pod", "1", "--accels-per-node", "1")
    tmp = TempDir("schedsim")
    try:
        got, users = replay_conf(tmp, lines, conf, *args)
        assert got["mean_wait_s"] > 0 and got["makespan_s"] == 200, got
        got, users = replay_conf(tmp, lines, conf, *args,
                                 "--partition-map", "1=both,2=both")
        assert got["mean_wait_s"] == 0 and got["makespan_s"] == 100, got
        got, users = replay_conf(tmp, lines, conf, *args,
                                 "--partition-map", "1=both,2=g2only")
        assert got["refused"] == 1 and got["jobs"] == 1, got
    finally:
        tmp.cleanup()


def test_config_errors():
    trace = os.path.join(DATA, "schedsim_backfill.swf")
    tmp = TempDir("schedsim")
    try:
        bad = tmp.file("bad.conf", "[controller]\nlisten = x\n"
                       "[priority]\nweight_size = 1\n")
        rc, out, err = schedsim("--trace", trace, "--config", bad)
        assert rc == 1 and err.strip() == (
            "pod-schedsim: %s:4: unknown key 'weight_size' in [priority]"
            % bad), err
        rng = tmp.file("range.conf", "[priority]\nhalf_life_h = -1\n")
        rc, out, err = schedsim("--trace", trace, "--config", rng)
        assert rc == 1 and "%s:2: half_life_h" % rng in err, err
        ok = tmp.file("ok.conf", "[qos normal]\n")
        for args, words in [
                (["--config", ok, "--qos-map", "1=gold"],
                 "--qos-map: no [qos gold] in %s" % ok),
                (["--config", ok, "--partition-map", "1=x"],
                 "--partition-map: no [partition x]"),
                (["--config", ok, "--qos-map", "one=normal"], "--qos-map"),
                (["--config", ok, "--shares", "g99=2"],
                 "--shares: no account g99"),
                (["--qos-map", "1=normal"], "need --config"),
                (["--config", tmp.file("none.conf")], "none.conf")]:
            rc, out, err = schedsim("--trace", trace, *args)
            assert rc == 1 and words in err, (args, rc, err)
        nopod = tmp.file("nopod.conf", "[partition p]\npods = pod07\n")
        rc, out, err = schedsim("--trace", trace, "--config", nopod)
        assert rc == 1 and "%s:2" % nopod in err and "pod07" in err, err
    finally:
        tmp.cleanup()


def test_site_example_on_a_shipped_trace():
    """The recommended site configuration on the first 1,000 jobs of a
    shipped trace: every job accounted for, and the per-user and
    per-account rows add up to the totals."""
    conf = os.path.join(SOURCE, "packaging", "examples",
                        "controller-shared-site.conf")
    trace = os.path.join(SOURCE, "tools", "schedsim", "traces", "pod1.swf")
    rc, out, err = schedsim("--trace", trace, "--config", conf, "--qos-map",
                            "1=short,2=normal,3=long", "--jobs", "1000",
                            "--by-user", "--by-account", "-o", "json")
    assert rc == 0, err
    got = json.loads(out)
    assert got["jobs"] + got["skipped"] + got["refused"] == 1000, got
    assert got["jobs"] > 900, got
    for key, n in (("by_user", "users"), ("by_account", "accounts")):
        rows = got[key]
        assert len(rows) == got[n], (key, got)
        assert sum(r["jobs"] for r in rows) == got["jobs"], (key, got)
        waits = sum(r["mean_wait_s"] * r["jobs"] for r in rows)
        assert abs(waits - got["mean_wait_s"] * got["jobs"]) <= \
            0.0005 * len(rows) + 0.0005 * got["jobs"], (key, got)
        assert max(r["max_wait_s"] for r in rows) == got["max_wait_s"], got
        accel_h = sum(r["accel_h"] for r in rows)
        want = got["utilisation"] * 1024 * got["makespan_s"] / 3600
        assert abs(accel_h - want) <= 0.001 * want + 1, (accel_h, want)
    assert got["large_max_wait_s"] <= got["max_wait_s"], got


def test_swfgen_rewrites_the_shipped_traces():
    """The shipped traces are what swfgen writes with the arguments in
    their headers: the generator is seeded, so the docs can say how to
    write them again."""
    gen = os.path.join(SOURCE, "tools", "schedsim", "swfgen")
    tdir = os.path.join(SOURCE, "tools", "schedsim", "traces")
    for name in sorted(os.listdir(tdir)):
        path = os.path.join(tdir, name)
        with open(path) as f:
            text = f.read()
        note = [l for l in text.splitlines() if l.startswith("; Note: swfgen")]
        assert len(note) == 1, (name, note)
        args = note[0].split()[3:]
        p = subprocess.run([gen] + args, capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0, p.stderr
        assert p.stdout == text, name
        assert len(text) < 1000000, (name, len(text))


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
     test_config_jobsize_weight_changes_the_order,
     test_config_qos_weight_and_map, test_config_fair_share,
     test_config_fair_share_follows_shares,
     test_config_qos_limits_hold_jobs, test_config_partitions_are_node_sets,
     test_config_errors, test_site_example_on_a_shipped_trace,
     test_swfgen_rewrites_the_shipped_traces,
     test_ten_thousand_jobs_add_up])
