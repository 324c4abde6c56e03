"""Alarms end to end: a controller and pod-fleetsim (one pod of 12 nodes),
driven with podctl and REST.

A leak on a node with no job says only that (node health drains the node,
by its own rule, and says so in its own log line). The fleetsim is stopped (SIGSTOP) for longer than the heartbeat
timeout: its 11 reporting nodes are one node_down alarm of the pod listing
them as a host list, raised by one log line. Both alarms are acknowledged,
the controller restarts while the agents are still stalled, and both come
back acknowledged by the same user, with the same ids. Once the fleetsim
runs again (SIGCONT) every node is back on its own and the node_down alarm
clears, with one log line; the leak alarm is still the acknowledged one.
"""

import datetime
import json
import signal

from podtest import Controller, Fleetsim, TempDir, podctl, run, wait_for

NODES = 12
LEAKY = "pod01-n003"
tmp = TempDir("alarms")
ctl = Controller(tmp, heartbeat_s=3,
                 extra="[fabric]\nnodes_per_pod = %d\ngroups_per_pod = 2\n"
                 % NODES).start()
fleet = Fleetsim(tmp, ctl.url, nodes=NODES,
                 args=["--fault", LEAKY + ":leak@2"]).start()
seen = {}  # kind: the alarm's id, for the later tests


def alarms(state="all"):
    status, body = ctl.api("GET", "/alarms?state=" + state)
    assert status == 200, (status, body)
    return body["alarms"]


def of_kind(kind, state="all"):
    return [a for a in alarms(state) if a["kind"] == kind]


def by_id(aid):
    found = [a for a in alarms() if a["id"] == aid]
    assert len(found) == 1, (aid, found)
    return found[0]


def nodes_up():
    status, body = ctl.api("GET", "/pods")
    assert status == 200, (status, body)
    return body["pods"][0]["nodes_up"] if "pods" in body \
        else body[0]["nodes_up"]


def when(text):
    """Seconds since the epoch of an RFC 3339 time of the API."""
    return datetime.datetime.fromisoformat(
        text.replace("Z", "+00:00")).timestamp()


def ack(aid):
    rc, out, err = podctl(ctl.url, "alarm", "ack", str(aid))
    assert rc == 0, (rc, out, err)


def test_leak_says_what_was_done():
    wait_for("all nodes up", lambda: nodes_up() == NODES)
    leak = wait_for("the leak alarm", lambda: of_kind("leak", "open"),
                    timeout=60)
    assert len(leak) == 1 and leak[0]["object"] == LEAKY, leak
    leak = leak[0]
    assert leak["nodes"] == [LEAKY], leak
    assert leak["message"] == "coolant leak detected on %s" % LEAKY, leak
    ctl.wait_log(r"alarm %d raised: leak \(critical\) on %s"
                 % (leak["id"], LEAKY))
    ctl.wait_log(r"node %s drained: it reports coolant leak" % LEAKY)
    status, node = ctl.api("GET", "/nodes/" + LEAKY)
    assert node["state"] == "drained" and node["reason"] == "coolant leak", \
        node
    seen["leak"] = leak["id"]


def test_stalled_pod_is_one_alarm():
    fleet.proc.send_signal(signal.SIGSTOP)
    want = ("11 nodes of pod01 stopped reporting: "
            "pod01-n[001-002,004-012]")  # the drained leaky node is not missed
    down = wait_for("one node_down alarm listing 11 nodes",
                    lambda: [a for a in of_kind("node_down", "open")
                             if a["message"] == want], timeout=30)
    assert len(of_kind("node_down")) == 1, of_kind("node_down")
    down = down[0]
    assert down["object"] == "pod01", down
    assert down["nodes"] == ["pod01-n%03d" % i for i in range(1, NODES + 1)
                             if i != 3], down
    raised = ctl.log_lines(r"alarm \d+ raised: node_down")
    assert len(raised) == 1, raised
    seen["node_down"] = down["id"]


def test_acks_survive_a_restart():
    for kind in ("leak", "node_down"):
        ack(seen[kind])
        a = by_id(seen[kind])
        assert a["state"] == "acked" and a["acked_at"], a
        ctl.wait_log(r"alarm %d acknowledged by \S+: %s"
                     % (seen[kind], kind))
    acked = {k: by_id(seen[k]) for k in seen}
    ctl.restart()
    started = datetime.datetime.now().timestamp()
    # the agents still stalled: the restarted controller judges the
    # node_down alarm again once up for a heartbeat, and holds it
    down = wait_for("the node_down alarm held after the restart",
                    lambda: (lambda a: when(a["last_seen"]) > started + 3
                             and a)(by_id(seen["node_down"])), timeout=30)
    for kind, a in [("node_down", down), ("leak", by_id(seen["leak"]))]:
        assert a["state"] == "acked", (kind, a)
        assert a["acked_by"] == acked[kind]["acked_by"], (kind, a)
        assert a["acked_at"] == acked[kind]["acked_at"], (kind, a)
        assert a["count"] == 1, (kind, a)
    assert len(down["nodes"]) == NODES - 1, down
    assert len(alarms()) == 2, alarms()


def test_stalled_agents_come_back_and_the_alarm_clears():
    fleet.proc.send_signal(signal.SIGCONT)
    wait_for("every node back", lambda: nodes_up() == NODES, timeout=60)
    down = wait_for("node_down cleared", lambda: (
        lambda a: a["state"] == "cleared" and a)(by_id(seen["node_down"])))
    assert down["cleared_at"] is not None, down
    cleared = ctl.log_lines(r"alarm %d cleared: node_down on pod01"
                            % seen["node_down"])
    assert len(cleared) == 1, cleared
    # the leaking node reports its leak again: the same acked alarm
    leak = wait_for("the leak seen since the restart", lambda: (
        lambda a: when(a["last_seen"]) > when(down["cleared_at"]) and a)(
            by_id(seen["leak"])))
    assert leak["state"] == "acked" and leak["count"] == 1, leak
    assert len(ctl.log_lines(r"raised: leak")) == 1, ctl.log()
    rc, out, err = podctl(ctl.url, "-o", "json", "alarms")
    assert rc == 0, (rc, out, err)
    assert [a["id"] for a in json.loads(out)["alarms"]] == [seen["leak"]], out


run([test_leak_says_what_was_done, test_stalled_pod_is_one_alarm,
     test_acks_survive_a_restart,
     test_stalled_agents_come_back_and_the_alarm_clears])
