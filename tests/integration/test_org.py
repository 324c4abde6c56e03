"""The site's organisation through a real controller, driven with podctl
and HTTP: the account tree, users and their accounts, the defaults a
submission gets, each refusal naming what it refuses, a partition keeping
jobs on its nodes (simulated nodes of pod-fleetsim), and a maintenance
window: announced, its nodes drained with the reason at its start (an
operator's own drain untouched) and back at its end."""

import datetime
import json
import time

from podtest import Controller, Fleetsim, TempDir, podctl, run, wait_for

CONF = """[fabric]
pods = 2
nodes_per_pod = 4
groups_per_pod = 2
[scheduler]
maint_notice_h = 1
[qos normal]
priority = 0
[qos debug]
priority = 10
max_wall_s = 3600
max_accels_per_user = 8
[partition batch]
pods = pod01
default = true
max_time_s = 7200
[partition gpu]
pods = pod02
accounts = ai
"""

tmp = TempDir("org")
ctl = Controller(tmp, extra=CONF).start()
fleet = None


def ok(*args, token=None):
    rc, out, err = podctl(ctl.url, *args,
                          env={"POD_TOKEN": token} if token else None)
    assert rc == 0, (args, rc, out, err)
    return out


def refused(*args, token=None):
    rc, out, err = podctl(ctl.url, *args,
                          env={"POD_TOKEN": token} if token else None)
    assert rc != 0 and out == "", (args, rc, out, err)
    return err


def api(method, path, body=None, token=None):
    return ctl.api(method, path, body, token=token)


def submit(body, token=None):
    body = dict({"name": "t", "command": ["sleep", "30"], "nodes": 1,
                 "time_limit_s": 600}, **body)
    return api("POST", "/jobs", body, token=token)


def test_account_tree():
    ok("account", "add", "physics", "--shares", "2",
       "--description", "the physicists")
    ok("account", "add", "ai", "--parent", "physics")
    ok("account", "add", "chem")
    names = [a["name"] for a in api("GET", "/accounts")[1]["accounts"]]
    assert names == ["root", "physics", "ai", "chem"], names
    out = ok("account", "list")
    assert out.splitlines()[0].split()[:3] == ["NAME", "PARENT", "SHARES"], out
    assert any(l.split()[:3] == ["ai", "physics", "1"]
               for l in out.splitlines()), out
    show = json.loads(ok("-o", "json", "account", "show", "physics"))
    assert show["children"] == ["ai"] and show["shares"] == 2, show
    assert show["description"] == "the physicists", show
    # a move under one's own child is refused, naming both
    err = refused("account", "modify", "physics", "--parent", "ai")
    assert "'ai' is under 'physics'" in err, err
    ok("account", "modify", "chem", "--parent", "physics", "--shares", "3")
    status, chem = api("GET", "/accounts/chem")
    assert status == 200 and chem["parent"] == "physics", chem
    assert chem["shares"] == 3, chem
    # parents first, whatever the order the accounts were made in
    names = [a["name"] for a in api("GET", "/accounts")[1]["accounts"]]
    assert names.index("physics") < names.index("chem"), names
    assert "account 'physics' exists" in refused("account", "add", "physics")
    err = refused("account", "add", "bio", "--parent", "nope")
    assert "unknown account 'nope'" in err, err
    status, body = api("GET", "/accounts/nope")
    assert status == 404, (status, body)
    # only an admin changes accounts
    op = ctl.token("olga", "operator")
    err = refused("account", "add", "x", token=op)
    assert "forbidden" in err, err
    actions = [(a["action"], a["object"])
               for a in api("GET", "/audit?action=account%20add")[1]["audit"]]
    assert ("account add", "account physics") in actions, actions
    assert api("GET", "/audit?action=account%20modify")[1]["audit"], \
        "account modify is not audited"


def test_users():
    ok("user", "add", "alice", "-A", "ai,physics",
       "--default-account", "physics")
    ok("user", "add", "bob", "--account", "ai")
    users = {u["name"]: u for u in api("GET", "/users")[1]["users"]}
    assert users["alice"]["default_account"] == "physics", users
    assert sorted(users["alice"]["accounts"]) == ["ai", "physics"], users
    assert users["bob"]["default_account"] == "ai", users
    ok("user", "modify", "alice", "--default-account", "ai")
    assert api("GET", "/users/alice")[1]["default_account"] == "ai"
    err = refused("user", "modify", "alice", "--default-account", "chem")
    assert "not one of the user's accounts" in err, err
    err = refused("user", "add", "carol", "-A", "nope")
    assert "unknown account 'nope'" in err, err
    assert "user 'alice' exists" in refused("user", "add", "alice", "-A", "ai")
    out = ok("user", "list")
    assert any(l.split()[:2] == ["alice", "ai"] for l in out.splitlines()), out
    accts = {a["name"]: a["users"]
             for a in api("GET", "/accounts")[1]["accounts"]}
    assert sorted(accts["ai"]) == ["alice", "bob"], accts
    assert api("GET", "/audit?action=user%20add")[1]["audit"]


