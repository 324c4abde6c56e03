"""The monitoring files in packaging/ (docs/metrics.md, "Alerts and
dashboard"): Prometheus' promtool accepts the alert rules, the dcgm-name
recording rules and the example configuration, and their unit tests pass
(each alert fires on its trouble, none on a healthy fabric); the Grafana
dashboard is valid JSON of the shape Grafana 9/10 import, its queries
valid PromQL; and every metric the rules and the dashboard use exists on a
live controller's /metrics or a live agent's (the one their job label
names), so that renaming a metric without them fails here. Then a real
Prometheus server, configured from the example prometheus.yml, scrapes
them: every dashboard query returns data, no alert is pending on the
healthy fabric (a node configured but never seen is not down), and a
leak and an expired BMS watchdog fire their alerts. The agent's exposition
passes promtool's lint too (the controller's is checked by
test_metrics)."""

import json
import os
import re
import shutil
import subprocess
import sys

import urllib.parse
import urllib.request

from podtest import (BUILD, SOURCE, Agent, Controller, Daemon, TempDir, auth_header,
                     free_port, podctl, run, wait_for)

try:
    import yaml
except ImportError:
    print("SKIP python3-yaml missing (scripts/install-deps --test)")
    sys.exit(77)
if shutil.which("promtool") is None:
    print("SKIP promtool missing (Debian's prometheus package: "
          "scripts/install-deps --test)")
    sys.exit(77)

PROM = os.path.join(SOURCE, "packaging", "prometheus")
GRAFANA = os.path.join(SOURCE, "packaging", "grafana")
RULES = ["pod-alerts.yml", "pod-dcgm-names.yml"]
RULE_TESTS = ["pod-alerts.test.yml", "pod-dcgm-names.test.yml"]
DASHBOARD = os.path.join(GRAFANA, "pod-dashboard.json")
# the job labels the rules name, and whose /metrics each stands for
JOBS = {"pod-controller": "controller", "pod-agent": "agent"}
ALERTS = ["PodCoolantLeak", "PodCoolantFlowLow", "PodNodeDown",
          "PodPowerOverCap", "PodCurtailmentMissed", "PodBMSWatchdogExpired",
          "PodControllerDown", "PodNoActiveController",
          "PodControllersBothActive"]

NODE = "pod01-n001"
NEVER = "pod01-n002"  # configured, never reports
LEAKY = "pod01-n003"  # its agent starts in the Prometheus test, and leaks
tmp = TempDir("monitoring")
# three nodes: one real agent, one never seen (its node series exist all
# the same), one that leaks later; a facility cap, so that
# pod_facility_cap_watts is there; a BMS server, whose watchdog the test
# lets expire
ctl = Controller(tmp, extra="[fabric]\nnodes_per_pod = 3\n"
                 "groups_per_pod = 1\n[power]\nfacility_cap_kw = 5000\n"
                 "[modbus]\nlisten = 127.0.0.1:0\nallow_write = 127.0.0.1\n"
                 ).start()
MODBUS_PORT = int(wait_for("the Modbus server", lambda: re.findall(
    r"BMS Modbus TCP listening on 127\.0\.0\.1:(\d+)", ctl.log()))[0])
agent = Agent(tmp, ctl.url, NODE).start()


