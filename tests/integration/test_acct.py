"""Accounting end to end, as sacct and sreport give it: a controller and
four real pod-agentd processes (sim plugins) run jobs for two users (root,
with the admin token, and nobody, with a viewer token of its own): one that
completes, one that fails, one cancelled while it runs, one requeued after
its node is lost. Every attempt has a record, a running one too, with
energy, accelerator-hours and peak power; `podctl acct` filters by user,
account, state, job and a time window; -o csv is read back with Python's
csv module, -o json is the REST reply; `podctl usage` sums what the rows
say, prorated over a period that cuts an attempt; and a restart of the
controller keeps every record.
"""

import calendar
import csv
import io
import json
import os
import signal
import subprocess
import time

from podtest import Agent, Controller, TempDir, podctl, run, wait_for

NODES = ["pod01-n%03d" % i for i in range(1, 5)]
tmp = TempDir("acct")
out = os.path.join(tmp.path, "out")  # in the jobs' command lines
ctl = Controller(tmp, heartbeat_s=6, extra="[scheduler]\nkill_grace_s = 1\n"
                 "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 2\n"
                 "[accounting]\nretention_days = 30\n").start()
agents = {n: Agent(tmp, ctl.url, n).start() for n in NODES}
NOBODY = None  # nobody's viewer token
ACCOUNTS = {"root": "root", "nobody": "root"}  # user -> account it uses
JOBS = {}  # what each job is for -> its id
T_MID = None  # ms: after the first job's end, before the others' start


def as_user(user):
    return {"POD_TOKEN": NOBODY} if user == "nobody" else None


def ok(*args, user="root"):
    """Runs podctl as user, which must succeed; its output."""
    rc, stdout, err = podctl(ctl.url, *args, env=as_user(user))
    assert rc == 0, (args, rc, stdout, err)
    return stdout


def submit(user, *args):
    # nobody names its account, root takes its default
    extra = []
    if user == "nobody" or ACCOUNTS[user] != "root":
        extra = ["--account", ACCOUNTS[user]]
    return int(ok("submit", "-D", "/tmp", *extra, *args, user=user).strip())


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def wait_state(jid, state, timeout=40):
    return wait_for("job %s %s" % (jid, state),
                    lambda: job(jid)["state"] == state and job(jid),
                    timeout=timeout)


def acct_rest(query=""):
    status, body = ctl.api("GET", "/acct" + query)
    assert status == 200, (status, body)
    return body["acct"]


def acct_json(*args):
    return json.loads(ok("-o", "json", "acct", *args))["acct"]


def keys(rows):
    return sorted((r["job_id"], r["attempt"]) for r in rows)


