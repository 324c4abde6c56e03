"""Two agents with the same node name (docs/agent-protocol.md, "One agent
per node"). The controller takes the reports of one agent per node, the
boot id it accepted last; another boot id is refused with 409 while that
agent reports within the heartbeat timeout, logged once per episode and
raised as one `duplicate_node` alarm of the node; once the holder has been
silent that long, a new boot id takes the node over (a restarted agent).

- over REST, report bodies from two boot ids: the second refused (409,
  the project's error, naming the node and both boot ids), the node's boot
  id and telemetry those of the first, the long poll refused the same way,
  one controller line however many refusals, one alarm; the first stopped,
  the second takes over after the heartbeat timeout and the first is
  refused in turn; a restarted agent (its old self silent) is refused until
  then but raises no alarm;
- two real pod-agentd given one name: the second says the controller
  refuses it, once; the node stays the first's and the alarm is raised;
  the first killed, the second takes the node over on its own.
"""

import re
import signal
import time

from podtest import Agent, Controller, TempDir, node_api, run, wait_for

HEARTBEAT_S = 3
tmp = TempDir("duplicate-node")
ctl = None


def start_controller():
    global ctl
    if ctl is None:
        ctl = Controller(tmp, heartbeat_s=HEARTBEAT_S,
                         extra="[fabric]\nnodes_per_pod = 8\n"
                         "groups_per_pod = 1\n").start()
    return ctl


class Sender:
    """One agent's reports over REST: its boot id, its sequence numbers and
    a power reading of its own, so a node's telemetry tells whose it is."""

    def __init__(self, node, boot_id, power_w):
        self.node, self.boot_id, self.power_w = node, boot_id, power_w
        self.seq = 0

    def report(self):
        self.seq += 1
        body = {"boot_id": self.boot_id, "agent_version": "test",
                "interval_ms": 1000,
                "samples": [{"seq": self.seq,
                             "t_ms": int(time.time() * 1000),
                             "power_w": self.power_w,
                             "loop": {"supply_c": 30.0, "return_c": 35.0,
                                      "flow_lpm": 9.0, "leak": False}}]}
        return node_api(ctl, "POST", "/agents/%s/report" % self.node,
                        self.node, body)


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def duplicate_alarms(name, state="all"):
    status, body = ctl.api("GET", "/alarms?state=" + state)
    assert status == 200, (status, body)
    return [a for a in body["alarms"]
            if a["kind"] == "duplicate_node" and a["object"] == name]


def refused_lines(name, boot_id):
    return ctl.log_lines(r"node %s: reports from boot id %s "
                         r"\(at 127\.0\.0\.1\) refused" % (name, boot_id))


def check_conflict(status, body, name, held, asking):
    assert status == 409, (status, body)
    err = body["error"]
    assert err["code"] == "conflict", body
    assert re.fullmatch(
        r"%s is held by another agent \(boot id %s, last report \d+ s "
        r"ago\); this agent's boot id is %s" % (name, held, asking),
        err["message"]), err["message"]


def test_restart_waits_for_the_heartbeat():
    """A restarted agent: its old self silent, the new boot id is refused
    until the heartbeat timeout, then takes over; no duplicate."""
    start_controller()
    name = "pod01-n003"
    old, new = Sender(name, "0123456789abcdef", 1000.0), \
        Sender(name, "fedcba9876543210", 1000.0)
    assert old.report()[0] == 200
    status, body = new.report()
    check_conflict(status, body, name, old.boot_id, new.boot_id)
    taken = wait_for("the new boot id to take %s over" % name,
                     lambda: new.report()[0] == 200, timeout=30,
                     interval=0.5)
    assert taken and node(name)["boot_id"] == new.boot_id
    assert len(refused_lines(name, new.boot_id)) == 1, \
        refused_lines(name, new.boot_id)