def promtool(*args, cwd=PROM, stdin=None):
    p = subprocess.run(["promtool"] + list(args), cwd=cwd, input=stdin,
                       capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout + p.stderr


def rules(name):
    with open(os.path.join(PROM, name)) as f:
        return [r for g in yaml.safe_load(f)["groups"] for r in g["rules"]]


def dashboard():
    with open(DASHBOARD) as f:
        return json.load(f)


def panels(d):
    """Every panel, those inside collapsed rows too."""
    out = []
    for p in d["panels"]:
        out.append(p)
        out.extend(p.get("panels", []))
    return out


STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
# a metric name where it is selected, then optionally its matchers (label
# names never start with pod_ here: pod, node, group, ...)
SELECTOR = re.compile(r'(?<![\w$:])(pod_[a-zA-Z0-9_:]*)\s*(\{[^}]*\})?')
JOB = re.compile(r'\bjob\s*=\s*"@(\d+)"')


def selectors(expr):
    """[(metric, job or None)] of every pod_* metric a PromQL expression
    selects, with the value of its job="..." matcher. String literals are
    set aside first (label values such as "pod01" are no metric); `up`,
    functions and Grafana's $variables do not start with pod_."""
    strings = []

    def aside(m):
        strings.append(m.group(0)[1:-1])
        return '"@%d"' % (len(strings) - 1)
    blanked = STRING.sub(aside, expr)
    out = []
    for m in SELECTOR.finditer(blanked):
        j = JOB.search(m.group(2) or "")
        out.append((m.group(1), strings[int(j.group(1))] if j else None))
    return out


def used():
    """{(metric, job or None): [where]} over the rules and the dashboard."""
    out = {}
    for name in RULES:
        for r in rules(name):
            what = "%s %s" % (name, r.get("alert") or r.get("record"))
            for key in selectors(r["expr"]):
                out.setdefault(key, []).append(what)
    for p in panels(dashboard()):
        for t in p.get("targets", []):
            for key in selectors(t["expr"]):
                out.setdefault(key, []).append("dashboard: " + p["title"])
    d = dashboard()
    for v in d["templating"]["list"]:
        q = v.get("query")
        if isinstance(q, dict):
            q = q.get("query", "")
        if v.get("type") == "query":
            for key in selectors(q or ""):
                out.setdefault(key, []).append("dashboard: $" + v["name"])
    return out


def families(text):
    """The metric names that have at least one sample in an exposition."""
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def fetch(url, controller):
    args = ["curl", "-sf", "--max-time", "10", url]
    if controller:
        args[2:2] = ["-H", auth_header(ctl.url)]
    p = subprocess.run(args, capture_output=True, text=True, timeout=20)
    assert p.returncode == 0, (url, p.returncode, p.stderr)
    return p.stdout


def ctl_text():
    return fetch(ctl.url + "/metrics", True)


def agent_text():
    url = wait_for("the agent's metrics address",
                   lambda: agent.metrics_url())
    return fetch(url, False)


def test_promtool_checks_the_rules():
    rc, out = promtool("check", "rules", *RULES)
    assert rc == 0, out
    assert "SUCCESS: 9 rules found" in out, out
    rc, out = promtool("test", "rules", *RULE_TESTS)
    assert rc == 0, out
    names = [r["alert"] for r in rules("pod-alerts.yml")]
    assert sorted(names) == sorted(ALERTS), names
    for r in rules("pod-alerts.yml"):
        assert r["labels"].get("severity") in ("critical", "warning"), r
        a = r["annotations"]
        assert a["summary"] and a["description"], r
        m = re.match(r"docs/([a-z-]+\.md)#(.+)$", a["runbook_url"])
        assert m, r
        doc, anchor = m.groups()
        with open(os.path.join(SOURCE, "docs", doc)) as f:
            heads = [re.sub(r"[^a-z0-9 -]", "", h.lower()).replace(" ", "-")
                     for h in re.findall(r"^#+ (.*)$", f.read(), re.M)]
        assert anchor in heads, (r["alert"], anchor, heads)


def test_every_alert_has_a_firing_and_a_quiet_case():
    with open(os.path.join(PROM, "pod-alerts.test.yml")) as f:
        t = yaml.safe_load(f)
    fired, quiet = set(), set()
    for case in t["tests"]:
        for a in case.get("alert_rule_test", []):
            (fired if a.get("exp_alerts") else quiet).add(a["alertname"])
    assert fired == set(ALERTS), set(ALERTS) - fired
    assert quiet == set(ALERTS), set(ALERTS) - quiet


def test_promtool_checks_the_example_config():
    # its paths point into /etc/prometheus; here they point into tmp
    conf = os.path.join(tmp.path, "prom")
    os.makedirs(conf)
    for name in RULES:
        shutil.copy(os.path.join(PROM, name), conf)
    with open(os.path.join(PROM, "prometheus.yml")) as f:
        text = f.read()
    assert "rule_files" in text and "pod-alerts.yml" in text
    text = text.replace("/etc/prometheus/", conf + "/")
    with open(os.path.join(conf, "prometheus.yml"), "w") as f:
        f.write(text)
    with open(os.path.join(conf, "pod-viewer.token"), "w") as f:
        f.write("x\n")
    with open(os.path.join(conf, "pod-agents.yml"), "w") as f:
        f.write('- targets: ["pod01-n001:9471"]\n')
    rc, out = promtool("check", "config", "prometheus.yml", cwd=conf)
    assert rc == 0, out
    jobs = [j["job_name"] for j in yaml.safe_load(text)["scrape_configs"]]
    assert sorted(jobs) == sorted(JOBS), jobs


def grafana_vars(expr):
    """expr with the dashboard's variables as Grafana sends them (all
    pods)."""
    return expr.replace("$pod", ".+")


def test_installed_where_the_docs_say():
    prefix = os.path.join(tmp.path, "prefix")
    p = subprocess.run(["cmake", "--install", BUILD, "--prefix", prefix],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stdout + p.stderr
    share = os.path.join(prefix, "share", "pod")
    for name in RULES + RULE_TESTS + ["prometheus.yml"]:
        assert os.path.exists(os.path.join(share, "prometheus", name)), name
    assert os.path.exists(os.path.join(share, "grafana",
                                       "pod-dashboard.json"))
    rc, out = promtool("test", "rules", *RULE_TESTS,
                       cwd=os.path.join(share, "prometheus"))
    assert rc == 0, out
    with open(os.path.join(SOURCE, "docs", "metrics.md")) as f:
        doc = f.read()
    for where in ("share/pod/prometheus", "share/pod/grafana"):
        assert where in doc, where


def test_dashboard_shape():
    d = dashboard()
    assert 36 <= d["schemaVersion"] <= 39, d["schemaVersion"]
    assert d["uid"] and d["title"], d
    tv = {v["name"]: v for v in d["templating"]["list"]}
    assert tv["DS_PROMETHEUS"]["type"] == "datasource", tv
    assert tv["DS_PROMETHEUS"]["query"] == "prometheus", tv
    q = tv["pod"]["query"]
    q = q["query"] if isinstance(q, dict) else q
    assert re.fullmatch(r"label_values\(pod_\w+, *pod\)", q), q
    ds = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
    ids, cells = set(), []
    for p in panels(d):
        assert p["id"] not in ids, p["id"]
        ids.add(p["id"])
        g = p["gridPos"]
        assert g["x"] + g["w"] <= 24, p["title"]
        for c in cells:  # no two panels on one cell of the grid
            assert (g["x"] + g["w"] <= c[0] or c[0] + c[2] <= g["x"] or
                    g["y"] + g["h"] <= c[1] or c[1] + c[3] <= g["y"]), (
                        p["title"], c)
        cells.append((g["x"], g["y"], g["w"], g["h"], p["title"]))
        if p["type"] == "row":
            continue
        assert p["datasource"] == ds, p["title"]
        assert p["targets"], p["title"]
        for t in p["targets"]:
            assert t["datasource"] == ds and t["expr"], (p["title"], t)
    # every query is PromQL promtool parses, once $pod is a regex
    exprs = [t["expr"] for p in panels(d) for t in p.get("targets", [])]
    check = os.path.join(tmp.path, "dashboard-queries.yml")
    with open(check, "w") as f:
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": [
            {"record": "dashboard_query_%d" % i,
             "expr": grafana_vars(e)} for i, e in enumerate(exprs)]}]}, f)
    rc, out = promtool("check", "rules", check)
    assert rc == 0, out
    titles = " | ".join(p["title"] for p in panels(d)).lower()
    for want in ["fabric power vs budget", "heat", "coolant supply",
                 "coolant flow", "nodes up, down, drained", "jobs by state",
                 "accelerator power", "accelerator temperature",
                 "accelerator clock", "open alarms", "curtailment"]:
        assert want in titles, (want, titles)


