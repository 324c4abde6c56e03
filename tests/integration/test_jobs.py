"""Run jobs end to end: a controller and four real pod-agentd processes
(one pod, two leaf groups of two nodes), driven with podctl and HTTP.
Environment, exit codes, cancel, time limit, refusal of jobs that can never
fit, pending reasons, a node lost under a running job (node_fail, requeue
elsewhere), and a controller restart while jobs run (no duplicate, no loss).
"""

import json
import os
import signal
import subprocess

from podtest import Agent, Controller, TempDir, podctl, run, wait_for

NODES = ["pod01-n%03d" % i for i in range(1, 5)]
tmp = TempDir("jobs")
out = os.path.join(tmp.path, "out")
os.makedirs(out)
ctl = Controller(tmp, heartbeat_s=6, extra="[scheduler]\nkill_grace_s = 1\n"
                 "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 2\n").start()
agents = {n: Agent(tmp, ctl.url, n, extra="").start() for n in NODES}


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def submit(*args):
    rc, stdout, err = podctl(ctl.url, "submit", *args)
    assert rc == 0, (rc, stdout, err)
    return int(stdout.strip())


def ok(*args):
    """Runs podctl, which must succeed; its output."""
    rc, stdout, err = podctl(ctl.url, *args)
    assert rc == 0, (args, rc, stdout, err)
    return stdout


def wait_state(jid, state, timeout=40):
    return wait_for("job %s %s" % (jid, state),
                    lambda: job(jid)["state"] == state and job(jid),
                    timeout=timeout)


def lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return f.read().split("\n")[:-1]


