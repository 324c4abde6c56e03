"""Nodes prove who they are (docs/security.md, "Node credentials"): a
report for a node must carry that node's credential. A controller with two
real pod-agentd nodes runs a real job; forged reports (the job completed, a
coolant leak) sent without a credential or with the other node's are
refused with 401 and 403, change nothing (the job runs on, its process
alive, the node not drained), raise the node_auth alarm and are logged once;
the same report with the node's own credential is accepted. An agent
given a wrong credential never comes up and says why."""

import os
import re
import time

from podtest import (Agent, Controller, Daemon, TempDir, metrics, node_api,
                     node_credential, podctl, run, wait_for)

NODES = ["pod01-n001", "pod01-n002"]
tmp = TempDir("node-auth")
ctl = Controller(tmp, extra="[fabric]\nnodes_per_pod = 4\n"
                 "groups_per_pod = 1\n").start()
agents = {n: Agent(tmp, ctl.url, n).start() for n in NODES}
pidfile = os.path.join(tmp.path, "job.pid")
state = {}


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def job(jid):
    status, body = ctl.api("GET", "/jobs/%d" % jid)
    assert status == 200, (status, body)
    return body


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def auth_alarms(name):
    status, body = ctl.api("GET", "/alarms?state=all")
    assert status == 200, (status, body)
    return [a for a in body["alarms"]
            if a["kind"] == "node_auth" and a["object"] == name]


def refused_lines(name):
    return ctl.log_lines(r"node %s: reports from 127\.0\.0\.1 refused"
                         % re.escape(name))


def test_agents_up_and_a_job_runs():
    for n in NODES:
        wait_for("%s up" % n, lambda n=n: node(n)["state"] != "down"
                 and node(n)["boot_id"], timeout=30)
    rc, out, err = podctl(ctl.url, "submit", "--name", "real", "--nodes",
                          "1", "--time", "10m", "--", "sh", "-c",
                          "echo $$ > %s; exec sleep 300" % pidfile)
    assert rc == 0, (rc, out, err)
    jid = int(out.strip())
    j = wait_for("the job running", lambda: job(jid)["state"] == "running"
                 and job(jid), timeout=30)
    pid = wait_for("its pid", lambda: os.path.exists(pidfile) and
                   open(pidfile).read().strip() and
                   int(open(pidfile).read()))
    state.update(jid=jid, pid=pid, node=j["nodes"][0])
    assert alive(pid)


def forged(name, jobs=None, leak=False):
    """A report as name's agent would send it: its boot id, the job's
    completion and/or a leak seen by its guard."""
    now = int(time.time() * 1000)
    guard = {"leak": leak, "lowflow": False, "overtemp": []}
    return {"boot_id": node(name)["boot_id"], "agent_version": "forged",
            "interval_ms": 500,
            "samples": [{"seq": 10 ** 9, "t_ms": now, "power_w": 1.0,
                         "loop": {"supply_c": 30.0, "return_c": 35.0,
                                  "flow_lpm": 9.0, "leak": leak}}],
            "power": {"policy": "performance", "limiting": False,
                      "fallback": False, "guard": guard},
            "jobs": jobs or []}


def test_forged_completion_and_leak_are_refused():
    name, jid, pid = state["node"], state["jid"], state["pid"]
    other = [n for n in NODES if n != name][0]
    done = [{"id": jid, "attempt": 1, "state": "ended", "cause": "exit",
             "exit_code": 0}]
    for body in (forged(name, jobs=done), forged(name, leak=True)):
        status, reply = node_api(ctl, "POST", "/agents/%s/report" % name,
                                 name, body, cred="")
        assert status == 401, (status, reply)
        assert reply["error"]["code"] == "unauthorized", reply
        status, reply = node_api(ctl, "POST", "/agents/%s/report" % name,
                                 name, body,
                                 cred=node_credential(tmp, other))
        assert status == 403, (status, reply)
        assert reply["error"]["code"] == "forbidden", reply
        assert name in reply["error"]["message"], reply
        # a credential of the right shape from another site secret
        status, reply = node_api(ctl, "POST", "/agents/%s/report" % name,
                                 name, body, cred="0" * 64)
        assert status == 403, (status, reply)
    # the long poll too
    status, reply = node_api(ctl, "GET", "/agents/%s/desired" % name, name,
                             cred="")
    assert status == 401, (status, reply)
    # the alarm, raised at once and naming where the reports came from
    al = wait_for("the node_auth alarm", lambda: auth_alarms(name),
                  timeout=10)
    assert len(al) == 1 and al[0]["state"] == "open", al
    assert al[0]["message"] == ("reports for %s refused: wrong credential "
                                "from 127.0.0.1" % name), al
    assert not auth_alarms(other), auth_alarms(other)
    # nothing changed: the job runs on, its process alive, no drain, no
    # leak taken for true
    j = job(jid)
    assert j["state"] == "running" and j["attempt"] == 1, j
    assert alive(pid), "the job's process was stopped"
    n = node(name)
    assert n["state"] not in ("draining", "drained"), n
    assert n["agent_version"] != "forged", n
    # one log line for the episode, however many refusals; each counted
    assert len(refused_lines(name)) == 1, refused_lines(name)
    got = metrics(ctl.url + "/metrics")["pod_node_auth_refused_total"]
    assert got == 7, got