def test_selectors_parse():
    # the parser the next test relies on
    got = selectors('sum by (pod) (pod_power_watts{pod=~"$pod"}) > on '
                    '(job, pod) 1.02 * pod_power_limit_watts{job='
                    '"pod-controller"} or up{job="pod-agent"} and '
                    'label_values(pod_nodes, pod)')
    assert got == [("pod_power_watts", None),
                   ("pod_power_limit_watts", "pod-controller"),
                   ("pod_nodes", None)], got


def test_every_metric_used_exists():
    # populated: the agent reports, its accelerators and loop are known,
    # and it has sampled energy
    wait_for("the node up", lambda: ctl.nodes_up() == 1)
    wait_for("its 8 accelerators on the controller", lambda: re.search(
        r'^pod_accelerators_up\{pod="pod01"\} 8$', ctl_text(), re.M))
    wait_for("its leak sensor on the controller", lambda: re.search(
        r'^pod_node_leak\{node="%s"' % NODE, ctl_text(), re.M))
    wait_for("the agent's accelerator energy",
             lambda: "pod_accelerator_energy_joules_total{" in agent_text())
    have = {"controller": families(ctl_text()),
            "agent": families(agent_text())}
    use = used()
    assert len(use) >= 20, sorted(use)
    missing = []
    for (name, job), where in sorted(use.items(), key=str):
        if job is not None:
            assert job in JOBS, (name, job, where)
            ok = name in have[JOBS[job]]
        else:
            ok = name in have["controller"] or name in have["agent"]
        if not ok:
            missing.append("%s (job %s) in %s" % (name, job, where))
    assert not missing, "used but not exposed:\n  " + "\n  ".join(missing)