def test_second_boot_id_refused():
    start_controller()
    name = "pod01-n002"
    first = Sender(name, "aaaa0000aaaa0000", 1000.0)
    second = Sender(name, "bbbb0000bbbb0000", 5000.0)
    # never held: taken
    status, body = first.report()
    assert status == 200, (status, body)
    assert node(name)["boot_id"] == first.boot_id
    status, body = second.report()
    check_conflict(status, body, name, first.boot_id, second.boot_id)
    # the long poll, from the other boot id: the same; from the holder's
    # or without one, served
    status, body = node_api(ctl, "GET", "/agents/%s/desired?boot_id=%s"
                            % (name, second.boot_id), name)
    check_conflict(status, body, name, first.boot_id, second.boot_id)
    status, body = node_api(ctl, "GET", "/agents/%s/desired?boot_id=%s"
                            % (name, first.boot_id), name)
    assert status == 200 and "version" in body, (status, body)
    status, body = node_api(ctl, "GET", "/agents/%s/desired?boot_id=not-hex"
                            % name, name)
    assert status == 400 and "boot_id" in body["error"]["message"], body

    # both go on: the first accepted, the second refused, until the alarm
    def both_report():
        assert first.report()[0] == 200
        status, body = second.report()
        check_conflict(status, body, name, first.boot_id, second.boot_id)
        return duplicate_alarms(name, "open")
    alarm = wait_for("the duplicate_node alarm on " + name, both_report,
                     timeout=15, interval=0.3)
    assert len(alarm) == 1, alarm
    alarm = alarm[0]
    assert alarm["severity"] == "major" and alarm["nodes"] == [name], alarm
    assert first.boot_id in alarm["message"] and \
        second.boot_id in alarm["message"], alarm
    for _ in range(5):
        assert first.report()[0] == 200
        assert second.report()[0] == 409
    # the node is the first's: boot id and telemetry
    n = node(name)
    assert n["boot_id"] == first.boot_id, n
    assert n["power_w"] == 1000.0, n
    # one line for the episode, however many refusals; one alarm
    lines = refused_lines(name, second.boot_id)
    assert len(lines) == 1, lines
    assert first.boot_id in lines[0], lines
    assert len(duplicate_alarms(name)) == 1, duplicate_alarms(name)
    # the restarted agent of pod01-n003 (the test before) raised none,
    # though alarms were evaluated since its refusals
    assert duplicate_alarms("pod01-n003") == [], \
        duplicate_alarms("pod01-n003")

    # the first stops: the second takes over after the heartbeat timeout
    # (a report right away is still refused), and the first is refused
    status, body = second.report()
    check_conflict(status, body, name, first.boot_id, second.boot_id)
    wait_for("the second boot id to take %s over" % name,
             lambda: second.report()[0] == 200, timeout=30, interval=0.5)
    n = node(name)
    assert n["boot_id"] == second.boot_id and n["power_w"] == 5000.0, n
    status, body = first.report()
    check_conflict(status, body, name, second.boot_id, first.boot_id)
    assert len(refused_lines(name, first.boot_id)) == 1
    assert len(refused_lines(name, second.boot_id)) == 1
    # still one alarm of the node: it clears a while after the refusals
    assert len(duplicate_alarms(name)) == 1, duplicate_alarms(name)


def test_two_real_agents():
    start_controller()
    name = "pod01-n005"
    first = Agent(TempDir("duplicate-node-a"), ctl.url, name, site=tmp).start()
    held = wait_for("%s up" % name,
                    lambda: node(name)["state"] != "down" and
                    node(name)["boot_id"], timeout=30)
    second = Agent(TempDir("duplicate-node-b"), ctl.url, name, site=tmp).start()
    line = second.wait_log(r"controller refuses %s: held by another agent"
                           % name)
    m = re.search(r"held by another agent \(boot id %s, last report \d+ s "
                  r"ago\); this agent's boot id is ([0-9a-f]{16})" % held,
                  line)
    assert m, line
    mine = m.group(1)
    assert mine != held
    wait_for("the duplicate_node alarm on " + name,
             lambda: duplicate_alarms(name, "open"), timeout=30)
    assert node(name)["boot_id"] == held, node(name)
    assert len(second.log_lines("controller refuses")) == 1, second.log()
    assert len(refused_lines(name, mine)) == 1, refused_lines(name, mine)
    assert first.alive() and second.alive()

    # the first dies: the second takes the node over on its own
    first.stop(signal.SIGKILL)
    wait_for("the second agent to take %s over" % name,
             lambda: node(name)["boot_id"] == mine and
             node(name)["state"] != "down", timeout=60)
    second.wait_log(r"controller \S+ back after")
    assert len(second.log_lines("controller refuses")) == 1, second.log()
    assert second.stop() == 0
    assert ctl.stop() == 0


if __name__ == "__main__":
    run([test_restart_waits_for_the_heartbeat, test_second_boot_id_refused,
         test_two_real_agents])
