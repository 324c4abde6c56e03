"""A shared site's scheduling, end to end: a controller and eight real
pod-agentd processes (two pods of four nodes), driven with podctl and HTTP.
QOS limits hold jobs with Slurm's reason names and hold nothing else; what
can never run is refused naming the limit; a partition keeps its jobs on
its pods; a job of a QOS that preempts another requeues the fewest of
those jobs and starts; the multifactor priority shows in `podctl prio` as
the sum of its factors, and orders the queue; a maintenance reservation
keeps long jobs off its pod while short ones still run there; fair share
ranks the account that used less above the one that used more.
"""

import datetime
import json

from podtest import Agent, Controller, TempDir, podctl, run, wait_for

NODES = ["pod%02d-n%03d" % (p, i) for p in (1, 2) for i in range(1, 5)]
tmp = TempDir("tenancy")
ctl = Controller(tmp, heartbeat_s=6, extra=(
    "[fabric]\npods = 2\nnodes_per_pod = 4\ngroups_per_pod = 2\n"
    "[scheduler]\nkill_grace_s = 1\n"
    "[priority]\nweight_jobsize = 1000\njobsize_favor = small\n"
    "weight_qos = 10000\nweight_operator = 1\nweight_fairshare = 100\n"
    "[qos normal]\nmax_jobs_per_user = 2\n"
    "[qos low]\npriority = 0\n"
    "[qos high]\npriority = 100\npreempt = low\n"
    "[qos debug]\nmax_wall_s = 600\n"
    "[partition all]\npods = pod01,pod02\ndefault = true\n"
    "[partition second]\npods = pod02\ndefault_time_s = 120\n")).start()
agents = {n: Agent(tmp, ctl.url, n).start() for n in NODES}


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def ok(*args, env=None):
    """Runs podctl, which must succeed; its output."""
    rc, stdout, err = podctl(ctl.url, *args, env=env)
    assert rc == 0, (args, rc, stdout, err)
    return stdout


def submit(*args, env=None):
    return int(ok("submit", *args, env=env).strip())


def refused(*args):
    """Runs podctl, which must fail; its stderr."""
    rc, stdout, err = podctl(ctl.url, *args)
    assert rc != 0, (args, stdout)
    return err


def wait_state(jid, state, timeout=40):
    return wait_for("job %s %s" % (jid, state),
                    lambda: job(jid)["state"] == state and job(jid),
                    timeout=timeout)