def test_fleet_up():
    wait_for("4 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 4, timeout=20)


def test_environment_and_exit_code():
    script = ('echo "$POD_JOB_ID $POD_JOB_NAME $POD_NNODES $POD_NODE_RANK '
              '$POD_NODELIST $POD_ACCELERATORS" > %s/env.$POD_NODE_RANK'
              % out)
    jid = submit("--name", "envcheck", "--nodes", "2", "--time", "1m",
                 "--", "sh", "-c", script)
    j = wait_state(jid, "completed")
    assert j["exit_code"] == 0 and j["attempt"] == 1, j
    assert len(j["nodes"]) == 2
    # whole nodes in one leaf group: n001+n002 or n003+n004
    assert sorted(j["nodes"]) in (NODES[:2], NODES[2:]), j["nodes"]
    first = int(sorted(j["nodes"])[0][7:])
    nodelist = "pod01-n[%03d-%03d]" % (first, first + 1)
    for rank in (0, 1):
        got = lines("%s/env.%d" % (out, rank))[0].split(" ")
        assert got == [str(jid), "envcheck", "2", str(rank), nodelist,
                       "0,1,2,3,4,5,6,7"], got
    assert all(r["cause"] == "exit" for r in j["ranks"]), j["ranks"]
    assert j["log"] and j["log"].endswith("output.log"), j


def test_failed_rank_fails_the_job():
    jid = submit("--nodes", "2", "--time", "1m", "--", "sh", "-c",
                 'if [ "$POD_NODE_RANK" = 1 ]; then exit 7; fi; sleep 30')
    j = wait_state(jid, "failed", timeout=40)
    assert j["exit_code"] == 7, j
    rc, stdout, _ = podctl(ctl.url, "job", "show", str(jid))
    assert rc == 0 and "failed" in stdout, stdout


def test_shared_accelerators():
    jid = submit("--accelerators", "4", "--time", "1m", "--", "sh", "-c",
                 'echo $POD_ACCELERATORS > %s/shared.$POD_JOB_ID' % out)
    j = wait_state(jid, "completed")
    assert j["nnodes"] == 1 and j["exclusive"] is False, j
    assert len(lines("%s/shared.%d" % (out, jid))[0].split(",")) == 4


def test_cancel():
    jid = submit("--nodes", "1", "--time", "10m", "--", "sleep", "60")
    wait_state(jid, "running")
    rc, stdout, err = podctl(ctl.url, "cancel", str(jid))
    assert rc == 0, err
    j = wait_state(jid, "cancelled", timeout=20)
    assert j["ranks"][0]["cause"] == "cancelled", j
    rc, _, err = podctl(ctl.url, "cancel", str(jid))
    assert rc == 1 and "already ended" in err, err


def test_time_limit():
    jid = submit("--nodes", "1", "--time", "2s", "--", "sh", "-c",
                 "trap '' TERM; sleep 30")
    j = wait_state(jid, "timeout", timeout=15)
    assert j["ranks"][0]["cause"] == "timeout", j


def test_never_fits_is_refused():
    for args, why in ((("--nodes", "5"), "5"),
                      (("--nodes", "3", "--within", "group"), "group")):
        rc, stdout, err = podctl(ctl.url, "submit", *args, "--time", "1m",
                                 "--", "true")
        assert rc == 1 and why in err, (args, rc, err)
    status, body = ctl.api("POST", "/jobs", {"command": ["true"], "nodes": 1,
                                             "colour": "red"})
    assert status == 400 and "colour" in body["error"]["message"], body


def test_pending_reasons():
    # one node drained: four whole nodes exist, but not usable now
    ok("node", "drain", NODES[3], "--reason", "test")
    big = submit("--nodes", "4", "--time", "1m", "--", "true")
    wait_for("NodesDown", lambda: job(big)["reason"] == "NodesDown")
    ok("node", "resume", NODES[3])
    wait_state(big, "completed")
    blocker = submit("--nodes", "1", "--time", "1m", "--", "sleep", "30")
    wait_state(blocker, "running")
    big = submit("--nodes", "4", "--time", "1m", "--", "true")
    wait_for("Resources", lambda: job(big)["reason"] == "Resources")
    node = job(blocker)["nodes"][0]
    ok("node", "drain", node, "--reason", "maintenance")
    wait_for("draining", lambda: ctl.api("GET", "/nodes/" + node)[1][
        "state"] == "draining")
    ok("cancel", str(blocker))
    wait_for("drained", lambda: ctl.api("GET", "/nodes/" + node)[1][
        "state"] == "drained")
    ok("cancel", str(big))
    ok("node", "resume", node)


def test_node_failure_requeues_elsewhere():
    marker = os.path.join(out, "starts.nf")
    jid = submit("--nodes", "2", "--time", "5m", "--", "sh", "-c",
                 'echo "$POD_JOB_ATTEMPT $(hostname)" >> %s; sleep 120'
                 % marker)
    j = wait_state(jid, "running")
    wait_for("both ranks running", lambda: all(
        r["state"] == "running" for r in job(jid)["ranks"]))
    victim = j["nodes"][1]
    agents[victim].stop(signal.SIGKILL)
    j = wait_for("attempt 2 running", lambda: job(jid)["attempt"] == 2 and
                 all(r["state"] == "running" for r in job(jid)["ranks"])
                 and job(jid), timeout=30)
    assert victim not in j["nodes"], j
    assert ctl.api("GET", "/nodes/" + victim)[1]["state"] == "down"
    # the victim's agent returns and stops the orphaned attempt 1
    agents[victim].start()
    wait_for("victim idle", lambda: ctl.api("GET", "/nodes/" + victim)[1][
        "state"] == "idle", timeout=20)
    ok("cancel", str(jid))
    wait_state(jid, "cancelled", timeout=15)
    attempts = [line.split()[0] for line in lines(marker)]
    assert attempts.count("1") == 2 and attempts.count("2") == 2, attempts


def test_controller_restart_no_duplicate_no_loss():
    marker = os.path.join(out, "starts.restart")
    jid = submit("--nodes", "1", "--time", "1m", "--", "sh", "-c",
                 "echo start >> %s; sleep 6; exit 0" % marker)
    wait_state(jid, "running")
    ctl.restart()
    j = wait_state(jid, "completed", timeout=30)
    assert j["attempt"] == 1, j
    assert lines(marker) == ["start"], lines(marker)


def test_jobs_listing():
    rc, stdout, err = podctl(ctl.url, "-o", "json", "jobs")
    assert rc == 0, err
    listed = json.loads(stdout)["jobs"]
    assert {"completed", "failed", "cancelled", "timeout"} <= {
        j["state"] for j in listed}
    rc, stdout, err = podctl(ctl.url, "jobs", "--state", "completed")
    assert rc == 0 and "completed" in stdout, (stdout, err)


try:
    run([test_fleet_up, test_environment_and_exit_code,
         test_failed_rank_fails_the_job, test_shared_accelerators,
         test_cancel, test_time_limit, test_never_fits_is_refused,
         test_pending_reasons, test_node_failure_requeues_elsewhere,
         test_controller_restart_no_duplicate_no_loss, test_jobs_listing])
finally:
    for a in agents.values():
        a.stop()
    ctl.stop()
    # processes of jobs outlive their agents by design: stop them here
    subprocess.run(["pkill", "-f", out], check=False)
    tmp.cleanup()
