"""The controller counts itself (docs/metrics.md, "The controller itself"):
reports and samples taken in, refused, duplicate and lost by sequence
number, HTTP requests by route pattern and status, Modbus requests by
function and result, loop lag and the other histograms; on /metrics (which
promtool accepts), in GET /status's "controller" object and in podctl
status. And back-pressure (docs/agent-protocol.md): a controller whose
store falls behind asks agents to report less often, a real pod-agentd
obeys without losing a sample, and catches up once the ask is lifted;
a controller whose event loop is busy above its share of a core asks too."""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import urllib.request

import pwd

from podtest import (Agent, Controller, FakeController, Fleetsim, TempDir,
                     auth_header, metrics, node_api, podctl, run, wait_for)

tmp = TempDir("selfstat")
# a store queue of one sample: the second of a report is dropped (and a
# full queue is not "behind": that is test_backpressure's)
ctl = Controller(tmp, extra="store_queue_max = 1\nstore_interval_s = 1\n"
                 "backpressure_queue_share = 1\n"
                 "[modbus]\nlisten = 127.0.0.1:0\n"
                 "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 1\n").start()
# a node no agent runs: the test speaks for it
NODE = "pod01-n004"
SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def scrape_text(c=ctl):
    req = urllib.request.Request(c.url + "/metrics")
    req.add_header(*auth_header(c.url).split(": ", 1))
    with urllib.request.urlopen(req, timeout=10) as r:
        return r.read().decode()


def value(name, text=None, c=ctl, **labels):
    """The value of the one sample of name with exactly these labels; 0
    when there is none (a counter not yet counted)."""
    for line in (text or scrape_text(c)).splitlines():
        m = SAMPLE.match(line)
        if m and m.group(1) == name and \
                dict(LABEL.findall(m.group(2) or "")) == labels:
            return float(m.group(3))
    return 0.0


def report(seqs, boot="00000000000000aa", dropped=0, node=NODE):
    body = {"boot_id": boot, "agent_version": "test", "interval_ms": 1000,
            "desired_version": 0, "dropped_samples": dropped,
            "samples": [{"seq": s, "t_ms": 1795900000000 + s * 1000,
                         "power_w": 100.0} for s in seqs]}
    return node_api(ctl, "POST", "/agents/%s/report" % node, node, body)


def controller_status():
    code, st = ctl.api("GET", "/status")
    assert code == 200, (code, st)
    return st["controller"]


def test_samples_by_seq():
    before = controller_status()
    code, r = report([1, 2])
    assert code == 200 and r["ack_seq"] == 2, (code, r)
    assert "report_interval_ms" not in r, r  # nothing asked: absent
    code, r = report([2])                    # a retry
    assert code == 200 and r["ack_seq"] == 2, (code, r)
    code, r = report([6])                    # 3, 4, 5 never came
    assert code == 200 and r["ack_seq"] == 6, (code, r)
    code, r = report([7], dropped=10)        # the agent overwrote 10
    assert code == 200, (code, r)
    code, r = report([8, 9], dropped=10)     # no growth, no gap
    assert code == 200, (code, r)
    after = controller_status()
    d = {k: after[k] - before[k] for k in
         ("samples_received", "samples_duplicate", "samples_lost",
          "reports_accepted", "reports_refused")}
    assert d == {"samples_received": 6, "samples_duplicate": 1,
                 "samples_lost": 13, "reports_accepted": 5,
                 "reports_refused": 0}, d
    text = scrape_text()
    assert value("pod_ingest_samples_lost_total", text) == \
        after["samples_lost"], text
    assert value("pod_ingest_samples_duplicate_total", text) == \
        after["samples_duplicate"]
    assert value("pod_ingest_samples_received_total", text) == \
        after["samples_received"]
    assert value("pod_ingest_report_seconds_count", text) >= 5