def test_setup():
    global NOBODY
    wait_for("4 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 4, timeout=20)
    NOBODY = ctl.token("nobody", "viewer")
    # Accounts of their own where podctl can make them; else both users
    # are accounted under the default account, root.
    rc, _, _ = podctl(ctl.url, "account", "add", "physics")
    if rc == 0:
        for user, account in (("root", "physics"), ("nobody", "ai")):
            podctl(ctl.url, "account", "add", account)
            rc, _, err = podctl(ctl.url, "user", "add", user,
                                "--account", account)
            assert rc == 0, err
            ACCOUNTS[user] = account
    print("accounts by user: %s" % ACCOUNTS, flush=True)


def test_completed_and_running_have_records():
    global T_MID
    jid = submit("root", "-J", "done", "-N", "1", "-t", "1m", "--",
                 "sh", "-c", "sleep 4")
    JOBS["completed"] = jid
    wait_state(jid, "running")
    # a running attempt has its record: no end yet, counting up
    rows = acct_json("-j", str(jid))
    assert len(rows) == 1 and rows[0]["state"] == "running", rows
    assert rows[0]["end_time"] is None and rows[0]["exit_code"] is None
    assert rows[0]["user"] == "root" and rows[0]["account"] == \
        ACCOUNTS["root"], rows
    assert jid in [r["job_id"] for r in acct_json("-s", "running")]
    wait_state(jid, "completed")
    T_MID = int(time.time() * 1000) + 1
    [r] = acct_rest("?job=%d" % jid)
    assert r["state"] == "completed" and r["exit_code"] == 0, r
    assert r["attempt"] == 1 and r["nodelist"] in NODES, r
    assert r["nnodes"] == 1 and r["accelerators"] == 8, r
    assert r["qos"] and r["partition"], r
    assert 3 <= r["elapsed_s"] <= 15, r
    # 8 accelerators for about four seconds
    assert 8 * 3.5 / 3600 < r["accel_hours"] < 8 * 15 / 3600, r
    assert r["energy_j"] > 0 and r["peak_power_w"] > 0, r


def test_failed_and_cancelled():
    jid = submit("nobody", "-J", "fails", "-N", "1", "-t", "1m", "--",
                 "sh", "-c", "sleep 1; exit 3")
    JOBS["failed"] = jid
    wait_state(jid, "failed")
    [r] = acct_rest("?job=%d" % jid)
    assert r["state"] == "failed" and r["exit_code"] == 3, r
    assert r["user"] == "nobody" and r["account"] == ACCOUNTS["nobody"], r

    jid = submit("nobody", "-J", "cancelled", "-N", "1", "-t", "5m", "--",
                 "sh", "-c", "sleep 120", out)
    JOBS["cancelled"] = jid
    wait_state(jid, "running")
    wait_for("its rank running", lambda: all(
        r["state"] == "running" for r in job(jid)["ranks"]))
    ok("cancel", str(jid), user="nobody")
    wait_state(jid, "cancelled", timeout=20)
    [r] = acct_rest("?job=%d" % jid)
    assert r["state"] == "cancelled" and r["end_time"] is not None, r


def test_requeued_after_node_loss():
    jid = submit("root", "-J", "requeued", "-N", "2", "-t", "5m", "--",
                 "sh", "-c", "sleep 120", out)
    JOBS["requeued"] = jid
    j = wait_state(jid, "running")
    wait_for("both ranks running", lambda: all(
        r["state"] == "running" for r in job(jid)["ranks"]))
    victim = j["nodes"][1]
    agents[victim].stop(signal.SIGKILL)
    wait_for("attempt 2 running", lambda: job(jid)["attempt"] == 2 and
             job(jid)["state"] == "running", timeout=40)
    first, second = acct_rest("?job=%d" % jid)
    assert first["attempt"] == 1 and first["state"] == "node_fail", first
    assert first["reason"] == "lost %s; requeued" % victim, first
    assert victim in first["nodelist"] or first["nnodes"] == 2, first
    assert second["attempt"] == 2 and second["state"] == "running", second
    agents[victim].start()
    wait_for("victim idle", lambda: ctl.api("GET", "/nodes/" + victim)[1][
        "state"] == "idle", timeout=30)
    ok("cancel", str(jid))
    wait_state(jid, "cancelled", timeout=20)
    first2, second = acct_rest("?job=%d" % jid)
    assert first2 == first, (first, first2)  # an ended record stays
    assert second["state"] == "cancelled" and second["reason"] is None, \
        second


def test_filters():
    everything = acct_json()
    assert len(everything) == 5, everything
    assert not [r for r in everything if r["state"] == "running"]
    # user
    mine = acct_json("-u", "nobody")
    assert keys(mine) == keys(r for r in everything
                              if r["user"] == "nobody"), mine
    assert {r["job_id"] for r in mine} == {JOBS["failed"],
                                           JOBS["cancelled"]}, mine
    assert keys(acct_json("--user", "root,nobody")) == keys(everything)
    # account
    acct = ACCOUNTS["nobody"]
    assert keys(acct_json("-A", acct)) == keys(
        r for r in everything if r["account"] == acct)
    assert acct_json("-A", "no-such-account") == []
    # state, in sacct's capitals too
    failed = acct_json("-s", "FAILED")
    assert [r["job_id"] for r in failed] == [JOBS["failed"]], failed
    both = acct_json("--state", "cancelled,node_fail")
    assert keys(both) == [(JOBS["cancelled"], 1), (JOBS["requeued"], 1),
                          (JOBS["requeued"], 2)], both
    # jobs
    assert keys(acct_json("-j", "%d,%d" % (JOBS["completed"],
                                            JOBS["failed"]))) == [
        (JOBS["completed"], 1), (JOBS["failed"], 1)]
    # time window: attempts that overlap it
    later = acct_json("-S", str(T_MID))
    assert JOBS["completed"] not in [r["job_id"] for r in later], later
    assert len(later) == 4, later
    earlier = acct_json("-E", str(T_MID))
    assert [r["job_id"] for r in earlier] == [JOBS["completed"]], earlier
    today = time.strftime("%Y-%m-%d", time.gmtime(time.time() - 86400))
    assert keys(acct_json("-S", today, "-E", "now")) == keys(everything)
    assert acct_json("-S", "now") == []
    assert keys(acct_json("-S", "1h")) == keys(everything)
    # and refusals name what is wrong
    rc, _, err = podctl(ctl.url, "acct", "-s", "sleeping")
    assert rc == 1 and "sleeping" in err, (rc, err)
    rc, _, err = podctl(ctl.url, "acct", "--format", "JobID,Colour")
    assert rc == 2 and "Colour" in err, (rc, err)
    status, body = ctl.api("GET", "/acct?start=yesterday")
    assert status == 400 and "start" in body["error"]["message"], body


def test_json_is_rest_and_csv_parses():
    for args, query in ((("-u", "nobody"), "?user=nobody"),
                        ((), ""),
                        (("-s", "failed,completed"),
                         "?state=failed,completed")):
        assert acct_json(*args) == acct_rest(query), args
    rows = acct_rest()
    fields = "JobID,Attempt,User,Account,State,Elapsed,AccelHours," \
        "EnergyKWh,PeakPowerW,NodeList,ExitCode,Reason"
    text = ok("-o", "csv", "acct", "--format", fields)
    parsed = list(csv.DictReader(io.StringIO(text)))
    assert list(parsed[0].keys()) == fields.split(","), parsed[0]
    assert len(parsed) == len(rows), (parsed, rows)
    for p, r in zip(parsed, rows):
        assert int(p["JobID"]) == r["job_id"], (p, r)
        assert int(p["Attempt"]) == r["attempt"], (p, r)
        assert p["User"] == r["user"] and p["Account"] == r["account"]
        assert p["State"] == r["state"].upper(), (p, r)
        assert abs(float(p["AccelHours"]) - r["accel_hours"]) < 1e-4, (p, r)
        assert abs(float(p["EnergyKWh"]) - r["energy_j"] / 3.6e6) < 1e-4
        assert p["NodeList"] == r["nodelist"], (p, r)
        # the reason holds a ';' and the lost node: one field still
        assert p["Reason"] == (r["reason"] or ""), (p, r)
        assert p["ExitCode"] == ("" if r["exit_code"] is None
                                 else str(r["exit_code"])), (p, r)
        h, m, s = (int(x) for x in p["Elapsed"].split(":"))
        assert h * 3600 + m * 60 + s == r["elapsed_s"], (p, r)
    # the table has sacct's titles
    assert ok("acct").split()[:3] == ["JobID", "Attempt", "JobName"]


def usage(*args):
    return json.loads(ok("-o", "json", "usage", *args))


def test_usage_sums_the_rows():
    rows = acct_rest()
    for by in ("user", "account"):
        u = usage("--by", by)
        assert u["by"] == by, u
        want = {}
        for r in rows:
            w = want.setdefault(r[by], [0.0, 0.0, 0])
            w[0] += r["accel_hours"]
            w[1] += r["energy_j"] or 0
            w[2] += 1
        got = {g[by]: g for g in u["usage"]}
        assert set(got) == set(want), (got, want)
        for name, (ah, ej, n) in want.items():
            g = got[name]
            assert abs(g["accel_hours"] - ah) < 1e-6, (name, g, ah)
            assert abs(g["energy_j"] - ej) < 1e-3, (name, g, ej)
            assert abs(g["energy_kwh"] - ej / 3.6e6) < 1e-9, (name, g)
            assert g["attempts"] == n, (name, g, n)
        assert abs(u["total"]["accel_hours"] -
                   sum(r["accel_hours"] for r in rows)) < 1e-6, u
    # A period that cuts the completed job in two counts the part inside.
    [r] = acct_rest("?job=%d" % JOBS["completed"])
    start = parse_ms(r["start_time"])
    end = start + r["elapsed_s"] * 1000
    cut = start + 1000
    before = usage("-S", str(start - 3600 * 1000), "-E", str(cut))
    got = {g["user"] if "user" in g else g["account"]: g
           for g in before["usage"]}[r["account"]]
    # the store keeps ms, the reply seconds: within two seconds
    share = (cut - start) / max(end - start, 1)
    assert abs(got["accel_hours"] - r["accel_hours"] * share) <= \
        8 * 2 / 3600, (got, r)
    assert 0 < got["accel_hours"] < r["accel_hours"], (got, r)
    assert 0 < got["energy_j"] < r["energy_j"], (got, r)
    text = ok("usage", "--by", "user")
    assert "nobody" in text and "Total:" in text, text
    parsed = list(csv.DictReader(io.StringIO(
        ok("-o", "csv", "usage", "--by", "user"))))
    assert {p["User"] for p in parsed} == {"root", "nobody"}, parsed


def parse_ms(iso):
    return calendar.timegm(time.strptime(iso, "%Y-%m-%dT%H:%M:%SZ")) * 1000


def test_restart_keeps_records():
    before = acct_rest()
    ctl.restart()
    assert acct_rest() == before
    assert usage("--by", "account")["total"]["attempts"] == len(before)


def test_restart_keeps_a_running_attempts_energy():
    jid = submit("root", "-J", "across", "-N", "1", "-t", "5m", "--",
                 "sh", "-c", "sleep 120", out)
    wait_state(jid, "running")
    r = wait_for("energy and peak measured", lambda: [
        r for r in acct_rest("?job=%d" % jid)
        if (r["energy_j"] or 0) > 0 and r["peak_power_w"]])[0]
    ctl.restart()
    after = acct_rest("?job=%d" % jid)[0]
    assert after["state"] == "running", after
    # neither zeroed nor counted twice: it goes on from where it was
    assert r["energy_j"] <= after["energy_j"], (r, after)
    assert after["peak_power_w"] >= r["peak_power_w"], (r, after)
    ok("cancel", str(jid))
    wait_state(jid, "cancelled", timeout=20)
    final = acct_rest("?job=%d" % jid)[0]
    assert final["energy_j"] >= after["energy_j"], (after, final)
    assert final["energy_j"] < 3 * after["energy_j"] + 50000, (after, final)


try:
    run([test_setup, test_completed_and_running_have_records,
         test_failed_and_cancelled, test_requeued_after_node_loss,
         test_filters, test_json_is_rest_and_csv_parses,
         test_usage_sums_the_rows, test_restart_keeps_records,
         test_restart_keeps_a_running_attempts_energy])
finally:
    for a in agents.values():
        a.stop()
    ctl.stop()
    # processes of jobs outlive their agents by design: stop them here
    subprocess.run(["pkill", "-f", out], check=False)
    tmp.cleanup()
