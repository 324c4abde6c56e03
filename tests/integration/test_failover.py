"""Two controllers on one PostgreSQL database (docs/high-availability.md),
run under pgserver.py: one leads, the other stands by.

- The standby says so on /health, names the active one, serves the
  reads the database answers (tokens, a job's record, audit, accounting,
  history), and refuses everything else with 503 `standby` and where the
  active one is.
- The active controller is killed (SIGKILL) with jobs running and waiting
  on four real agents, which are given both addresses: the standby takes
  over, the agents follow it, every job completes, each launched exactly
  once (one marker file per job, attempt 1), and podctl given both
  addresses gets its answers from whichever leads. The takeover time is
  printed.
- PostgreSQL stopped under load: the controller says `lost` on /health,
  refuses writes with 503 `not_active`, goes on serving reads from memory,
  and leads again, jobs unharmed, once the server is back.
"""

import os
import re
import signal
import subprocess
import time

from podtest import (Agent, Controller, TempDir, http, pg_database,
                     pg_server, podctl, run, wait_for)

if not os.environ.get("POD_TEST_PG"):
    print("skip: needs a PostgreSQL server (run under pgserver.py)")
    raise SystemExit(77)

NODES = ["pod01-n%03d" % i for i in range(1, 5)]
JOBS = 8
EXTRA = ("leader_lease_s = 1\nstore_interval_s = 1\n"
         "[scheduler]\nkill_grace_s = 1\n"
         "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 2\n")
tmp = TempDir("failover")
out = os.path.join(tmp.path, "out")
os.makedirs(out)
db = pg_database("failover")
# fence_s: agents keep unconfirmed jobs this long, longer than a takeover
first = Controller(tmp, name="first", database=db, fence_s=20,
                   heartbeat_s=6, extra=EXTRA).start()
second = Controller(tmp, name="second", database=db, fence_s=20,
                    heartbeat_s=6, extra=EXTRA, standby=first).start()
both = "%s,%s" % (first.url, second.url)
agents = [Agent(tmp, both, n).start() for n in NODES]


def ok(*args):
    """podctl with both addresses, which must succeed; its output."""
    rc, stdout, err = podctl(both, *args)
    assert rc == 0, (args, rc, stdout, err)
    return stdout


def markers():
    return sorted(os.listdir(out))


def metrics(ctl):
    """ctl's /metrics, which promtool must pass clean: ({role: value} of
    pod_controller_role, its lead epoch, the text)."""
    code, text = http("GET", ctl.url + "/metrics")
    assert code == 200, (code, text)
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), (
        p.stdout, p.stderr)
    roles = {r: float(v) for r, v in re.findall(
        r'^pod_controller_role\{role="(\w+)"\} (\S+)$', text, re.M)}
    epoch = re.findall(r"^pod_controller_lead_epoch (\S+)$", text, re.M)
    assert len(epoch) == 1, text
    return roles, float(epoch[0]), text


def test_standby_says_so():
    wait_for("the first to lead", lambda: first.role() == "active")
    wait_for("the second to stand by", lambda: second.role() == "standby")
    code, h = http("GET", second.url + "/api/v1/health")
    assert code == 200 and h["active"] == first.url, h
    code, body = second.api("GET", "/jobs")
    assert code == 503 and body["error"]["code"] == "standby", body
    assert body["error"]["active"] == first.url, body
    code, body = second.api("POST", "/jobs", {"command": ["true"]})
    assert code == 503 and body["error"]["code"] == "standby", body
    # each says its role to Prometheus, the standby without any state
    roles, epoch, text = metrics(second)
    assert roles == {"standby": 1, "waiting": 0, "active": 0, "lost": 0,
                     "deposed": 0} and epoch == 0, (roles, epoch)
    assert "pod_nodes" not in text and "pod_jobs" not in text, text
    roles, epoch, text = metrics(first)
    assert roles["active"] == 1 and sum(roles.values()) == 1, roles
    assert epoch >= 1 and "pod_nodes{" in text, epoch
    wait_for("the agents on the first", lambda: first.nodes_up() == 4)


