"""Histories, end to end: a controller and real pod-agentd processes (one
pod of four nodes), driven with podctl, curl and HTTP.

A job whose node is lost is requeued and completes: GET /jobs/{id} and
`podctl job show` list both attempts (node_fail, then exit 0), and the lost
node's detail lists the attempt it lost. A job stopped by a coolant leak on
its node is requeued the same way, its first attempt ended by "leak". The
telemetry history takes RFC 3339 times with fractions and offsets.
"""

import datetime
import json
import os
import signal
import subprocess
import urllib.parse

from podtest import (Agent, Controller, TempDir, auth_header, podctl, run,
                     wait_for)

NODES = ["pod01-n%03d" % i for i in range(1, 5)]
LEAKY = NODES[3]  # its loop starts leaking LEAK_AT_S after its agent starts
LEAK_AT_S = 12
tmp = TempDir("history")
out = os.path.join(tmp.path, "out")
os.makedirs(out)
ctl = Controller(tmp, heartbeat_s=4, extra="[scheduler]\nkill_grace_s = 1\n"
                 "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 2\n").start()
agents = {n: Agent(tmp, ctl.url, n).start() for n in NODES[:3]}
jobs = {}  # name: id, for the later tests
# an attempt's members, as docs/openapi.yaml has them
ATTEMPT_MEMBERS = {"attempt", "nodes", "start", "end", "ended_by",
                   "exit_code", "reason"}


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def submit(name, script):
    """A one-node job whose first attempt runs until stopped and whose
    later attempts exit 0; each attempt's shell leaves its pid in out/."""
    cmd = ('echo $$ > %s/%s.$POD_JOB_ATTEMPT.pid; '
           'if [ "$POD_JOB_ATTEMPT" = 1 ]; then %s; fi; exit 0'
           % (out, name, script))
    rc, stdout, err = podctl(ctl.url, "submit", "--name", name, "--nodes",
                             "1", "--time", "5m", "--", "sh", "-c", cmd)
    assert rc == 0, (rc, stdout, err)
    jobs[name] = int(stdout.strip())
    return jobs[name]


def pid_alive(path):
    try:
        with open(path) as f:
            os.kill(int(f.read()), 0)
        return True
    except (OSError, ValueError):
        return False


def curl_json(path):
    p = subprocess.run(["curl", "-sS", "--fail-with-body",
                        "-H", auth_header(ctl.url), ctl.url + "/api/v1" + path],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout)


def is_time(s):
    return isinstance(s, str) and s.endswith("Z") and \
        datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ") is not None