def cancel_all():
    for j in ctl.api("GET", "/jobs?state=pending,running")[1]["jobs"]:
        ctl.api("DELETE", "/jobs/%d" % j["id"])
    wait_for("every job ended", lambda: not ctl.api(
        "GET", "/jobs?state=pending,running")[1]["jobs"], timeout=40)
    wait_for("8 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 8, timeout=40)


def test_fleet_up():
    wait_for("8 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 8, timeout=30)


def test_qos_limit_holds_with_slurms_reason():
    # normal allows a user two running jobs: two start, two wait with
    # Slurm's reason although nodes are free; another user's job runs
    ids = [submit("-N", "1", "-t", "10m", "--", "sleep", "600")
           for _ in range(4)]
    wait_for("two running", lambda: sum(
        job(i)["state"] == "running" for i in ids) == 2, timeout=30)
    held = [job(i) for i in ids if job(i)["state"] == "pending"]
    assert len(held) == 2, held
    wait_for("the held jobs' reason", lambda: all(
        job(h["id"])["reason"] == "QOSMaxJobsPerUserLimit" for h in held))
    # the limit is per user: nobody's job starts beside them
    other = submit("-N", "1", "-t", "10m", "-D", "/tmp", "--", "sleep",
                   "600", env={"POD_TOKEN": ctl.token("nobody", "viewer")})
    wait_state(other, "running")
    table = ok("jobs", "--state", "pending")
    assert table.count("QOSMaxJobsPerUserLimit") == 2, table
    # a running one ends: a held one takes its place
    ok("cancel", str([i for i in ids if job(i)["state"] == "running"][0]))
    wait_for("a held job started", lambda: sum(
        job(h["id"])["state"] == "running" for h in held) == 1, timeout=30)
    cancel_all()


def test_what_can_never_run_is_refused():
    err = refused("submit", "-q", "debug", "-N", "1", "-t", "1h", "--",
                  "true")
    assert "max_wall_s" in err and "QOSMaxWallDurationPerJobLimit" in err, \
        err
    for opt, name, word in (("-q", "gold", "QOS"),
                            ("-p", "gpu", "partition"),
                            ("-A", "physics", "account")):
        err = refused("submit", opt, name, "-N", "1", "--", "true")
        assert "unknown %s '%s'" % (word, name) in err, (opt, err)
    # bigger than its partition: never, naming the partition
    err = refused("submit", "-p", "second", "-N", "5", "--within",
                  "fabric", "--", "true")
    assert "partition 'second'" in err, err


def test_partition_default_time_limit():
    jid = submit("-p", "second", "-q", "low", "-N", "1", "--", "true")
    assert job(jid)["time_limit_s"] == 120, job(jid)
    jid = submit("-q", "low", "-N", "1", "--", "true")
    assert job(jid)["time_limit_s"] == 3600, job(jid)
    cancel_all()


def test_partition_keeps_its_jobs_on_its_pods():
    ids = [submit("-p", "second", "-q", "low", "-N", "2", "-t", "10m", "--",
                  "sleep", "600") for _ in range(3)]
    wait_for("two running", lambda: sum(
        job(i)["state"] == "running" for i in ids) == 2, timeout=30)
    nodes = [n for i in ids for n in job(i)["nodes"]]
    assert sorted(nodes) == [n for n in NODES if n.startswith("pod02")], \
        nodes
    # pod01 is idle, yet the third waits for its partition's nodes
    third = [job(i) for i in ids if job(i)["state"] == "pending"][0]
    assert third["reason"] == "Resources", third
    assert len(ctl.api("GET", "/nodes?pod=pod01&state=idle")[1]["nodes"]) \
        == 4
    rows = [l.split() for l in ok("jobs", "--noheader", "-O",
                                  "id,account,qos,partition").splitlines()]
    assert sorted(r for r in rows if int(r[0]) in ids) == sorted(
        [str(i), "root", "low", "second"] for i in ids), rows
    cancel_all()


def test_preemption_requeues_the_fewest_lower_jobs():
    low = [submit("-q", "low", "-N", "2", "-t", "30m", "--", "sleep", "600")
           for _ in range(4)]
    wait_for("the fabric full of low jobs", lambda: all(
        job(i)["state"] == "running" for i in low), timeout=30)
    high = submit("-q", "high", "-N", "2", "-t", "10m", "--", "sleep", "600")
    wait_state(high, "running", timeout=40)
    preempted = [i for i in low if job(i)["attempt"] == 1
                 and job(i)["state"] == "pending"]
    untouched = [i for i in low if job(i)["state"] == "running"]
    assert len(preempted) == 1 and len(untouched) == 3, \
        [job(i) for i in low]
    attempts = job(preempted[0])["attempts"]
    assert attempts[0]["ended_by"] == "preempted", attempts
    # its nodes are the high job's now
    assert set(attempts[0]["nodes"]) == set(job(high)["nodes"]), \
        (attempts, job(high))
    cancel_all()


def test_priority_factors_order_the_queue():
    # the fabric is busy (QOS normal: high does not preempt it); a small
    # and a large job wait behind it, and one of QOS high
    busy = submit("-N", "8", "--within", "fabric", "-t", "30m", "--",
                  "sleep", "600")
    wait_state(busy, "running")
    large = submit("-q", "low", "-N", "4", "-t", "10m", "--", "true")
    small = submit("-q", "low", "-G", "1", "-t", "10m", "--", "true")
    boosted = submit("-q", "high", "-N", "4", "-t", "10m", "--", "true")
    rows = json.loads(ok("-o", "json", "prio"))["jobs"]
    order = [r["id"] for r in rows]
    # QOS high outweighs size; among low jobs the small goes first
    assert order == [boosted, small, large], rows
    for r in rows:
        f = r["factors"]
        assert abs(r["priority"] - sum(f.values())) < 0.5, r
    one = json.loads(ok("-o", "json", "prio", str(small)))
    assert one["id"] == small and one["factors"]["jobsize"] > \
        [r for r in rows if r["id"] == large][0]["factors"]["jobsize"]
    table = ok("prio")
    assert "FAIRSHARE" in table and "JOBSIZE" in table, table
    cancel_all()


def test_maintenance_window_keeps_long_jobs_off():
    # pod01 goes into maintenance in 20 minutes for an hour: a job that
    # would still run then goes to pod02, one that ends before still runs
    # on pod01, and another long one waits although pod01 is idle
    start = datetime.datetime.now(datetime.timezone.utc) \
        + datetime.timedelta(minutes=20)
    ok("reservation", "add", "fix", "--start",
       start.strftime("%Y-%m-%dT%H:%M:%S"), "--duration", "1h",
       "--pods", "pod01", "--maint")
    longer = submit("-q", "low", "-N", "4", "-t", "1h", "--", "sleep", "600")
    wait_state(longer, "running")
    assert all(n.startswith("pod02") for n in job(longer)["nodes"]), \
        job(longer)
    short = submit("-q", "low", "-N", "4", "-t", "10m", "--", "sleep", "600")
    wait_state(short, "running")
    assert all(n.startswith("pod01") for n in job(short)["nodes"]), \
        job(short)
    ok("cancel", str(short))
    wait_state(short, "cancelled")
    waits = submit("-q", "low", "-N", "4", "-t", "1h", "--", "true")
    wait_for("the long job waiting", lambda: job(waits)["reason"] ==
             "Resources")
    assert len(ctl.api("GET", "/nodes?pod=pod01&state=idle")[1]["nodes"]) \
        == 4
    ok("reservation", "delete", "fix")
    wait_state(waits, "completed")
    cancel_all()


def test_fair_share_favours_the_account_that_used_less():
    ok("account", "add", "busy")
    ok("account", "add", "quiet")
    ok("user", "add", "root", "-A", "busy,quiet", "--default-account",
       "busy")
    used = submit("-A", "busy", "-q", "low", "-N", "8", "--within",
                  "fabric", "-t", "10m", "--", "sleep", "3")
    wait_state(used, "completed")
    blocker = submit("-N", "8", "--within", "fabric", "-t", "30m", "--",
                     "sleep", "600")
    wait_state(blocker, "running")
    a = submit("-A", "busy", "-q", "low", "-N", "2", "-t", "10m", "--",
               "true")
    b = submit("-A", "quiet", "-q", "low", "-N", "2", "-t", "10m", "--",
               "true")
    listed = json.loads(ok("-o", "json", "prio"))["jobs"]
    rows = {r["id"]: r for r in listed}
    # busy used 8 nodes x 8 accelerators for 3 s (and runs the blocker,
    # charged to root's default account); quiet used nothing
    assert rows[b]["fairshare_factor"] == 1, rows
    assert rows[a]["fairshare_factor"] < 1, rows
    assert rows[b]["factors"]["fairshare"] == 100, rows
    # the same size and QOS: quiet's job goes first
    ids = [r["id"] for r in listed]
    assert ids.index(b) < ids.index(a), listed
    cancel_all()


run([test_fleet_up, test_qos_limit_holds_with_slurms_reason,
     test_what_can_never_run_is_refused,
     test_partition_default_time_limit,
     test_partition_keeps_its_jobs_on_its_pods,
     test_preemption_requeues_the_fewest_lower_jobs,
     test_priority_factors_order_the_queue,
     test_maintenance_window_keeps_long_jobs_off,
     test_fair_share_favours_the_account_that_used_less])