def test_qos_and_partitions_listed():
    qos = {q["name"]: q for q in api("GET", "/qos")[1]["qos"]}
    assert set(qos) == {"normal", "debug"}, qos
    assert qos["normal"]["default"] and not qos["debug"]["default"], qos
    assert qos["debug"]["max_wall_s"] == 3600, qos
    parts = {p["name"]: p for p in api("GET", "/partitions")[1]["partitions"]}
    assert parts["batch"]["nodes"] == "pod01-n[001-004]", parts
    assert parts["batch"]["default"] and parts["batch"]["accounts"] is None
    assert parts["gpu"]["accounts"] == ["ai"], parts
    out = ok("qos", "list")
    assert "debug" in out and "3600" in out, out
    out = ok("partition", "list")
    assert "pod02-n[001-004]" in out, out


def test_defaults_applied_at_submit():
    alice = ctl.token("alice", "viewer")
    status, body = submit({}, token=alice)
    assert status in (200, 201), (status, body)
    status, j = api("GET", "/jobs/%d" % body["id"])
    assert (j["account"], j["qos"], j["partition"]) == \
        ("ai", "normal", "batch"), j
    api("DELETE", "/jobs/%d" % body["id"])
    # a user nobody added charges root (enforce is off)
    status, body = submit({})
    assert status in (200, 201), (status, body)
    j = api("GET", "/jobs/%d" % body["id"])[1]
    assert j["account"] == "root", j
    api("DELETE", "/jobs/%d" % body["id"])


def test_refusals_name_what_they_refuse():
    alice = ctl.token("alice", "viewer")
    cases = [
        ({"account": "phys"}, "unknown account 'phys'"),
        ({"qos": "gold"}, "unknown QOS 'gold'"),
        ({"partition": "tpu"}, "unknown partition 'tpu'"),
        ({"reservation": "r9"}, "unknown reservation 'r9'"),
        ({"account": "chem"}, "may not charge account 'chem'"),
        ({"account": "physics", "partition": "gpu"},
         "account 'physics' may not use partition 'gpu' (AccountNotAllowed)"),
        ({"qos": "debug", "time_limit_s": 7200},
         "time limit 7200 s is over QOS 'debug' max_wall_s 3600 "
         "(QOSMaxWallDurationPerJobLimit)"),
        ({"time_limit_s": 9000},
         "time limit 9000 s is over partition 'batch' max_time_s 7200 "
         "(PartitionTimeLimit)"),
        ({"qos": "debug", "nodes": 2}, "QOSMaxGRESPerUser"),
    ]
    for body, want in cases:
        status, reply = submit(body, token=alice)
        assert status == 400, (body, status, reply)
        assert want in reply["error"]["message"], (body, reply)
    # podctl says the same
    err = refused("submit", "-A", "phys", "-N", "1", "--", "sleep", "1")
    assert "unknown account 'phys'" in err, err


def test_partition_keeps_jobs_on_its_nodes():
    global fleet
    fleet = Fleetsim(tmp, ctl.url, pods=2, nodes=4).start()
    wait_for("8 nodes up", lambda: ctl.nodes_up() == 8)
    bob = ctl.token("bob", "viewer")
    ids = []
    for _ in range(3):
        status, body = submit({"partition": "gpu"}, token=bob)
        assert status in (200, 201), (status, body)
        ids.append(body["id"])

    def running():
        jobs = [api("GET", "/jobs/%d" % i)[1] for i in ids]
        return all(j["state"] == "running" for j in jobs) and jobs
    jobs = wait_for("bob's jobs running", running)
    for j in jobs:
        assert all(n.startswith("pod02-") for n in j["nodes"]), j
    status, body = submit({})
    assert status in (200, 201), (status, body)
    j = wait_for("a batch job running",
                 lambda: (lambda j: j["state"] == "running" and j)(
                     api("GET", "/jobs/%d" % body["id"])[1]))
    assert all(n.startswith("pod01-") for n in j["nodes"]), j
    for i in ids + [body["id"]]:
        api("DELETE", "/jobs/%d" % i)


def node(name):
    return api("GET", "/nodes/%s" % name)[1]