def test_job_still_runs_after_the_agent_reports_again():
    """The real agent's next reports are accepted: the forged ones left no
    trace in what the controller believes of the job."""
    name, jid, pid = state["node"], state["jid"], state["pid"]
    seen = node(name)["last_seen"]
    wait_for("a later report of the real agent",
             lambda: node(name)["last_seen"] != seen, timeout=10)
    assert job(jid)["state"] == "running" and alive(pid)
    assert node(name)["state"] not in ("draining", "drained"), node(name)


def test_right_credential_is_accepted():
    name = state["node"]
    other = [n for n in NODES if n != name][0]
    # an empty report of the other node with its own credential
    status, reply = node_api(ctl, "POST", "/agents/%s/report" % other,
                             other, {"boot_id": node(other)["boot_id"],
                                     "samples": []})
    assert status == 200 and "desired" in reply, (status, reply)
    status, reply = node_api(ctl, "GET", "/agents/%s/desired" % other,
                             other)
    assert status == 200 and "version" in reply, (status, reply)


def test_credential_route():
    status, body = ctl.api("GET", "/nodes/pod01-n003/credential")
    assert status == 200, (status, body)
    assert body == {"node": "pod01-n003",
                    "credential": node_credential(tmp, "pod01-n003")}, body


def test_agent_with_a_wrong_credential_never_comes_up():
    name = "pod01-n003"
    bad = Agent(tmp, ctl.url, name,
                credential=node_credential(tmp, "pod01-n004")).start()
    line = bad.wait_log(r"refuses reports: HTTP 403", timeout=20)
    assert "credential" in line, line
    assert node(name)["state"] == "down" and not node(name)["boot_id"], \
        node(name)
    assert refused_lines(name), ctl.log()
    bad.stop()


def test_provisioned_with_podctl():
    """An admin prints the credential with podctl into a file; the agent
    takes it with --credential-file over its config's wrong one."""
    name = "pod01-n003"
    rc, out, err = podctl(ctl.url, "node", "credential", name)
    assert rc == 0 and out == node_credential(tmp, name) + "\n", (rc, err)
    viewer = ctl.token("val", "viewer")
    rc, _, err = podctl(ctl.url, "node", "credential", name,
                        env={"POD_TOKEN": viewer})
    assert rc != 0 and "forbidden" in err, (rc, err)
    path = os.path.join(tmp.path, "provisioned.cred")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(out)
    agent = Agent(tmp, ctl.url, name,
                  credential=node_credential(tmp, "pod01-n004"))
    agent.argv += ["--credential-file", path]
    agent.start()
    try:
        wait_for("%s up" % name, lambda: node(name)["state"] != "down",
                 timeout=20)
    finally:
        agent.stop()


def test_agent_refuses_a_loose_credential_file():
    name = "pod01-n004"
    bad = Agent(tmp, ctl.url, name)
    os.chmod(bad.credential_file, 0o644)
    bad.start()
    line = bad.wait_log(r"credential_file", timeout=20)
    assert "0644" in line and "chmod 600" in line, line
    assert bad.proc.wait(10) != 0


def test_controller_refuses_a_loose_secret():
    other = TempDir("node-auth-secret")
    secret = other.file("node.secret", "ab" * 32 + "\n")
    os.chmod(secret, 0o644)
    c = Controller(other)
    Daemon.start(c)  # not Controller.start: it never listens
    assert c.proc.wait(20) != 0, c.log()
    log = c.log()
    assert "node_secret_file" in log and "0644" in log, log
    c.stop()
    # nor one that does not hold 64 hex digits
    os.chmod(secret, 0o600)
    with open(secret, "w") as f:
        f.write("not a secret\n")
    Daemon.start(c)
    assert c.proc.wait(20) != 0, c.log()
    assert "does not hold 64 hexadecimal digits" in c.log(), c.log()
    c.stop()


if __name__ == "__main__":
    run([test_agents_up_and_a_job_runs,
         test_forged_completion_and_leak_are_refused,
         test_job_still_runs_after_the_agent_reports_again,
         test_right_credential_is_accepted,
         test_credential_route,
         test_agent_with_a_wrong_credential_never_comes_up,
         test_provisioned_with_podctl,
         test_agent_refuses_a_loose_credential_file,
         test_controller_refuses_a_loose_secret])