def test_agent_exposition_lints_clean():
    rc, out = promtool("check", "metrics", stdin=agent_text())
    assert rc == 0 and out.strip() == "", out


def test_new_families_follow_the_controller():
    # the inputs the alerts read agree with what the controller says
    t = ctl_text()
    assert re.search(r'^pod_node_drained\{node="%s",[^}]*\} 0$' % NODE, t,
                     re.M), t
    seen = re.search(r'^pod_node_last_seen_timestamp_seconds\{node="%s",'
                     r'[^}]*\} (\S+)$' % NODE, t, re.M)
    assert seen and float(seen.group(1)) > 1.6e9, seen
    assert not re.search(r'^pod_node_last_seen_timestamp_seconds\{node='
                         r'"%s"' % NEVER, t, re.M), "never seen, yet a time"
    assert re.search(r'^pod_bms_watchdog_expired 0$', t, re.M)
    assert re.search(r'^pod_curtailment_missed 0$', t, re.M)
    assert re.search(r'^pod_coolant_flow_min_litres_per_minute 2$', t, re.M)
    limit = re.search(r'^pod_power_limit_watts\{pod="pod01"\} (\S+)$', t,
                      re.M)
    budget = re.search(r'^pod_power_budget_watts\{pod="pod01"\} (\S+)$', t,
                       re.M)
    assert limit and budget and 0 < float(limit.group(1)) <= float(
        budget.group(1)), (limit, budget)
    rc, out, err = podctl(ctl.url, "node", "drain", NODE, "--reason", "mon")
    assert rc == 0, err
    assert re.search(r'^pod_node_drained\{node="%s",[^}]*\} 1$' % NODE,
                     ctl_text(), re.M)
    # a cap under the pod's budget becomes its limit
    rc, out, err = podctl(ctl.url, "power", "cap", "1")
    assert rc == 0, err
    wait_for("the pod's limit under the 1 kW cap", lambda: float(re.search(
        r'^pod_power_limit_watts\{pod="pod01"\} (\S+)$', ctl_text(),
        re.M).group(1)) <= 1000)


def mb_write(ref, value):
    """Writes one holding register as the BMS would (mbpoll, 0-based)."""
    assert shutil.which("mbpoll"), "mbpoll: scripts/install-deps --test"
    p = subprocess.run(["mbpoll", "-m", "tcp", "-p", str(MODBUS_PORT), "-a",
                        "1", "-0", "-1", "-o", "2", "-t", "4", "-r", str(ref),
                        "127.0.0.1", str(value)], capture_output=True,
                       text=True, timeout=30)
    assert p.returncode == 0, (ref, value, p.stdout, p.stderr)


def watchdog_expired():
    m = re.search(r"^pod_bms_watchdog_expired (\S+)$", ctl_text(), re.M)
    assert m, "no pod_bms_watchdog_expired"
    return float(m.group(1))


class Prometheus(Daemon):
    """A Prometheus server on the example prometheus.yml, its jobs pointed
    at this test's controller and agent, scraping and evaluating every
    second."""

    def __init__(self):
        conf = os.path.join(tmp.path, "prometheus")
        os.makedirs(conf, exist_ok=True)
        for name in RULES:
            shutil.copy(os.path.join(PROM, name), conf)
        with open(os.path.join(PROM, "prometheus.yml")) as f:
            text = f.read()
        text = text.replace("/etc/prometheus/", conf + "/")
        text = text.replace('"controller:8470"',
                            '"%s"' % ctl.url.split("//", 1)[1])
        text = re.sub(r"(scrape_interval|evaluation_interval): \d+s",
                      r"\1: 1s", text)
        text = re.sub(r"scrape_timeout: \d+s", "scrape_timeout: 1s", text)
        # alerts go nowhere: no Alertmanager of someone else's gets them
        text = text.replace('"localhost:9093"',
                            '"127.0.0.1:%d"' % free_port())
        with open(os.path.join(conf, "prometheus.yml"), "w") as f:
            f.write(text)
        with open(os.path.join(conf, "pod-viewer.token"), "w") as f:
            f.write(ctl.token("prometheus", "viewer") + "\n")
        agent_at = agent.metrics_url().split("//", 1)[1].split("/", 1)[0]
        with open(os.path.join(conf, "pod-agents.yml"), "w") as f:
            f.write('- targets: ["%s"]\n' % agent_at)
        self.url = "http://127.0.0.1:%d" % free_port()
        super().__init__("prometheus", [
            "prometheus", "--config.file=" + os.path.join(
                conf, "prometheus.yml"),
            "--storage.tsdb.path=" + os.path.join(conf, "data"),
            "--web.listen-address=" + self.url.split("//", 1)[1]], tmp)

    def api(self, path, **query):
        url = self.url + "/api/v1/" + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        with urllib.request.urlopen(url, timeout=10) as r:
            reply = json.load(r)
        assert reply["status"] == "success", reply
        return reply["data"]

    def query(self, expr):
        return self.api("query", query=expr)["result"]

    def alerts(self, name=None):
        return [a for a in self.api("alerts")["alerts"]
                if name in (None, a["labels"]["alertname"])]