def test_standby_serves_reads():
    """What the database holds, the standby answers: a token made at the
    active one signs in there within seconds, and a revoked one no longer
    does; a job's record, the audit, the accounting and a node's history.
    What needs the active one's memory still gets 503 `standby`."""
    vera = first.token("vera", "viewer")

    def whoami(tok):
        return second.api("GET", "/whoami", token=tok)
    code, me = wait_for("the standby to know a new token", lambda: (
        whoami(vera) if whoami(vera)[0] == 200 else None), timeout=20)
    assert me["user"] == "vera" and me["role"] == "viewer", me
    jid = int(ok("submit", "-J", "reads", "-N", "1", "--", "true").strip())
    code, job = wait_for("the job completed, as the standby reads it",
                         lambda: (lambda r: r if r[0] == 200 and r[1][
                             "state"] == "completed" else None)(
                             second.api("GET", "/jobs/%d" % jid)),
                         timeout=30)
    assert job["name"] == "reads" and job["attempt"] == 1, job
    assert [a["attempt"] for a in job["attempts"]] == [1], job
    code, acct = second.api("GET", "/acct?job=%d" % jid)
    assert code == 200 and [a["job_id"] for a in acct["acct"]] == [
        jid], acct
    code, audit = second.api("GET", "/audit?action=token%20create")
    assert code == 200 and any(
        "vera" in (a["detail"] or "") for a in audit["audit"]), audit
    code, hist = wait_for("a stored sample of pod01-n001 on the standby",
                          lambda: (lambda r: r if r[0] == 200 and any(
                              p["power_w"] is not None
                              for p in r[1]["points"]) else None)(
                              second.api("GET", "/telemetry?node="
                                         "pod01-n001&step=10")),
                          timeout=30)
    for path in ("/nodes", "/status", "/jobs?state=running"):
        code, body = second.api("GET", path, token=vera)
        assert code == 503 and body["error"]["code"] == "standby", body
    revoked = [t["id"] for t in first.api("GET", "/tokens")[1]["tokens"]
               if t["user"] == "vera"]
    assert len(revoked) == 1, revoked
    code, body = first.api("DELETE", "/tokens/%d" % revoked[0])
    assert code == 200, body
    wait_for("the standby to refuse the revoked token",
             lambda: whoami(vera)[0] == 401, timeout=20)


def test_kill_the_active_one():
    for i in range(JOBS):
        ok("submit", "-J", "j%d" % i, "-N", "1", "-t", "2m", "--", "sh",
           "-c", 'touch %s/"$POD_JOB_ID.$POD_JOB_ATTEMPT"; sleep 4' % out)
    wait_for("four jobs running", lambda: len(markers()) == 4)
    t0 = time.monotonic()
    first.stop(signal.SIGKILL)
    wait_for("the second to lead", lambda: second.role() == "active",
             timeout=30, interval=0.05)
    print("takeover: %.1f s after SIGKILL" % (time.monotonic() - t0))
    roles, epoch, _ = metrics(second)
    assert roles["active"] == 1 and epoch >= 2, (roles, epoch)
    wait_for("the agents on the second", lambda: second.nodes_up() == 4,
             timeout=30)

    def done():
        code, body = second.api("GET", "/jobs")
        assert code == 200, body
        mine = [j for j in body["jobs"] if j["name"].startswith("j")]
        return len(mine) == JOBS and all(
            j["state"] == "completed" for j in mine) and mine
    jobs = wait_for("every job completed", done, timeout=90)
    assert all(j["attempt"] == 1 for j in jobs), jobs
    # one launch each: one marker per job, none of a second attempt
    assert markers() == sorted("%d.1" % j["id"] for j in jobs), markers()
    assert "j7" in ok("jobs")


def test_postgresql_away_and_back():
    pg = pg_server()
    jid = int(ok("submit", "-N", "1", "-t", "2m", "--", "sh", "-c",
                 "touch %s/away.$POD_JOB_ATTEMPT; sleep 8" % out).strip())
    wait_for("the job running", lambda: "away.1" in markers())
    pg.pause()
    try:
        wait_for("the leader to say it lost the database",
                 lambda: second.role() == "lost", timeout=30)
        code, body = second.api("POST", "/nodes/pod01-n001/drain",
                                {"reason": "x"})
        assert code == 503 and body["error"]["code"] == "not_active", body
        # reads from memory go on; one that needs the database says why
        code, body = second.api("GET", "/jobs")
        assert code == 200 and [j["state"] for j in body["jobs"]
                                if j["id"] == jid] == ["running"], body
        code, body = second.api("GET", "/jobs/%d" % jid)
        assert code == 503 and "not reachable" in \
            body["error"]["message"], body
    finally:
        pg.resume()
    wait_for("the leader back", lambda: second.role() == "active",
             timeout=30)
    assert "the lead is back" in second.log()

    def completed():
        code, body = second.api("GET", "/jobs/%d" % jid)
        return body if code == 200 and body["state"] == "completed" else None
    j = wait_for("the job completed", completed, timeout=60)
    assert j["attempt"] == 1 and markers().count("away.1") == 1, j


try:
    run([test_standby_says_so, test_standby_serves_reads,
         test_kill_the_active_one,
         test_postgresql_away_and_back])
finally:
    for a in agents:
        a.stop()
    second.stop()
    first.stop()
    subprocess.run(["pkill", "-f", out], check=False)
    tmp.cleanup()
