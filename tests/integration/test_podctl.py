"""podctl's contract with a person at a terminal and with scripts: exit 0 on
success; one clear line on stderr and a distinct non-zero status for an
unreachable server (3), an API error (1) and bad arguments (2); POD_SERVER
picks the server.

And podctl the way a Slurm operator types it, against a real controller
with simulated nodes (pod-fleetsim, two pods of four): options after the
command, sbatch's -N/-t/-J and time forms, submit without --time under the
controller's default, host lists for node show/drain/resume, comma lists in
filters (checked at the REST API too), --noheader, chosen and wide columns,
what a drain replaced, and the server's refusals in podctl's own flags."""

import json
import re

from podtest import Controller, Fleetsim, TempDir, free_port, podctl, run, \
    wait_for

tmp = TempDir("podctl")
ctl = Controller(tmp, extra="[scheduler]\ndefault_time_limit_s = 1800\n"
                 "max_time_limit_s = 172800\n"
                 "[fabric]\npods = 2\nnodes_per_pod = 4\n"
                 "groups_per_pod = 2\n").start()
# the same, but jobs must say how long they run
strict = Controller(tmp, name="strict", extra="[scheduler]\n"
                    "default_time_limit_s = 0\n").start()
fleet = Fleetsim(tmp, ctl.url, pods=2, nodes=4,
                 args=["--interval-ms", "500"]).start()
POD1 = ["pod01-n%03d" % i for i in range(1, 5)]
POD2 = ["pod02-n%03d" % i for i in range(1, 5)]
jobs = []  # ids to cancel at the end


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def ok(*args, env=None):
    """Runs podctl against ctl (--server first); returns its stdout."""
    rc, out, err = podctl(ctl.url, *args, env=env)
    assert rc == 0, (args, rc, out, err)
    return out


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def job(jid):
    status, body = ctl.api("GET", "/jobs/%d" % jid)
    assert status == 200, (status, body)
    return body


def table(out):
    """A table's lines split into cells."""
    return [line.split() for line in out.splitlines() if line.strip()]