def test_fleet_up():
    wait_for("3 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 3, timeout=20)


def test_lost_node_then_exit():
    jid = submit("lost", "exec sleep 300")
    j = wait_for("attempt 1 running", lambda: job(jid)["state"] == "running"
                 and job(jid)["ranks"][0]["state"] == "running" and job(jid))
    # while it runs: one attempt, still open
    [a] = j["attempts"]
    assert a["attempt"] == 1 and a["nodes"] == j["nodes"], a
    assert is_time(a["start"]), a
    assert a["end"] is None and a["ended_by"] is None, a
    assert a["exit_code"] is None and a["reason"] is None, a
    victim = j["nodes"][0]
    agents[victim].stop(signal.SIGKILL)
    j = wait_for("the job requeued and completed", lambda: job(jid)[
        "state"] == "completed" and job(jid), timeout=40)
    assert j["attempt"] == 2 and victim not in j["nodes"], j

    # over HTTP, with curl
    body = curl_json("/jobs/%d" % jid)
    first, second = body["attempts"]
    assert all(set(a) == ATTEMPT_MEMBERS for a in body["attempts"]), body
    assert (first["attempt"], first["ended_by"]) == (1, "node_fail"), first
    assert first["nodes"] == [victim], first
    assert is_time(first["start"]) and is_time(first["end"]), first
    assert first["start"] <= first["end"], first
    assert first["exit_code"] is None, first
    assert first["reason"] == "lost " + victim, first
    assert (second["attempt"], second["ended_by"]) == (2, "exit"), second
    assert second["exit_code"] == 0 and second["reason"] is None, second
    assert second["nodes"] == j["nodes"], (second, j)
    assert first["end"] <= second["start"] <= second["end"], body

    # podctl -o json prints the REST reply
    rc, stdout, err = podctl(ctl.url, "-o", "json", "job", "show", str(jid))
    assert rc == 0, err
    assert json.loads(stdout)["attempts"] == body["attempts"], stdout

    # podctl's table: one row per attempt, oldest first
    rc, stdout, err = podctl(ctl.url, "job", "show", str(jid))
    assert rc == 0, err
    lines = stdout.splitlines()
    head = [i for i, line in enumerate(lines) if line.startswith("ATTEMPT")]
    assert len(head) == 1, stdout
    assert lines[head[0]].split()[:3] == ["ATTEMPT", "NODES", "START"], stdout
    rows = lines[head[0] + 1:head[0] + 3]
    assert rows[0].split()[:2] == ["1", victim], stdout
    assert rows[0].rstrip().endswith("node_fail: lost " + victim), stdout
    assert rows[1].split()[:2] == ["2", second["nodes"][0]], stdout
    assert rows[1].rstrip().endswith("exit 0"), stdout

    # the lost node's detail lists the attempt it lost; the list does not
    n = node(victim)
    assert n["state"] == "down", n
    assert n["recent_attempts"][0] == {
        "job_id": jid, "job_name": "lost", "attempt": 1,
        "start": first["start"], "end": first["end"],
        "ended_by": "node_fail", "exit_code": None,
        "reason": "lost " + victim}, n["recent_attempts"]
    assert all("recent_attempts" not in x
               for x in ctl.api("GET", "/nodes")[1]["nodes"])

    # its agent returns and stops the orphaned attempt 1
    agents[victim].start()
    wait_for("the victim idle", lambda: node(victim)["state"] == "idle",
             timeout=20)
    wait_for("attempt 1's process gone",
             lambda: not pid_alive("%s/lost.1.pid" % out), timeout=20)


def test_leak_then_exit():
    # only the leaky node in service, so that attempt 1 runs there
    for n in NODES[:3]:
        rc, _, err = podctl(ctl.url, "node", "drain", n, "--reason", "test")
        assert rc == 0, err
    agents[LEAKY] = Agent(tmp, ctl.url, LEAKY, extra="fault = leak@%d\n"
                          % LEAK_AT_S).start()
    jid = submit("leaky", "exec sleep 300")
    wait_for("attempt 1 running on " + LEAKY, lambda: job(jid)[
        "nodes"] == [LEAKY] and job(jid)["ranks"][0]["state"] == "running",
        timeout=LEAK_AT_S)
    rc, _, err = podctl(ctl.url, "node", "resume", NODES[0])
    assert rc == 0, err
    j = wait_for("the job requeued and completed", lambda: job(jid)[
        "state"] == "completed" and job(jid), timeout=LEAK_AT_S + 30)
    first, second = j["attempts"]
    assert first["nodes"] == [LEAKY] and first["ended_by"] == "leak", first
    assert first["reason"] == "coolant leak on " + LEAKY, first
    assert first["exit_code"] is None and is_time(first["end"]), first
    assert second["nodes"] == [NODES[0]], second
    assert (second["ended_by"], second["exit_code"]) == ("exit", 0), second
    n = node(LEAKY)
    assert n["state"] == "drained" and n["leak"] is True, n
    assert [(a["job_id"], a["attempt"], a["ended_by"])
            for a in n["recent_attempts"]] == [(jid, 1, "leak")], n
    # newest first: the leaky job's attempt 2 before anything older there
    recent = node(NODES[0])["recent_attempts"]
    assert (recent[0]["job_id"], recent[0]["attempt"]) == (jid, 2), recent
    assert len(recent) <= 10, recent
    wait_for("attempt 1's process gone",
             lambda: not pid_alive("%s/leaky.1.pid" % out), timeout=20)


def test_pending_job_has_no_attempt():
    # every node drained: it waits
    rc, _, err = podctl(ctl.url, "node", "drain", NODES[0], "--reason", "t")
    assert rc == 0, err
    jid = submit("waiting", "true")
    j = wait_for("pending with a reason", lambda: job(jid)["reason"] and
                 job(jid))
    assert j["state"] == "pending" and j["attempts"] == [], j
    rc, stdout, err = podctl(ctl.url, "job", "show", str(jid))
    assert rc == 0 and not any(line.startswith("ATTEMPT ")
                               for line in stdout.splitlines()), (stdout, err)
    rc, _, err = podctl(ctl.url, "cancel", str(jid))
    assert rc == 0, err


def iso(dt):
    return dt.isoformat(timespec="milliseconds")


def test_telemetry_takes_rfc3339():
    name = NODES[0]
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    start = now - datetime.timedelta(minutes=30, milliseconds=-250)
    want = (start - datetime.timedelta(milliseconds=250)).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    plus2 = datetime.timezone(datetime.timedelta(hours=2))
    minus530 = datetime.timezone(-datetime.timedelta(hours=5, minutes=30))
    forms = [
        iso(start).replace("+00:00", "Z"),  # JavaScript's toISOString()
        start.astimezone(plus2).isoformat(),
        start.astimezone(minus530).isoformat(),
    ]
    for f in forms:
        q = urllib.parse.urlencode({"node": name, "from": f, "step": 60})
        status, body = ctl.api("GET", "/telemetry?" + q)
        assert status == 200, (f, body)
        assert body["from"] == want, (f, body["from"], want)
    # a '+' typed into a URL unescaped arrives as a space
    raw = start.astimezone(plus2).isoformat()
    status, body = ctl.api("GET", "/telemetry?node=%s&from=%s" % (name, raw))
    assert status == 200 and body["from"] == want, (raw, body)
    for bad in ("yesterday", "2024-05-01T12:00:00", "2024-02-30T00:00:00Z",
                "2024-05-01T12:00:00+25:00", "2024-05-01T12:00:00.Z"):
        q = urllib.parse.urlencode({"node": name, "from": bad})
        status, body = ctl.api("GET", "/telemetry?" + q)
        assert status == 400, (bad, body)
        msg = body["error"]["message"]
        assert "from=" in msg and bad in msg and "RFC 3339" in msg, msg


try:
    run([test_fleet_up, test_lost_node_then_exit, test_leak_then_exit,
         test_pending_job_has_no_attempt, test_telemetry_takes_rfc3339])
finally:
    for a in agents.values():
        a.stop()
    ctl.stop()
    # processes of jobs outlive their agents by design: stop ours here
    for f in os.listdir(out):
        if f.endswith(".pid") and pid_alive(os.path.join(out, f)):
            with open(os.path.join(out, f)) as p:
                os.kill(int(p.read()), signal.SIGKILL)
    tmp.cleanup()
