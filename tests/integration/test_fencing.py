"""Fencing (docs/fencing.md): no attempt of a job runs on two nodes at once.

Two fabrics of real pod-agentd processes, each with short fence settings
(fence_timeout_s 3, kill_grace_s 2, fence_margin_s 1: a silent node's jobs
are requeued after 6 s):

- an agent SIGKILLed while its job runs on under the shepherd: the shepherd
  fences the job, and attempt 2 starts elsewhere only after the attempt 1
  process is gone (checked on the processes and on the times they record,
  not only in the database);
- a network split: the agent talks to the controller through a TCP proxy
  that the test cuts. The agent fences its job; the controller requeues it
  only after the fence timeout, the kill grace and the margin; when the
  proxy is restored, a late report of the old attempt running is answered
  "kill it".

The jobs ignore SIGTERM, so each stop needs the SIGKILL after the grace.
"""

import os
import signal
import time

from podtest import (Agent, Controller, GaveUp, Proxy, TempDir, http,
                     node_api, podctl, run, wait_for)

FENCE_S, GRACE_S, MARGIN_S = 3, 2, 1
REQUEUE_S = FENCE_S + GRACE_S + MARGIN_S


def fabric(tmp, name, nodes):
    return Controller(tmp, name=name, heartbeat_s=2, fence_s=FENCE_S,
                      fence_margin_s=MARGIN_S,
                      extra="[scheduler]\nkill_grace_s = %d\n"
                      "[fabric]\nnodes_per_pod = %d\ngroups_per_pod = 1\n"
                      % (GRACE_S, nodes)).start()


def job(ctl, jid):
    status, body = ctl.api("GET", "/jobs/%d" % jid)
    assert status == 200, (status, body)
    return body


def submit(ctl, out):
    """A one-node job that ignores SIGTERM and records, per attempt, its
    pid and its start time (ms)."""
    script = ("trap '' TERM; echo $$ > %s/$POD_JOB_ATTEMPT.pid; "
              "date +%%s%%3N > %s/$POD_JOB_ATTEMPT.start; "
              "while :; do sleep 0.2; done" % (out, out))
    rc, stdout, err = podctl(ctl.url, "submit", "--nodes", "1", "--time",
                             "10m", "--", "sh", "-c", script)
    assert rc == 0, (rc, stdout, err)
    return int(stdout.strip())


def read(path):
    with open(path) as f:
        return f.read().strip()


def alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def ended_ms(tmp, agent_name, jid, attempt):
    """When the shepherd saw the attempt end (its status file), ms."""
    path = os.path.join(tmp.path, agent_name + "-state", "jobs",
                        "%d.%d" % (jid, attempt), "status")
    for line in read(path).splitlines():
        key, _, value = line.partition(" ")
        if key == "ended_ms":
            return int(value)
    raise AssertionError("no ended_ms in " + path)


def watch_no_overlap(out, old_pid):
    """Waits until attempt 2 has started; fails at once if the attempt 1
    process was alive at any look after attempt 2's pid file appeared."""
    def started():
        old = alive(old_pid)
        if not os.path.exists(os.path.join(out, "2.pid")):
            return False
        if old or alive(old_pid):
            raise GaveUp("attempt 2 started while attempt 1 (pid %d) "
                         "still runs" % old_pid)
        return True
    wait_for("attempt 2 to start", started, timeout=60, interval=0.05)


def finish(ctl, jid, agents):
    """Cancels the job, waits for it to end, stops the daemons."""
    rc, stdout, err = podctl(ctl.url, "cancel", str(jid))
    assert rc == 0, (stdout, err)
    wait_for("job %d cancelled" % jid,
             lambda: job(ctl, jid)["state"] == "cancelled", timeout=30)
    for a in agents.values():
        a.stop()
    ctl.stop()