def test_dropped_when_the_store_queue_is_full():
    before = value("pod_ingest_samples_dropped_total")
    code, r = report([10, 11, 12, 13, 14])  # a second apart: 5 to store
    assert code == 200 and r["ack_seq"] == 14, (code, r)
    wait_for("4 samples dropped", lambda: value(
        "pod_ingest_samples_dropped_total") >= before + 4)
    wait_for("the one that fitted stored", lambda: value(
        "pod_ingest_samples_stored_total") >= 1)
    assert controller_status()["store_queue_max"] == 1


def test_refused_reports():
    before = value("pod_ingest_reports_total", result="refused")
    code, _ = node_api(ctl, "POST", "/agents/%s/report" % NODE, NODE,
                       raw=b"{not json")
    assert code == 400, code
    code, _ = node_api(ctl, "POST", "/agents/%s/report" % NODE, NODE,
                       {"boot_id": "00000000000000aa"}, cred="0" * 64)
    assert code in (401, 403), code
    # another agent (boot id) while the holder reports: 409
    code, _ = report([1], boot="00000000000000cc")
    assert code == 409, code
    assert value("pod_ingest_reports_total", result="refused") == \
        before + 3


def test_http_by_route_and_code():
    assert ctl.api("GET", "/nodes/pod01-n001")[0] == 200
    assert ctl.api("GET", "/nodes/nosuch")[0] == 404
    assert ctl.api("GET", "/nothing/here")[0] == 404
    text = wait_for("the replies counted", lambda: (lambda t: t if value(
        "pod_http_requests_total", t, method="GET", route="other",
        code="404") >= 1 else None)(scrape_text()))
    assert value("pod_http_requests_total", text, method="GET",
                 route="/api/v1/nodes/*", code="200") >= 1, text
    assert value("pod_http_requests_total", text, method="GET",
                 route="/api/v1/nodes/*", code="404") >= 1, text
    assert value("pod_http_request_seconds_count", text, method="GET",
                 route="/api/v1/nodes/*") >= 2, text
    assert value("pod_http_requests_total", text, method="POST",
                 route="/api/v1/agents/*/report", code="409") >= 1, text


def modbus(pdu):
    port = int(re.findall(r"BMS Modbus TCP listening on 127\.0\.0\.1:(\d+)",
                          ctl.log())[0])
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(struct.pack(">HHHB", 7, 0, len(pdu) + 1, 1) + pdu)
        return s.recv(260)


def test_modbus_by_function_and_result():
    ok = modbus(struct.pack(">BHH", 3, 0, 2))
    assert ok[7] == 3, ok
    bad = modbus(struct.pack(">BHH", 3, 60000, 2))
    assert bad[7] == 0x83, bad
    text = scrape_text()
    assert value("pod_modbus_requests_total", text,
                 function="read_holding_registers", result="ok") == 1, text
    assert value("pod_modbus_requests_total", text,
                 function="read_holding_registers",
                 result="exception") == 1, text


