"""Active and standby controllers: the agent and podctl take several
controller addresses ("URL,URL") and follow the active one.

Two stand-in controllers, http.server on 127.0.0.1:0, play the part the
real controller's contract gives each role (no PostgreSQL needed): a
standby answers every /api/v1 request but GET /health with 503 and
{"error":{"code":"standby",...,"active":URL}}; the active one answers the
routes used here as pod-controllerd does (an agent's report and long poll,
GET /pods, POST /jobs). The test turns one into the other while a real
pod-agentd reports, and runs the real podctl against them:

- an agent given "standby,active" reports to the active one, and says so
  in one line naming the one it left and why; one given a dead address
  first goes on to the next;
- when the roles swap, the agent follows within a few report intervals,
  its long poll with it, and says so once; while neither is active it says
  so once, not once a request, and takes up the one that becomes active;
- one address still works as before, for the agent and podctl;
- podctl --server standby,active (and POD_SERVER) gets the active one's
  answer, -o json exactly its body, a submit applied once; another error
  of the first is the answer; with no active controller podctl exits 3
  with one line naming each address and why; a write whose answer never
  came is not sent to the next controller, which could apply it twice.
"""

import json
import re
import threading

from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from podtest import Agent, TempDir, free_port, podctl, run, wait_for

NODE = "pod01-n001"


class StandIn:
    """A controller's side of the routes the agent and podctl use: `role`
    "active", "standby" (naming `active` as the active one when set),
    "not_active" (an active one without its database) or "busy" (503 of
    another cause). It counts the agent's reports it took and refused, its
    long polls, and keeps the jobs submitted; while `hang` is set, POST
    /jobs is taken and answered only once the event is set."""

    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()
        self.role = "standby"
        self.active = ""
        self.reports = 0
        self.refused = 0
        self.polls = 0
        self.gets = 0
        self.submits = []
        self.hang = None
        self.retry_after = None  # a standby's Retry-After, as one
        self.acks = {}           # taking the lead sends it
        self.pods_body = json.dumps(
            {"pods": [{"name": "pod01", "nodes_total": 4, "nodes_up": 4}],
             "served_by": name}, indent=1)
        me = self

        class Handler(BaseHTTPRequestHandler):
            def answer(self, code, body, headers=()):
                out = (body if isinstance(body, str)
                       else json.dumps(body)).encode()
                try:
                    self.send_response(code)
                    for h in headers:
                        self.send_header(*h)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(out)))
                    self.end_headers()
                    self.wfile.write(out)
                except OSError:
                    pass  # the client gave up (a held submit)

            def passive(self):
                """Answers 503 as a controller that is not the active one
                would; True when it did."""
                with me.lock:
                    role, active = me.role, me.active
                    retry = me.retry_after
                    if role != "active" and "/report" in self.path:
                        me.refused += 1
                if role == "active":
                    return False
                if role == "busy":
                    self.answer(503, {"error": {
                        "code": "overloaded",
                        "message": "%s is overloaded" % me.name}})
                    return True
                code = "standby" if role == "standby" else "not_active"
                err = {"code": code, "message":
                       "this controller is the standby; the active "
                       "controller is at %s" % active}
                if active:
                    err["active"] = active
                self.answer(503, {"error": err}, [("Retry-After", str(
                    retry))] if retry and role == "standby" else [])
                return True

            def do_GET(self):
                if self.path == "/api/v1/health":
                    with me.lock:
                        self.answer(200, {"status": "ok", "role": (
                            "active" if me.role == "active" else "standby"),
                            "active": me.active})
                    return
                if self.passive():
                    return
                with me.lock:
                    me.gets += 1
                if self.path == "/api/v1/pods":
                    self.answer(200, me.pods_body)
                elif re.fullmatch(r"/api/v1/agents/[^/]+/desired\?.*",
                                  self.path):
                    with me.lock:
                        me.polls += 1
                    self.answer(200, {"version": 1, "jobs": []})
                else:
                    self.answer(404, {"error": {"code": "not_found",
                                                "message": "no route"}})

            def do_POST(self):
                body = self.rfile.read(
                    int(self.headers.get("Content-Length", 0)))
                if self.passive():
                    return
                if re.fullmatch(r"/api/v1/agents/[^/]+/report", self.path):
                    rep = json.loads(body)
                    with me.lock:
                        me.reports += 1
                        ack = me.acks.get(rep["boot_id"], 0)
                        for s in rep["samples"]:
                            ack = max(ack, s["seq"])
                        me.acks[rep["boot_id"]] = ack
                    self.answer(200, {"ack_seq": ack, "desired": {
                        "version": 1, "jobs": []}})
                elif self.path == "/api/v1/jobs":
                    with me.lock:
                        me.submits.append(json.loads(body))
                        jid, hang = len(me.submits), me.hang
                    if hang is not None:
                        hang.wait(60)
                    self.answer(201, {"id": jid})
                else:
                    self.answer(404, {"error": {"code": "not_found",
                                                "message": "no route"}})

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def set(self, role, active=""):
        with self.lock:
            self.role, self.active = role, active

    def count(self, what):
        with self.lock:
            return getattr(self, what)

    def stop(self):
        with self.lock:
            if self.hang is not None:
                self.hang.set()
        self.server.shutdown()
        self.server.server_close()


