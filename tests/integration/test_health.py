"""Node health gates work (DESIGN.md, "Health gates work";
docs/operations.md, "Node health"). A pod of five nodes: four are played by
raw reports in the agent protocol (a thread reports for them twice a second,
with whatever guard state a test sets, and runs the jobs the controller
hands them), the fifth is a real pod-agentd on the sim plugins whose loop
starts leaking. Through podctl and REST:

- a leaking node is drained by health, takes no job even after a resume is
  attempted (409, saying why) and after a forced one (audited, saying forced
  and the condition); when the leak clears it takes work again;
- a node reporting low flow is drained after [health]
  low_flow_drain_after_s, its running job left alone or requeued as
  low_flow_requeue says (changed by a reload); when the flow returns it
  stays drained until an operator resumes it, which needs no force then;
- a node over its critical temperature takes no new job while it is not
  even drained.
"""

import re
import threading
import time

from podtest import (Agent, Controller, TempDir, node_api, podctl, run,
                     wait_for)

FAKES = ["pod01-n001", "pod01-n002", "pod01-n003", "pod01-n004"]
REAL = "pod01-n005"

tmp = TempDir("health")
CONF = ("[fabric]\nnodes_per_pod = 5\ngroups_per_pod = 1\n"
        "accels_per_node = 8\n"
        "[health]\nlow_flow_drain_after_s = 2\nlow_flow_requeue = %s\n"
        "overtemp_drain_after_s = 3600\n")
ctl = Controller(tmp, CONF % "false").start()
real = None


class Fakes(threading.Thread):
    """The four raw-report nodes: each reports its guard state (set by the
    tests), runs what its desired state lists and ends what it cancels or
    drops."""

    def __init__(self):
        super().__init__(daemon=True)
        self.lock = threading.Lock()
        self.guard = {n: {"leak": False, "lowflow": False, "overtemp": []}
                      for n in FAKES}
        self.jobs = {n: {} for n in FAKES}  # (id, attempt) -> report
        self.seq = {n: 0 for n in FAKES}
        self.stopping = threading.Event()

    def set(self, name, **guard):
        with self.lock:
            self.guard[name].update(guard)

    def report(self, name):
        with self.lock:
            g = dict(self.guard[name])
            jobs = list(self.jobs[name].values())
            self.seq[name] += 1
            seq = self.seq[name]
        now = int(time.time() * 1000)
        body = {
            "boot_id": "%016x" % (0xfeed0000 + FAKES.index(name)),
            "agent_version": "test", "interval_ms": 500,
            "samples": [{
                "seq": seq, "t_ms": now, "power_w": 3000.0,
                "loop": {"supply_c": 30.0, "return_c": 35.0,
                         "flow_lpm": 0.5 if g["lowflow"] else 9.0,
                         "leak": g["leak"]}}],
            "power": {"policy": "performance", "limiting": False,
                      "fallback": False, "guard": g},
            "jobs": jobs,
        }
        status, reply = node_api(ctl, "POST", "/agents/%s/report" % name,
                                 name, body)
        if status != 200:
            return
        want = {(j["id"], j["attempt"]): j
                for j in reply["desired"]["jobs"]}
        with self.lock:
            mine = self.jobs[name]
            for key, j in want.items():
                if key not in mine:
                    # one cancelled before it started ends at once
                    mine[key] = {"id": j["id"], "attempt": j["attempt"],
                                 "state": "running", "started_ms": now}
                if j["cancel"] and mine[key]["state"] == "running":
                    mine[key] = ended(mine[key], now)
            for key in list(mine):
                if key not in want:
                    if mine[key]["state"] == "running":
                        mine[key] = ended(mine[key], now)
                    else:
                        del mine[key]  # the controller has stored its end

    def running(self, name):
        with self.lock:
            return sorted(j["id"] for j in self.jobs[name].values()
                          if j["state"] == "running")

    def run(self):
        # an agent's report interval, 500 ms, until the end of the script
        while not self.stopping.is_set():
            for n in FAKES:
                try:
                    self.report(n)
                except OSError:
                    pass
            self.stopping.wait(0.5)


def ended(j, now):
    return dict(j, state="ended", cause="cancelled", ended_ms=now,
                exit_code=None, signal=15)