def test_promtool_and_histograms():
    promtool = shutil.which("promtool")
    if promtool is None:
        print("SKIP promtool is not installed")
        sys.exit(77)
    wait_for("loop lag and a store batch measured", lambda: value(
        "pod_loop_lag_seconds_count") >= 5 and value(
        "pod_store_batch_seconds_count") >= 1)
    text = scrape_text()
    p = subprocess.run([promtool, "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and not (p.stdout + p.stderr).strip(), \
        p.stdout + p.stderr
    for h in ("pod_loop_lag_seconds", "pod_sched_pass_seconds",
              "pod_ingest_report_seconds", "pod_store_batch_seconds",
              "pod_ingest_sample_delay_seconds"):
        assert "# TYPE %s histogram" % h in text, h
        inf = value(h + "_bucket", text, le="+Inf")
        assert inf == value(h + "_count", text) and inf > 0, (h, inf)
    assert value("pod_ingest_report_interval_seconds", text) == 0
    assert "pod_store_queue_samples " in text


def test_status_and_podctl():
    c = controller_status()
    for k in ("reports_per_s", "samples_per_s", "loop_lag_p99_ms",
              "http_per_s", "store_queue_samples", "report_interval_ms"):
        assert k in c, (k, c)
    assert c["report_interval_ms"] == 0 and c["behind"] is None, c
    assert c["loop_lag_p99_ms"] is not None, c
    # read once a second: an idle test fabric is far from a core
    assert c["loop_cpu_pct"] is not None and 0 <= c["loop_cpu_pct"] < 80, c
    rc, out, err = podctl(ctl.url, "status")
    assert rc == 0, (rc, out, err)
    assert "Controller (last 60 s)" in out, out
    assert re.search(r"Samples:\s+\S+/s; lost %d," % c["samples_lost"],
                     out), out
    assert re.search(r"Interval:\s+agents report at their own", out), out


def test_backpressure():
    """A loop that stalls 400 ms every second (test_loop_stall_ms): the
    controller is behind, asks the agent to slow down (at most 8 s here),
    the agent sends fewer, fuller reports and loses nothing; the stall
    lifted (SIGHUP), the ask eases to nothing and the agent catches up."""
    t = TempDir("selfstat-bp")
    c = Controller(t, extra="backpressure_lag_ms = 100\n"
                   "report_interval_max_ms = 8000\n"
                   "test_loop_stall_ms = 400\n"
                   "[fabric]\nnodes_per_pod = 2\ngroups_per_pod = 1\n",
                   name="slow", fence_s=60).start()
    agent = Agent(t, c.url, "pod01-n001").start()
    try:
        url = wait_for("the agent's metrics", agent.metrics_url)
        asked = wait_for("the controller to ask for 8 s", lambda: (
            lambda st: st if st["report_interval_ms"] == 8000 else None)(
                c.api("GET", "/status")[1]["controller"]), timeout=90)
        assert asked["behind"].startswith("loop lag"), asked
        rc, out, err = podctl(c.url, "status")
        assert rc == 0 and re.search(
            r"Interval:\s+reports every 8000 ms asked: behind, loop lag",
            out), (rc, out, err)
        wait_for("the agent to obey", lambda: metrics(url).get(
            'pod_agent_report_interval_seconds{node="pod01-n001"}') == 8)
        text = scrape_text(c)
        reports0 = value("pod_ingest_reports_total", text, c=c,
                         result="accepted")
        samples0 = value("pod_ingest_samples_received_total", text, c=c)
        # three asked intervals' worth of reports
        wait_for("three more reports", lambda: value(
            "pod_ingest_reports_total", c=c, result="accepted")
            >= reports0 + 3, timeout=60)
        text = scrape_text(c)
        reports = value("pod_ingest_reports_total", text, c=c,
                        result="accepted") - reports0
        samples = value("pod_ingest_samples_received_total", text,
                        c=c) - samples0
        # at 2 samples a second and a report every 8 s: ~16 a report
        assert samples >= 8 * reports, (samples, reports)
        assert value("pod_ingest_samples_lost_total", text, c=c) == 0, text
        assert value("pod_ingest_report_interval_seconds", text, c=c) == 8
        assert c.log_lines(r"behind \(loop lag"), c.log()
        # the stall lifted
        with open(c.conf) as f:
            conf = f.read()
        with open(c.conf, "w") as f:
            f.write(conf.replace("test_loop_stall_ms = 400",
                                 "test_loop_stall_ms = 0"))
        os.kill(c.proc.pid, signal.SIGHUP)
        wait_for("the ask lifted", lambda: c.api("GET", "/status")[1][
            "controller"]["report_interval_ms"] == 0, timeout=90)
        wait_for("the agent back to its own interval", lambda: metrics(
            url).get('pod_agent_report_interval_seconds{node="pod01-n001"}')
            == 0.5, timeout=30)
        wait_for("the agent caught up", lambda: metrics(url).get(
            'pod_agent_samples_buffered{node="pod01-n001"}', 99) <= 2)
        m = metrics(url)
        assert m.get('pod_agent_samples_dropped_total{node="pod01-n001"}') \
            == 0, m
        text = scrape_text(c)
        assert value("pod_ingest_samples_lost_total", text, c=c) == 0, text
        assert value("pod_ingest_samples_duplicate_total", text, c=c) == 0
        assert c.log_lines(r"caught up: agents report at their own"), \
            c.log()
    finally:
        agent.stop()
        c.stop()
        t.cleanup()


def test_backpressure_on_a_busy_loop():
    """The event loop's thread busy above backpressure_cpu_share (1 % of
    a core here, under 32 simulated agents reporting 10 times a second):
    the controller says it is behind for that reason, with the loop's CPU
    on /status and /metrics, and asks the agents to slow down; they do."""
    t = TempDir("selfstat-cpu")
    c = Controller(t, extra="backpressure_cpu_share = 0.01\n"
                   "report_interval_max_ms = 4000\n"
                   "[fabric]\nnodes_per_pod = 32\ngroups_per_pod = 2\n",
                   name="busy", fence_s=60).start()
    stats = t.file("fleet.json", "")
    fleet = Fleetsim(t, c.url, pods=1, nodes=32, args=[
        "--interval-ms", "100", "--stats-every", "1",
        "--stats-json", stats]).start()

    def busy():
        st = c.api("GET", "/status")[1]["controller"]
        return st if (st["behind"] or "").startswith(
            "event loop busy") else None

    def slowed():
        try:
            with open(stats) as f:
                return json.load(f)["total"]["slowed"] > 0
        except (OSError, ValueError, KeyError):
            return False
    try:
        st = wait_for("behind: the loop busy", busy, timeout=60)
        assert st["report_interval_ms"] >= 2000, st
        assert st["loop_cpu_pct"] > 1, st
        assert c.log_lines(r"behind \(event loop busy \d+ % of a core"), \
            c.log()
        assert value("pod_loop_cpu_seconds_total", c=c) > 0
        wait_for("pod-fleetsim's agents to slow down", slowed, timeout=30)
    finally:
        fleet.stop()
        c.stop()
        t.cleanup()


def test_job_news_goes_at_once_under_an_ask():
    """An agent asked for a report every 6 s (by a stand-in controller)
    holds its samples, 12 a report at 2 a second; a job it starts goes to
    the controller at once, in a report of the few samples since the
    last."""
    t = TempDir("selfstat-news")
    node = "pod01-n009"
    fake = FakeController(node)
    fake.ask_ms = 6000
    agent = Agent(t, fake.url, node).start()
    try:
        url = wait_for("the agent's metrics", agent.metrics_url)
        wait_for("the agent to obey", lambda: metrics(url).get(
            'pod_agent_report_interval_seconds{node="%s"}' % node) == 6)
        n0 = fake.count()
        wait_for("two reports under the ask", lambda: fake.count() >= n0 + 2,
                 timeout=30)
        held = [len(r["samples"]) for r in fake.since(n0)]
        assert min(held) >= 8, held
        fake.set_jobs([{"id": 7, "attempt": 1, "name": "news",
                        "command": ["true"], "nnodes": 1, "node_rank": 0,
                        "nodelist": node, "accelerators": [0],
                        "time_limit_s": 0, "kill_grace_s": 2,
                        "cancel": False,
                        "user": pwd.getpwuid(os.getuid()).pw_name}])
        first = wait_for("a report of job 7", lambda: fake.first_report(
            7, lambda j: True), timeout=30)
        assert len(first["samples"]) <= 4, len(first["samples"])
    finally:
        agent.stop()
        fake.stop()
        t.cleanup()


def test_guard_news_goes_at_once_under_an_ask():
    """An agent asked for a report every 6 s holds its samples; its loop
    starts leaking (the sim plugin's fault, 8 s after start) and the
    guard's trip goes to the controller in that very tick's report, the
    leaking sample last in it, instead of waiting out the interval: the
    controller keeps a leaking node from new work on that report."""
    t = TempDir("selfstat-guard")
    node = "pod01-n011"
    fake = FakeController(node)
    fake.ask_ms = 6000
    agent = Agent(t, fake.url, node, extra="fault = leak@8\n").start()

    def tripped():
        for r in fake.since(0):
            if r["power"]["guard"]["leak"]:
                return r
        return None
    try:
        url = wait_for("the agent's metrics", agent.metrics_url)
        wait_for("the agent to obey", lambda: metrics(url).get(
            'pod_agent_report_interval_seconds{node="%s"}' % node) == 6)
        trip = wait_for("a report of the leak", tripped, timeout=60)
        before = [s for r in fake.since(0) if r is not trip
                  for s in r["samples"]]
        assert not any(s["loop"]["leak"] for s in before if s["loop"])
        leaks = [i for i, s in enumerate(trip["samples"])
                 if s["loop"] and s["loop"]["leak"]]
        # the trip's sample last, or next to last when a report was in
        # flight at the trip; held to the ask, up to 11 more would follow
        assert leaks and leaks[0] >= len(trip["samples"]) - 2, \
            (leaks, len(trip["samples"]))
    finally:
        agent.stop()
        fake.stop()
        t.cleanup()


def test_fabric_size_asks_an_interval():
    """More nodes than [controller] report_rate_max reports a second: the
    controller asks every agent for a report every nodes / rate seconds
    whatever its load (16 nodes at 4 a second: every 4 s), says why in
    its log, on /status and podctl status, and a real agent obeys."""
    t = TempDir("selfstat-floor")
    c = Controller(t, extra="report_rate_max = 4\n"
                   "[fabric]\nnodes_per_pod = 16\ngroups_per_pod = 1\n",
                   name="floor", fence_s=60).start()
    agent = Agent(t, c.url, "pod01-n001").start()
    try:
        url = wait_for("the agent's metrics", agent.metrics_url)
        st = wait_for("the controller to ask for 4 s", lambda: (
            lambda st: st if st["report_interval_ms"] == 4000 else None)(
                c.api("GET", "/status")[1]["controller"]))
        assert st["behind"] is None, st
        assert c.log_lines(r"the fabric's size \(report_rate_max\): "
                           r"asking agents to report every 4000 ms"), c.log()
        wait_for("the agent to obey", lambda: metrics(url).get(
            'pod_agent_report_interval_seconds{node="pod01-n001"}') == 4)
        rc, out, err = podctl(c.url, "status")
        assert rc == 0 and re.search(
            r"Interval:\s+reports every 4000 ms asked", out), (rc, out, err)
        # a node that reports every 4 s is not down for it
        assert c.api("GET", "/nodes/pod01-n001")[1]["state"] != "down"
    finally:
        agent.stop()
        c.stop()
        t.cleanup()


def test_asked_reports_spread():
    """Under an ask of 1 s, an agent sampling every 100 ms leaves between
    0.75 and 1.25 s between its reports, drawn anew each time: agents
    that reported together drift apart instead of arriving together
    every interval. (At a fixed 1 s, 15 gaps span a tick or two.)"""
    t = TempDir("selfstat-spread")
    node = "pod01-n010"
    fake = FakeController(node)
    fake.ask_ms = 1000
    agent = Agent(t, fake.url, node, interval_ms=100).start()
    try:
        n0 = wait_for("a first report", lambda: fake.count() or None)
        # the second report on is paced by the ask the first reply said
        wait_for("17 reports under the ask",
                 lambda: fake.count() >= n0 + 17, timeout=60)
        with fake.lock:
            times = [m for m, _ in fake.reports[n0 + 1:]]
        gaps = [b - a for a, b in zip(times, times[1:])]
        assert min(gaps) > 0.6 and max(gaps) < 1.5, gaps
        assert max(gaps) - min(gaps) > 0.2, gaps
    finally:
        agent.stop()
        fake.stop()
        t.cleanup()


try:
    run([test_samples_by_seq, test_dropped_when_the_store_queue_is_full,
         test_refused_reports,
         test_http_by_route_and_code, test_modbus_by_function_and_result,
         test_promtool_and_histograms, test_status_and_podctl,
         test_backpressure, test_backpressure_on_a_busy_loop,
         test_job_news_goes_at_once_under_an_ask,
         test_guard_news_goes_at_once_under_an_ask,
         test_fabric_size_asks_an_interval, test_asked_reports_spread])
finally:
    ctl.stop()
    tmp.cleanup()