def test_prometheus_evaluates_them_live():
    assert shutil.which("prometheus"), "prometheus: install-deps --test"
    prom = Prometheus().start()
    try:
        wait_for("Prometheus ready", lambda: prom.alive() and prom.api(
            "status/runtimeinfo"), timeout=60)
        wait_for("both jobs up", lambda: sorted(
            (r["metric"]["job"], r["value"][1]) for r in prom.query("up"))
            == [("pod-agent", "1"), ("pod-controller", "1")], timeout=30)
        loaded = [r for g in prom.api("rules")["groups"] for r in g["rules"]]
        want = sum(len(rules(f)) for f in RULES)
        assert len(loaded) == want, [r["name"] for r in loaded]
        assert all(r["health"] == "ok" for r in loaded), loaded
        # every dashboard query returns data (ended jobs per hour need two
        # scrapes, hence the wait)
        d = dashboard()
        exprs = [(p["title"], t["expr"]) for p in panels(d)
                 for t in p.get("targets", [])]

        def empty():
            return [(title, e) for title, e in exprs
                    if not prom.query(grafana_vars(e))]
        wait_for("data for every dashboard query", lambda: not empty(),
                 timeout=30)
        # the dcgm-named series are recorded from the agent's
        wait_for("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION", lambda: len(
            prom.query("DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION"
                       '{Hostname="%s"}' % NODE)) == 8)
        # healthy: not even pending, the node never seen included
        assert prom.query("pod_node_up{node=\"%s\"} == 0" % NEVER)
        assert prom.alerts() == [], prom.alerts()
        # a leak pages at once, once, with the controller's labels
        leaky = Agent(tmp, ctl.url, LEAKY, extra="fault = leak@1\n").start()
        try:
            got = wait_for("PodCoolantLeak firing", lambda: [
                a for a in prom.alerts("PodCoolantLeak")
                if a["state"] == "firing"], timeout=60)
            assert len(got) == 1, got
            assert got[0]["labels"]["node"] == LEAKY, got
            assert got[0]["labels"]["pod"] == "pod01", got
            assert got[0]["labels"]["severity"] == "critical", got
            assert LEAKY in got[0]["annotations"]["description"], got
        finally:
            leaky.stop()
        # the BMS stops heart-beating: its alert fires, and ends with the
        # next heartbeat
        assert watchdog_expired() == 0
        mb_write(5, 2)  # watchdog_s
        mb_write(4, 1)  # a heartbeat arms it
        wait_for("the watchdog to expire", lambda: watchdog_expired() == 1,
                 timeout=15)
        got = wait_for("PodBMSWatchdogExpired firing", lambda: [
            a for a in prom.alerts("PodBMSWatchdogExpired")
            if a["state"] == "firing"], timeout=30)
        assert got[0]["labels"]["severity"] == "warning", got
        mb_write(4, 2)  # the heartbeat is back
        wait_for("the watchdog to clear", lambda: watchdog_expired() == 0)
        wait_for("PodBMSWatchdogExpired over", lambda: not prom.alerts(
            "PodBMSWatchdogExpired"), timeout=30)
        mb_write(5, 0)
    finally:
        prom.stop()


try:
    run([test_promtool_checks_the_rules,
         test_every_alert_has_a_firing_and_a_quiet_case,
         test_promtool_checks_the_example_config,
         test_installed_where_the_docs_say, test_dashboard_shape,
         test_selectors_parse, test_every_metric_used_exists,
         test_agent_exposition_lints_clean,
         test_prometheus_evaluates_them_live,
         test_new_families_follow_the_controller])
finally:
    agent.stop()
    ctl.stop()
    tmp.cleanup()