fakes = Fakes()


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def submit(nodes, name):
    rc, out, err = podctl(ctl.url, "submit", "--name", name, "--nodes",
                          str(nodes), "--time", "10m", "--", "sleep", "600")
    assert rc == 0, (rc, out, err)
    return int(re.search(r"\d+", out).group(0))


def cancel(jid):
    rc, _, err = podctl(ctl.url, "cancel", str(jid))
    assert rc == 0, err
    wait_for("job %d cancelled and gone from its nodes" % jid,
             lambda: job(jid)["state"] == "cancelled" and not any(
                 jid in fakes.running(n) for n in FAKES))


def audit_resumes(name):
    status, body = ctl.api("GET", "/audit?action=resume")
    assert status == 200, body
    return [a for a in body["audit"] if a["object"] == name]


def test_fleet_up():
    global real
    fakes.start()
    # the real agent's loop leaks 2 s after it starts
    real = Agent(tmp, ctl.url, REAL, extra="fault = leak@2\n").start()
    wait_for("five nodes up", lambda: sum(
        1 for n in ctl.api("GET", "/nodes")[1]["nodes"]
        if n["state"] != "down") == 5)
    for n in FAKES:
        assert node(n)["health"] == "ok", node(n)


def test_real_leak_is_drained_and_resume_refused():
    n = wait_for("the real agent's leak drains its node", lambda: (
        lambda d: d if d["health"] == "leak" and d["drained"] else None)(
            node(REAL)), timeout=20)
    assert n["drained_by"] == "health" and n["reason"] == "coolant leak", n
    assert [c["condition"] for c in n["health_conditions"]] == ["leak"], n
    rc, out, err = podctl(ctl.url, "node", "show", REAL)
    assert rc == 0 and re.search(r"Health:\s+leak since", out), out
    rc, out, err = podctl(ctl.url, "node", "resume", REAL)
    assert rc != 0, (out, err)
    assert ("pod01-n005 reports a coolant leak; resume with --force to "
            "override") in err, err
    status, body = ctl.api("POST", "/nodes/%s/resume" % REAL)
    assert status == 409 and body["error"]["code"] == "conflict", body
    assert "coolant leak" in body["error"]["message"], body
    assert node(REAL)["drained"] is True
    assert audit_resumes(REAL) == []
    # a body that is not {"force": BOOL} is refused as such
    status, body = ctl.api("POST", "/nodes/%s/resume" % REAL,
                           {"force": "yes"})
    assert status == 400 and "force" in body["error"]["message"], body


def test_leaking_node_takes_no_work_even_forced():
    leaky = FAKES[3]
    fakes.set(leaky, leak=True)
    wait_for("the leak drains " + leaky, lambda: node(leaky)["drained"])
    assert node(leaky)["health"] == "leak"
    rc, _, err = podctl(ctl.url, "node", "resume", leaky)
    assert rc != 0 and "reports a coolant leak" in err, err
    rc, out, err = podctl(ctl.url, "node", "resume", leaky, "--force")
    assert rc == 0, (out, err)
    n = node(leaky)
    assert n["drained"] is False and n["health"] == "leak", n
    assert n["health_conditions"][0]["forced"] is True, n
    lines = audit_resumes(leaky)
    assert len(lines) == 1 and lines[0]["detail"] == \
        "forced over a coolant leak", lines
    # four nodes wanted, three healthy ones undrained: it waits, even
    # after a one-node job submitted later was placed (a pass has run)
    big = submit(4, "big")
    small = submit(1, "small")
    wait_for("the one-node job running", lambda: job(small)["state"] ==
             "running")
    assert job(small)["nodes"] != [leaky], job(small)
    assert job(big)["state"] == "pending" and job(big)["reason"], job(big)
    # the forced resume is not undone by health while the leak holds
    assert node(leaky)["drained"] is False
    cancel(small)
    assert job(big)["state"] == "pending", job(big)
    # the leak clears: the undrained node takes work again
    fakes.set(leaky, leak=False)
    wait_for("the four-node job running", lambda: job(big)["state"] ==
             "running")
    assert leaky in job(big)["nodes"], job(big)
    assert node(leaky)["health"] == "ok"
    cancel(big)