def pair():
    """Stand-ins a (the standby) and b (the active one)."""
    a, b = StandIn("a"), StandIn("b")
    a.set("standby", b.url)
    b.set("active")
    return a, b


def lines(agent, pattern):
    return agent.log_lines(pattern)


def test_agent_follows_the_active():
    t = TempDir("follow-agent")
    a, b = pair()
    agent = Agent(t, "%s,%s" % (a.url, b.url), NODE).start()
    try:
        # (a) the standby first in the list: the agent ends up at b
        wait_for("reports at the active one", lambda: b.count("reports") >= 3)
        assert a.count("reports") == 0 and a.count("refused") >= 1
        line = agent.wait_log(r"controller %s accepts reports" % b.url)
        assert line.endswith("; left %s: standby (the active one is %s)"
                             % (a.url, b.url)), line
        wait_for("a long poll at the active one",
                 lambda: b.count("polls") >= 1)

        # (b) the roles swap: the agent follows, its long poll too
        b.set("standby", a.url)
        a.set("active")
        polls = a.count("polls")
        wait_for("reports at the new active one",
                 lambda: a.count("reports") >= 3, timeout=10)
        wait_for("the long poll at the new active one",
                 lambda: a.count("polls") > polls, timeout=10)
        moved = "reporting to %s now; left %s: standby (the active one is " \
                "%s)" % (a.url, b.url, a.url)
        agent.wait_log(re.escape(moved))
        # one line for the move, however many reports follow
        n = a.count("reports")
        wait_for("more reports", lambda: a.count("reports") >= n + 4)
        assert len(lines(agent, r"reporting to \S+ now")) == 1, agent.log()

        # neither active: said once, while the agent goes round them
        a.set("standby")
        refused_a, refused_b = a.count("refused"), b.count("refused")
        wait_for("two rounds of both", lambda: a.count("refused") >=
                 refused_a + 2 and b.count("refused") >= refused_b + 2,
                 timeout=20)
        gone = lines(agent, r"lost the active controller|"
                            r"no active controller")
        assert len(gone) == 1, agent.log()
        assert gone[0].endswith(
            "lost the active controller: %s: standby; %s: standby (the "
            "active one is %s); going round them with backoff up to 30 s"
            % (a.url, b.url, a.url)), gone[0]

        # b becomes the active one: taken up, and said so once
        n = b.count("reports")
        b.set("active")
        wait_for("reports at b again", lambda: b.count("reports") > n,
                 timeout=20)
        back = agent.wait_log(r"controller %s accepts reports after"
                              % b.url)
        assert re.search(r"accepts reports after \d+ s without one, \d+ "
                         r"samples to send; left %s: standby$" % a.url,
                         back), back
    finally:
        agent.stop()
        a.stop()
        b.stop()
        t.cleanup()


def test_agent_comes_back_when_told():
    """A controller taking the lead says when it acts (503 `standby` with
    Retry-After, while it waits out the old leader's lease): the agent
    says so once for the outage, naming it, and reports to it then."""
    t = TempDir("follow-told")
    a, b = StandIn("a"), StandIn("b")
    a.set("standby")
    b.set("standby")
    with a.lock:
        a.retry_after = 2
    agent = Agent(t, "%s,%s" % (b.url, a.url), NODE).start()
    try:
        line = agent.wait_log(r"takes the lead in")
        assert line.endswith("%s: controller %s takes the lead in 2 s; "
                             "reporting again then" % (NODE, a.url)), line
        wait_for("more rounds refused", lambda: a.count("refused") >= 3,
                 timeout=20)
        assert len(lines(agent, r"takes the lead in")) == 1, agent.log()
        a.set("active")
        wait_for("reports at the new leader", lambda: a.count("reports") >= 1,
                 timeout=10)
    finally:
        agent.stop()
        a.stop()
        b.stop()
        t.cleanup()


def test_agent_skips_a_dead_controller():
    t = TempDir("follow-dead")
    b = StandIn("b")
    b.set("active")
    dead = "http://127.0.0.1:%d" % free_port()
    agent = Agent(t, "%s,%s" % (dead, b.url), NODE).start()
    try:
        wait_for("reports at the live one", lambda: b.count("reports") >= 3)
        line = agent.wait_log(r"controller %s accepts reports" % b.url)
        assert "; left %s: connection failed" % dead in line, line
        assert not lines(agent, r"unreachable|lost|no active"), agent.log()
    finally:
        agent.stop()
        b.stop()
        t.cleanup()


def test_agent_one_url():
    """(d) One address: as before this change, word for word."""
    t = TempDir("follow-one")
    b = StandIn("b")
    b.set("active")
    agent = Agent(t, b.url, NODE).start()
    try:
        wait_for("reports", lambda: b.count("reports") >= 3)
        wait_for("a long poll", lambda: b.count("polls") >= 1)
        line = agent.wait_log(r"accepts reports")
        assert line.endswith("%s: controller %s accepts reports"
                             % (NODE, b.url)), line
        assert agent.log_lines(r"reporting to %s$" % re.escape(b.url))
    finally:
        agent.stop()
        b.stop()
        t.cleanup()