def test_maintenance_window():
    assert ctl.drain("pod02-n004", "bad fan")[0] == 200
    start = datetime.datetime.now(datetime.timezone.utc) \
        + datetime.timedelta(seconds=4)
    out = ok("reservation", "add", "m1", "--start",
             start.strftime("%Y-%m-%dT%H:%M:%S"), "--duration", "5s",
             "--pods", "pod02", "--maint")
    assert "pod02-n[001-004]" in out, out
    listed = {r["name"]: r for r in
              api("GET", "/reservations")[1]["reservations"]}
    assert listed["m1"]["maint"] and listed["m1"]["state"] == "planned", listed
    # announced at once: maint_notice_h is 1
    alarm = wait_for("the maintenance alarm", lambda: [
        a for a in api("GET", "/alarms")[1]["alarms"]
        if a["kind"] == "maintenance" and a["object"] == "pod02"])
    assert alarm[0]["severity"] == "info", alarm
    assert "maintenance m1" in alarm[0]["message"], alarm
    assert "maintenance" in ok("alarms"), "podctl alarms does not show it"
    # no job may name a maintenance window
    status, reply = submit({"reservation": "m1"})
    assert status == 400 and "maintenance" in reply["error"]["message"], reply
    wanted = ["pod02-n%03d" % i for i in range(1, 4)]
    wait_for("pod02 drained for maintenance", lambda: all(
        node(n)["drained"] and node(n)["reason"] == "maintenance m1"
        for n in wanted), timeout=20)
    assert node("pod02-n004")["reason"] == "bad fan", node("pod02-n004")
    assert not node("pod01-n001")["drained"], node("pod01-n001")
    wait_for("pod02 back from maintenance", lambda: not any(
        node(n)["drained"] for n in wanted), timeout=20)
    assert node("pod02-n004")["drained"], "the operator's drain was undone"
    assert node("pod02-n004")["reason"] == "bad fan", node("pod02-n004")
    wait_for("the maintenance alarm cleared", lambda: not [
        a for a in api("GET", "/alarms")[1]["alarms"]
        if a["kind"] == "maintenance"])
    drains = [a for a in api("GET", "/audit?action=drain")[1]["audit"]
              if a["actor"] == "maintenance"]
    assert sorted(a["object"] for a in drains) == wanted, drains
    assert api("POST", "/nodes/pod02-n004/resume")[0] == 200


def test_reservation_for_an_account():
    ok("reservation", "add", "r1", "--duration", "1h",
       "--nodes", "pod02-n[001-002]", "-A", "ai")
    err = refused("reservation", "add", "r2", "--duration", "1h",
                  "--nodes", "pod02-n002", "-A", "chem")
    assert "node pod02-n002 is in reservation 'r1'" in err, err
    err = refused("reservation", "add", "r3", "--duration", "1h",
                  "--nodes", "pod09-n001", "--maint")
    assert "no node 'pod09-n001'" in err, err
    alice = ctl.token("alice", "viewer")
    status, reply = submit({"reservation": "r1", "account": "physics"},
                           token=alice)
    assert status == 400 and "may not use reservation 'r1'" in \
        reply["error"]["message"], reply
    out = ok("reservation", "list")
    assert any(l.split()[:2] == ["r1", "active"] for l in out.splitlines()), out
    viewer = ctl.token("vera", "viewer")
    assert "forbidden" in refused("reservation", "delete", "r1", token=viewer)
    assert ok("reservation", "delete", "r1").strip() == \
        "reservation r1 deleted"
    err = refused("reservation", "delete", "r1")
    assert "unknown reservation 'r1'" in err, err
    assert api("GET", "/audit?action=reservation%20delete")[1]["audit"]


def test_restart_keeps_the_organisation():
    ctl.restart()
    names = [a["name"] for a in api("GET", "/accounts")[1]["accounts"]]
    assert names[0] == "root" and set(names) == \
        {"root", "physics", "ai", "chem"}, names
    assert api("GET", "/users/alice")[1]["default_account"] == "ai"
    assert [r["name"] for r in
            api("GET", "/reservations")[1]["reservations"]] == ["m1"]


try:
    run([test_account_tree, test_users, test_qos_and_partitions_listed,
         test_defaults_applied_at_submit, test_refusals_name_what_they_refuse,
         test_partition_keeps_jobs_on_its_nodes, test_maintenance_window,
         test_reservation_for_an_account,
         test_restart_keeps_the_organisation])
finally:
    for d in (fleet, ctl):
        if d is not None:
            d.stop()
    tmp.cleanup()