def test_killed_agent_job_not_run_twice():
    tmp = TempDir("fencing-kill")
    ctl = fabric(tmp, "ctl", 2)
    names = ["pod01-n001", "pod01-n002"]
    agents = {n: Agent(tmp, ctl.url, n).start() for n in names}
    out = os.path.join(tmp.path, "out")
    os.makedirs(out)
    wait_for("2 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 2, timeout=20)
    jid = submit(ctl, out)
    j = wait_for("attempt 1 running", lambda: job(ctl, jid)["state"] ==
                 "running" and os.path.exists(os.path.join(out, "1.pid"))
                 and job(ctl, jid))
    victim = j["nodes"][0]
    old_pid = int(wait_for("1.pid", lambda: read(os.path.join(out, "1.pid"))))
    agents[victim].stop(signal.SIGKILL)
    assert alive(old_pid), "the job did not outlive its agent"
    watch_no_overlap(out, old_pid)
    j = wait_for("attempt 2 running", lambda: job(ctl, jid)["attempt"] == 2
                 and job(ctl, jid)["state"] == "running" and job(ctl, jid))
    assert victim not in j["nodes"], j
    start2 = int(wait_for("2.start", lambda: read(
        os.path.join(out, "2.start"))))
    end1 = wait_for("attempt 1's status",
                    lambda: ended_ms(tmp, victim, jid, 1))
    assert end1 < start2, (end1, start2)
    # The agent returns: it reports attempt 1 fenced and runs nothing.
    agents[victim].start()
    agents[victim].wait_log(r"adopted 0 running and 1 ended", timeout=20)
    finish(ctl, jid, agents)


def test_network_split():
    tmp = TempDir("fencing-split")
    ctl = fabric(tmp, "ctl", 2)
    host, port = ctl.url.split("//")[1].rsplit(":", 1)
    proxy = Proxy((host, int(port)))
    split, direct = "pod01-n001", "pod01-n002"
    agents = {split: Agent(tmp, proxy.url, split).start(),
              direct: Agent(tmp, ctl.url, direct).start()}
    out = os.path.join(tmp.path, "out")
    os.makedirs(out)
    wait_for("2 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 2, timeout=20)
    # The job goes to the node behind the proxy.
    rc, _, err = podctl(ctl.url, "node", "drain", direct, "--reason", "t")
    assert rc == 0, err
    jid = submit(ctl, out)
    wait_for("attempt 1 running", lambda: job(ctl, jid)["state"] ==
             "running" and os.path.exists(os.path.join(out, "1.pid")))
    assert job(ctl, jid)["nodes"] == [split]
    old_pid = int(wait_for("1.pid", lambda: read(os.path.join(out, "1.pid"))))
    rc, _, err = podctl(ctl.url, "node", "resume", direct)
    assert rc == 0, err
    boot_id = ctl.api("GET", "/nodes/" + split)[1]["boot_id"]

    t0 = time.monotonic()
    proxy.cut()
    # The agent fences its job on its own: TERM, then KILL after the grace.
    agents[split].wait_log(r"job %d\.1 not confirmed by the controller "
                           r"for \d+ s: fencing it" % jid, timeout=30)
    watch_no_overlap(out, old_pid)
    requeued_after = time.monotonic() - t0
    # The last report before the cut went out at most an interval (0.5 s)
    # earlier, and the controller counts from it.
    assert requeued_after >= REQUEUE_S - 1.0, requeued_after
    start2 = int(wait_for("2.start", lambda: read(
        os.path.join(out, "2.start"))))
    end1 = wait_for("attempt 1's status",
                    lambda: ended_ms(tmp, split, jid, 1))
    assert end1 < start2, (end1, start2)
    j = wait_for("attempt 2 running", lambda: job(ctl, jid)["attempt"] == 2
                 and job(ctl, jid)["state"] == "running" and job(ctl, jid))
    assert j["nodes"] == [direct], j

    # The split heals: a late report of attempt 1 running is answered
    # "kill it", by (job id, attempt).
    proxy.restore()
    status, reply = node_api(ctl, "POST", "/agents/%s/report" % split, split,
                             {"boot_id": boot_id, "samples": [],
                              "jobs": [{"id": jid, "attempt": 1,
                                        "state": "running"}]},
                             url=proxy.url)
    assert status == 200, (status, reply)
    assert reply.get("kill") == [{"id": jid, "attempt": 1}], reply
    assert all(e["id"] != jid for e in reply["desired"]["jobs"]), reply
    # The real agent is back and attempt 2 runs on undisturbed.
    wait_for("the split node up", lambda: ctl.api(
        "GET", "/nodes/" + split)[1]["state"] != "down", timeout=40)
    assert job(ctl, jid)["attempt"] == 2 and alive(
        int(read(os.path.join(out, "2.pid"))))
    finish(ctl, jid, agents)


if __name__ == "__main__":
    run([test_killed_agent_job_not_run_twice, test_network_split])