def one_line(err):
    got = [line for line in err.splitlines() if line.strip()]
    assert len(got) == 1, err
    return got[0]


def test_podctl_follows_the_active():
    a, b = pair()
    dead = "http://127.0.0.1:%d" % free_port()
    try:
        # (c) the standby first: the active one's answer, exactly
        rc, out, err = podctl(None, "--server", "%s,%s" % (a.url, b.url),
                              "-o", "json", "pods")
        assert rc == 0 and out == b.pods_body + "\n", (rc, out, err)
        assert err == "", err
        rc, out, err = podctl(None, "pods", env={
            "POD_SERVER": "%s, %s" % (a.url, b.url)})
        assert rc == 0 and "pod01" in out, (rc, out, err)
        rc, out, err = podctl(None, "--server", "%s,%s" % (dead, b.url),
                              "pods")
        assert rc == 0 and "pod01" in out, (rc, out, err)
        # a submit goes once, to the active one
        rc, out, err = podctl(None, "--server", "%s,%s" % (a.url, b.url),
                              "submit", "-N", "1", "--", "true")
        assert rc == 0 and out == "1\n", (rc, out, err)
        assert len(b.submits) == 1 and a.submits == [], (a.submits,
                                                         b.submits)
        # the active one first: the standby is never asked
        gets = a.count("gets")
        rc, out, err = podctl(None, "--server", "%s,%s" % (b.url, a.url),
                              "pods")
        assert rc == 0 and a.count("gets") == gets, (rc, err)

        # another error of the first is the answer
        a.set("busy")
        gets = b.count("gets")
        rc, out, err = podctl(None, "--server", "%s,%s" % (a.url, b.url),
                              "pods")
        assert rc == 1 and one_line(err) == "podctl: a is overloaded", \
            (rc, err)
        assert b.count("gets") == gets

        # no active controller: exit 3, each address and why
        a.set("standby", b.url)
        b.set("standby", a.url)
        rc, out, err = podctl(None, "--server", "%s,%s" % (a.url, b.url),
                              "-o", "json", "pods")
        assert rc == 3 and out == "", (rc, out, err)
        assert one_line(err) == (
            "podctl: no active controller: %s: standby (the active one is "
            "%s); %s: standby (the active one is %s)"
            % (a.url, b.url, b.url, a.url)), err
        b.set("not_active")
        rc, out, err = podctl(None, "--server", "%s,%s" % (dead, b.url),
                              "submit", "-N", "1", "--", "true")
        assert rc == 3, (rc, err)
        assert one_line(err) == (
            "podctl: no active controller: %s: Connection refused; %s: "
            "not active" % (dead, b.url)), err
        assert len(b.submits) == 1

        # (d) one address: as before
        rc, out, err = podctl(None, "--server", a.url, "pods")
        assert rc == 3 and one_line(err) == (
            "podctl: no active controller: %s: standby (the active one is "
            "%s)" % (a.url, b.url)), (rc, err)
        rc, out, err = podctl(None, "--server", dead, "pods")
        assert rc == 3 and one_line(err) == \
            "podctl: cannot reach %s: Connection refused" % dead, (rc, err)
        b.set("active")
        rc, out, err = podctl(None, "--server", b.url, "-o", "json", "pods")
        assert rc == 0 and out == b.pods_body + "\n", (rc, out, err)

        # a list podctl cannot use is a usage error
        for bad in ("%s,,%s" % (a.url, b.url), "%s," % a.url,
                    "%s,%s" % (a.url, a.url)):
            rc, out, err = podctl(None, "--server", bad, "pods")
            assert rc == 2 and one_line(err).startswith(
                "podctl: --server: "), (bad, rc, err)
        rc, out, err = podctl(None, "pods", env={"POD_SERVER": a.url + ","})
        assert rc == 2 and one_line(err).startswith(
            "podctl: POD_SERVER: "), (rc, err)
    finally:
        a.stop()
        b.stop()


def test_podctl_write_sent_once():
    """A submit the first controller took but never answered is not sent
    to the next: it may have been applied. (A read would be.)"""
    a, b = StandIn("a"), StandIn("b")
    a.set("active")
    b.set("active")
    a.hang = threading.Event()
    try:
        rc, out, err = podctl(None, "--server", "%s,%s" % (a.url, b.url),
                              "submit", "-N", "1", "--", "true")
        assert rc == 3 and out == "", (rc, out, err)
        assert one_line(err) == (
            "podctl: cannot reach %s: no answer within 15 s (not sent to "
            "another controller: it may have been applied)" % a.url), err
        assert len(a.submits) == 1 and b.submits == [], (a.submits,
                                                         b.submits)
    finally:
        a.stop()
        b.stop()


run([test_agent_follows_the_active, test_agent_comes_back_when_told,
     test_agent_skips_a_dead_controller, test_agent_one_url,
     test_podctl_follows_the_active, test_podctl_write_sent_once])