def test_low_flow_drains_after_its_time_and_keeps_the_job():
    jid = submit(1, "flowjob")
    j = wait_for("the job running", lambda: (lambda x: x if x["state"] ==
                 "running" else None)(job(jid)))
    where = j["nodes"][0]
    fakes.set(where, lowflow=True)
    wait_for("low flow seen", lambda: node(where)["health"] == "low_flow")
    n = wait_for("the drain after 2 s", lambda: (
        lambda d: d if d["drained"] else None)(node(where)), timeout=15)
    assert n["reason"] == "low coolant flow for 2 s", n
    assert n["drained_by"] == "health" and n["state"] == "draining", n
    # low_flow_requeue = false: the job runs on, where it was
    j = job(jid)
    assert j["state"] == "running" and j["attempt"] == 1, j
    assert jid in fakes.running(where)
    # the flow returns: still drained, with its reason, until resumed;
    # the resume needs no force now
    fakes.set(where, lowflow=False)
    wait_for("the flow back", lambda: node(where)["health"] == "ok")
    n = node(where)
    assert n["drained"] and n["reason"] == "low coolant flow for 2 s", n
    rc, out, err = podctl(ctl.url, "node", "resume", where)
    assert rc == 0, (out, err)
    assert audit_resumes(where)[-1]["detail"] is None
    cancel(jid)


def test_low_flow_requeues_when_configured():
    with open(ctl.conf) as f:
        text = f.read()
    with open(ctl.conf, "w") as f:
        f.write(text.replace("low_flow_requeue = false",
                             "low_flow_requeue = true"))
    seen = len(ctl.log_lines(r"configuration reloaded"))
    ctl.proc.send_signal(1)  # SIGHUP
    ctl.wait_log(r"configuration reloaded", count=seen + 1)
    jid = submit(1, "requeued")
    j = wait_for("the job running", lambda: (lambda x: x if x["state"] ==
                 "running" else None)(job(jid)))
    where = j["nodes"][0]
    fakes.set(where, lowflow=True)
    j = wait_for("the job requeued off " + where, lambda: (
        lambda x: x if x["attempt"] >= 2 else None)(job(jid)), timeout=15)
    assert node(where)["drained"], node(where)
    wait_for("attempt 2 running elsewhere", lambda: job(jid)["state"] ==
             "running" and where not in job(jid)["nodes"])
    assert re.search(r"job %d attempt 1 stopped on %s, which reports low "
                     r"coolant flow; requeued" % (jid, where), ctl.log())
    fakes.set(where, lowflow=False)
    wait_for("the flow back", lambda: node(where)["health"] == "ok")
    rc, _, err = podctl(ctl.url, "node", "resume", where)
    assert rc == 0, err
    cancel(jid)


def test_overtemp_takes_no_new_job_undrained():
    hot = FAKES[1]
    fakes.set(hot, overtemp=[3])
    wait_for("overtemp seen", lambda: node(hot)["health"] == "overtemp")
    rc, out, _ = podctl(ctl.url, "nodes", "-O", "name,state,health",
                        "--noheader")
    assert re.search(r"%s\s+idle\s+overtemp" % hot, out), out
    big = submit(4, "hotbig")
    small = submit(3, "hotsmall")
    wait_for("the three-node job running", lambda: job(small)["state"] ==
             "running")
    assert hot not in job(small)["nodes"], job(small)
    assert job(big)["state"] == "pending", job(big)
    assert node(hot)["drained"] is False  # 3600 s before a drain
    cancel(small)
    fakes.set(hot, overtemp=[])
    wait_for("the four-node job running once it cooled",
             lambda: job(big)["state"] == "running")
    assert hot in job(big)["nodes"], job(big)
    cancel(big)


try:
    run([test_fleet_up, test_real_leak_is_drained_and_resume_refused,
         test_leaking_node_takes_no_work_even_forced,
         test_low_flow_drains_after_its_time_and_keeps_the_job,
         test_low_flow_requeues_when_configured,
         test_overtemp_takes_no_new_job_undrained])
finally:
    fakes.stopping.set()
    if real is not None:
        real.stop()
    ctl.stop()