def test_fleet_up():
    wait_for("8 nodes idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 8, timeout=30)


def test_unreachable_server():
    url = "http://127.0.0.1:%d" % free_port()
    rc, out, err = podctl(url, "status")
    assert rc == 3, (rc, err)
    line = one_line(err)
    assert line == "podctl: cannot reach %s: Connection refused" % url, line


def test_unknown_node():
    rc, out, err = podctl(ctl.url, "node", "show", "pod01-n999")
    assert rc == 1, (rc, err)
    assert "pod01-n999" in one_line(err)


def test_bad_arguments():
    for args in (("frobnicate",), ("nodes", "--state", "sleepy"),
                 ("node", "drain", "pod01-n001"), ("node",),
                 ("-o", "yaml", "pods"), ("pods", "-o", "yaml"),
                 ("node", "show", "pod01-n[001-"),
                 ("node", "show", "pod01-n[3-1]"),
                 ("jobs", "--state", "running,done")):
        rc, out, err = podctl(ctl.url, *args)
        assert rc == 2, (args, rc, err)
        one_line(err)


def test_pod_server_environment():
    rc, out, err = podctl(None, "pods", env={"POD_SERVER": ctl.url})
    assert rc == 0 and "pod01" in out, (rc, out, err)


def test_help_and_version():
    rc, out, err = podctl(None, "help")
    assert rc == 0 and "node" in out and "status" in out, (out, err)
    rc, out, err = podctl(None, "--version")
    assert rc == 0 and re.fullmatch(r"podctl \d+\.\d+\.\d+\n", out), (out, err)
    rc, out2, err = podctl(None, "nodes", "--version")
    assert rc == 0 and out2 == out, (out2, err)


def test_options_after_the_command():
    """Global options among the command's own: -o json and --server after
    the command words, and the JSON is exactly the REST reply."""
    rc, out, err = podctl(None, "jobs", "-o", "json", "--server", ctl.url)
    assert rc == 0, (rc, err)
    assert json.loads(out) == ctl.api("GET", "/jobs")[1], out
    rc, out, err = podctl(None, "nodes", "--state", "idle", "--server",
                          ctl.url, "--output=json")
    assert rc == 0, (rc, err)
    assert {n["name"] for n in json.loads(out)["nodes"]} == set(POD1 + POD2)
    # the later of two wins, wherever each is
    rc, out, err = podctl(None, "-o", "table", "--server",
                          "http://127.0.0.1:1", "pods", "-o", "json",
                          "--server", ctl.url)
    assert rc == 0 and json.loads(out)["pods"][0]["name"] == "pod01", err


def test_noheader_and_columns():
    out = ok("nodes", "--format", "name,state,power_w")
    rows = table(out)
    assert rows[0] == ["NAME", "STATE", "POWER_W"], out
    assert [r[0] for r in rows[1:]] == POD1 + POD2, out
    assert all(len(r) == 3 and r[1] == "idle" and float(r[2]) > 0
               for r in rows[1:]), out
    # in the order asked, -O as squeue's, no titles
    out = ok("nodes", "--noheader", "-O", "state,name", "--pod", "pod02")
    assert table(out) == [["idle", n] for n in POD2], out
    out = ok("pods", "--noheader")
    assert [r[0] for r in table(out)] == ["pod01", "pod02"], out
    rc, out, err = podctl(ctl.url, "nodes", "--format", "name,watts")
    assert rc == 2 and out == "", (rc, out, err)
    line = one_line(err)
    assert "unknown column 'watts'" in line and "power_w" in line and \
        "heat_w" in line, line


def test_wide_listing():
    """-o wide has the columns shown only on request, and on a narrow
    terminal drops nothing."""
    narrow = {"COLUMNS": "40"}
    head = table(ok("nodes", env=narrow))[0]
    assert "HEAT_W" not in head and "FLOW_LPM" not in head, head
    rows = table(ok("nodes", "-o", "wide", env=narrow))
    for col in ("NAME", "FLOW_LPM", "REASON", "ACCELS", "HEAT_W", "LEAK",
                "DRAINED"):
        assert col in rows[0], rows[0]
    accels = rows[0].index("ACCELS")
    # REASON is "-" on every node, so the cells line up with the titles
    assert all(r[accels] == "8" for r in rows[1:]), rows
    # a column shown only on request, by name
    assert table(ok("alarms", "-O", "id,acked_by"))[0] == ["ID", "ACKED_BY"]


def test_host_lists():
    out = ok("node", "drain", "pod01-n[001-002],pod02-n004", "--reason",
             "firmware")
    assert out.splitlines() == [
        "%s drained: firmware" % n
        for n in ("pod01-n001", "pod01-n002", "pod02-n004")], out
    for n in ("pod01-n001", "pod01-n002", "pod02-n004"):
        assert node(n)["state"] == "drained", node(n)
    assert node("pod01-n003")["state"] == "idle"
    out = ok("node", "show", "pod01-n[001-002]")
    shown = re.findall(r"^Node:\s+(\S+)", out, re.M)
    assert shown == ["pod01-n001", "pod01-n002"], out
    # -o json: one reply a line
    out = ok("node", "show", "pod01-n[001-002]", "-o", "json")
    assert [json.loads(line)["name"] for line in out.splitlines()] == [
        "pod01-n001", "pod01-n002"], out
    out = ok("node", "resume", "pod01-n[001-002],pod02-n004")
    assert out.splitlines() == ["pod01-n001 idle", "pod01-n002 idle",
                                "pod02-n004 idle"], out
    assert all(node(n)["state"] == "idle"
               for n in ("pod01-n001", "pod01-n002", "pod02-n004"))
    # one unknown node: the others are done, one line says which failed
    rc, out, err = podctl(ctl.url, "node", "drain", "pod02-n[003,009]",
                          "--reason", "x")
    assert rc == 1, (rc, out, err)
    assert out == "pod02-n003 drained: x\n", out
    assert "pod02-n009" in one_line(err), err
    assert node("pod02-n003")["state"] == "drained"
    rc, out, err = podctl(ctl.url, "node", "resume", "pod02-n00[2-3]")
    assert rc == 1 and out == "pod02-n003 idle\n", (rc, out, err)
    assert "pod02-n002" in one_line(err) and "not drained" in err, err


def test_drain_over_drain():
    status, first = ctl.api("POST", "/nodes/pod01-n004/drain",
                            {"reason": "old fan"})
    assert status == 200 and first["replaced"] is None, first
    out = ok("node", "drain", "pod01-n004", "--reason", "new fan")
    assert out == ("pod01-n004 drained: new fan (replaced reason 'old fan' "
                   "set by %s at %s)\n" % (first["drained_by"],
                                           first["drained_at"])), out
    status, body = ctl.api("POST", "/nodes/pod01-n004/drain",
                           {"reason": "newer fan"})
    assert status == 200 and body["replaced"]["reason"] == "new fan", body
    assert body["reason"] == "newer fan", body
    ok("node", "resume", "pod01-n004")


def test_comma_filters():
    ok("node", "drain", "pod01-n001,pod02-n002", "--reason", "lists")
    try:
        out = ok("nodes", "--state", "drained,down", "--noheader", "-O",
                 "name")
        assert out.split() == ["pod01-n001", "pod02-n002"], out
        out = ok("nodes", "--state", "idle,drained", "--noheader", "-O",
                 "name")
        assert out.split() == POD1 + POD2, out
        out = ok("nodes", "--pod", "pod02,pod01", "--state", "drained",
                 "--noheader", "-O", "name")
        assert out.split() == ["pod01-n001", "pod02-n002"], out
        out = ok("nodes", "--pod", "pod02", "--state", "idle,down",
                 "--noheader", "-O", "name")
        assert out.split() == ["pod02-n001", "pod02-n003", "pod02-n004"], out
        # the REST API takes the same lists, and names what it refuses
        status, body = ctl.api("GET", "/nodes?state=drained,idle&pod=pod02")
        assert status == 200 and len(body["nodes"]) == 4, body
        status, body = ctl.api("GET", "/nodes?state=drained,sleepy")
        assert status == 400 and "'sleepy'" in \
            body["error"]["message"], body
        status, body = ctl.api("GET", "/nodes?pod=pod01,pod77")
        assert status == 404 and "'pod77'" in body["error"]["message"], body
        status, body = ctl.api("GET", "/nodes?state=drained,")
        assert status == 400, body
        rc, out, err = podctl(ctl.url, "nodes", "--state", "drained,sleepy")
        assert rc == 2 and "'sleepy'" in one_line(err), (rc, err)
        rc, out, err = podctl(ctl.url, "nodes", "--pod", "pod01,Pod 2")
        assert rc == 2 and "'Pod 2'" in one_line(err), (rc, err)
    finally:
        ok("node", "resume", "pod01-n001,pod02-n002")


def submit(*args, server=None):
    rc, out, err = podctl(server or ctl.url, "submit", *args)
    assert rc == 0, (args, rc, out, err)
    jid = int(out.strip())
    jobs.append(jid)
    return jid


def test_submit_sbatch_style():
    jid = submit("-N", "2", "-t", "1-02:03:04", "-J", "slurmish", "--",
                 "sleep", "600")
    j = job(jid)
    assert (j["name"], j["nnodes"], j["time_limit_s"]) == (
        "slurmish", 2, 93784), j
    assert j["command"] == ["sleep", "600"], j
    # minutes alone, as sbatch; -G is the accelerators in total
    j = job(submit("-G", "2", "-t", "90", "--", "sleep", "600"))
    assert (j["accelerators_total"], j["time_limit_s"]) == (2, 5400), j
    rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "1:60", "--",
                          "true")
    assert rc == 2 and "seconds must be below 60" in one_line(err), err


