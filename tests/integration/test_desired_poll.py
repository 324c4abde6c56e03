"""The long poll of desired state (docs/agent-protocol.md, "Long poll").

- The controller: GET /agents/NODE/desired?version=V&wait=S held while
  the node's desired version is V is answered when it moves (a job is
  started there), not at the end of the wait: two polls of one node held
  for 60 s both come back, listing the job, long before; a poll of a node
  whose state does not move comes back at its deadline with its version
  unchanged.
- A real pod-agentd reporting every 15 s holds the poll: a job submitted
  just after a report starts and completes within a few seconds, where
  the next report would have carried it 15 s later (with the poll broken
  on either side, or `desired_poll = false`, this fails).
"""

import os
import socket
import threading

from podtest import (Controller, Daemon, TempDir, binary, node_api,
                     node_credential, run, wait_for)

INTERVAL_MS = 15000  # reports this far apart: a start sooner is the poll's


def start_agent(tmp, ctl, name, extra=""):
    state = os.path.join(tmp.path, name + "-state")
    os.makedirs(state, exist_ok=True)
    cred = os.path.join(tmp.path, name + ".cred")
    fd = os.open(cred, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(node_credential(tmp, name) + "\n")
    conf = tmp.file(name + ".conf",
                    "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                    "interval_ms = %d\nmetrics_listen = none\n"
                    "credential_file = %s\n%s"
                    "[jobs]\nallow_root = true\n"
                    "[power]\nplugin = sim\n[cooling]\nplugin = sim\n"
                    % (ctl.url, name, state, INTERVAL_MS, cred, extra))
    return Daemon(name, [binary("pod-agentd"), "-c", conf], tmp).start()


def controller(tmp, nodes):
    # heartbeat and fence well beyond the agents' 15 s between reports
    return Controller(tmp, heartbeat_s=45, fence_s=60, fence_margin_s=10,
                      extra="[fabric]\nnodes_per_pod = %d\n"
                      "groups_per_pod = 1\n" % nodes).start()


def idle(ctl, n):
    return wait_for("%d nodes idle" % n, lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == n, timeout=60)


def submit(ctl, command):
    status, body = ctl.api("POST", "/jobs", {
        "command": command, "accelerators": 1, "time_limit_s": 600})
    assert status == 201, (status, body)
    return body["id"]


class Poll(threading.Thread):
    """One long poll for node, from the test, on its own connection."""

    def __init__(self, ctl, node, version, wait_s):
        super().__init__(daemon=True)
        self.args = (ctl, node, version, wait_s)
        self.reply = None

    def run(self):
        ctl, node, version, wait_s = self.args
        self.reply = node_api(ctl, "GET", "/agents/%s/desired?version=%d"
                              "&wait=%d" % (node, version, wait_s), node,
                              timeout=wait_s + 30)


def parked(ctl):
    """Returns once the controller has read every request sent before:
    one more request on a new connection, answered. The loop serves
    connections in the order their bytes arrived, so polls sent earlier
    are held by then."""
    host, port = ctl.url.split("//", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        while s.recv(4096):
            pass


def test_parked_poll_woken():
    tmp = TempDir("desired-poll-wake")
    ctl = controller(tmp, 2)
    agents = [start_agent(tmp, ctl, n, "desired_poll = false\n")
              for n in ("pod01-n001", "pod01-n002")]
    try:
        idle(ctl, 2)
        status, d = node_api(ctl, "GET", "/agents/pod01-n001/desired",
                             "pod01-n001")
        assert status == 200, (status, d)
        v1 = d["version"]
        status, d = node_api(ctl, "GET", "/agents/pod01-n002/desired",
                             "pod01-n002")
        v2 = d["version"]
        # two polls of n001 held for a minute, one of n002 for 2 s
        polls = [Poll(ctl, "pod01-n001", v1, 60) for _ in range(2)]
        short = Poll(ctl, "pod01-n002", v2, 2)
        for p in polls + [short]:
            p.start()
        wait_for("the polls sent", lambda: all(p.is_alive() or p.reply
                                                for p in polls + [short]))
        parked(ctl)
        assert all(p.reply is None for p in polls), \
            "answered before anything changed: %s" % polls[0].reply
        # drain n002 so that the job can only go to n001
        status, _, _ = ctl.drain("pod01-n002")
        assert status == 200, status
        jid = submit(ctl, ["sleep", "300"])
        for p in polls:
            wait_for("the held poll woken", lambda: not p.is_alive(),
                     timeout=30)
            status, d = p.reply
            assert status == 200, (status, d)
            assert d["version"] > v1, (v1, d)
            assert [j["id"] for j in d["jobs"]] == [jid], d
        # n002's poll: no job moved it; its wait ran out
        wait_for("the short poll's deadline", lambda: not short.is_alive(),
                 timeout=30)
        status, d = short.reply
        assert status == 200 and d["jobs"] == [], (status, d)
        ctl.api("DELETE", "/jobs/%d" % jid)
    finally:
        for a in agents:
            a.stop()
        ctl.stop()
        tmp.cleanup()


def job_state(ctl, jid):
    return ctl.api("GET", "/jobs/%d" % jid)[1]["state"]


def test_agent_starts_between_reports():
    tmp = TempDir("desired-poll-agent")
    ctl = controller(tmp, 1)
    agent = start_agent(tmp, ctl, "pod01-n001")
    try:
        idle(ctl, 1)
        # the first report is answered; the next is 15 s away
        agent.wait_log(r"accepts reports")
        jid = submit(ctl, ["true"])
        wait_for("job %d completed between two reports" % jid,
                 lambda: job_state(ctl, jid) == "completed", timeout=10)
        assert agent.log_lines(r"job %d\.1 .*launched" % jid), agent.log()
    finally:
        agent.stop()
        ctl.stop()
        tmp.cleanup()


if __name__ == "__main__":
    run([test_parked_poll_woken, test_agent_starts_between_reports])