def test_submit_without_time():
    """The controller's default_time_limit_s (1800 here) applies; one
    configured without a default refuses, in podctl's words; one over
    max_time_limit_s is refused too."""
    j = job(submit("-N", "1", "--", "sleep", "600"))
    assert j["time_limit_s"] == 1800, j
    rc, out, err = podctl(strict.url, "submit", "-N", "1", "--", "true")
    assert rc == 1, (rc, out, err)
    line = one_line(err)
    assert "--time is required" in line and "time_limit_s'" not in line, line
    status, body = strict.api("POST", "/jobs", {"command": ["true"],
                                                "nodes": 1})
    assert status == 400 and "'time_limit_s' is required" in \
        body["error"]["message"], body
    rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "2-00:00:01",
                          "--", "true")
    assert rc == 1, (rc, out, err)
    line = one_line(err)
    assert "--time" in line and "172800" in line, line


def test_refusals_name_the_flags():
    for args in (["--accelerators", "12", "--accels-per-node", "5"],
                 ["-N", "1", "--accels-per-node", "99"],
                 ["--accelerators", "9"]):
        rc, out, err = podctl(ctl.url, "submit", *args, "-t", "5", "--",
                              "true")
        assert rc == 1, (args, rc, out, err)
        line = one_line(err)
        assert "--accels-per-node" in line and "accels_per_node" not in \
            line, (args, line)


def test_job_state_lists():
    # the two jobs above on whole nodes and one on two accelerators hold
    # at most one pod and a node; a job of a whole pod waits behind them
    wait_for("the first job running",
             lambda: job(jobs[0])["state"] == "running")
    big = [submit("-N", "4", "-t", "10", "--", "sleep", "600")
           for _ in range(2)]
    wait_for("a pending job", lambda: any(
        job(j)["state"] == "pending" for j in big))
    states = {j: job(j)["state"] for j in jobs}
    out = ok("jobs", "--state", "pending,running", "--noheader", "-O",
             "id,state")
    got = {int(r[0]): r[1] for r in table(out)}
    assert {"pending", "running"} == set(got.values()), out
    assert {j for j in states if states[j] in ("pending", "running")} <= \
        set(got), (states, out)
    out = ok("jobs", "--state", "pending", "--noheader", "-O", "id")
    assert out.split() and all(job(int(i))["state"] == "pending"
                               for i in out.split()), out
    status, body = ctl.api("GET", "/jobs?state=running,pending")
    assert status == 200 and {j["state"] for j in body["jobs"]} == {
        "running", "pending"}, body
    status, body = ctl.api("GET", "/jobs?state=pending,done")
    assert status == 400 and "'done'" in body["error"]["message"], body


def cleanup():
    for jid in jobs:
        ctl.api("DELETE", "/jobs/%d" % jid)


try:
    run([test_fleet_up, test_unreachable_server, test_unknown_node,
         test_bad_arguments, test_pod_server_environment,
         test_help_and_version, test_options_after_the_command,
         test_noheader_and_columns, test_wide_listing, test_host_lists,
         test_drain_over_drain, test_comma_filters, test_submit_sbatch_style,
         test_submit_without_time, test_refusals_name_the_flags,
         test_job_state_lists])
finally:
    cleanup()
    fleet.stop()
    strict.stop()
    ctl.stop()
    tmp.cleanup()
