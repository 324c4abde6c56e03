"""Prometheus metrics at /metrics, checked by Prometheus' own promtool:
the exposition parses and lints clean, and its values agree with the REST
API."""

import re
import subprocess
import urllib.request

from podtest import Controller, Fleetsim, TempDir, podctl, run, wait_for

tmp = TempDir("metrics")
ctl = Controller(tmp, extra="[fabric]\nnodes_per_pod = 8\n"
                 "groups_per_pod = 2\n").start()
fleet = Fleetsim(tmp, ctl.url, nodes=8).start()


def scrape():
    with urllib.request.urlopen(ctl.url + "/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain"), r.headers
        return r.read().decode()


def value(text, name, labels=""):
    m = re.search(r"^%s%s (\S+)$" % (re.escape(name), re.escape(labels)),
                  text, re.M)
    return float(m.group(1)) if m else None


def test_promtool_accepts_it():
    wait_for("8 nodes up", lambda: ctl.api("GET", "/status")[1]["nodes"][
        "up"] == 8)
    wait_for("accelerators reporting", lambda: value(
        scrape(), "pod_accelerators_up", '{pod="pod01"}') == 64)
    p = subprocess.run(["promtool", "check", "metrics"], input=scrape(),
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout.strip() == "" and p.stderr.strip() == "", (p.stdout,
                                                                p.stderr)


def test_values_agree_with_rest():
    text = scrape()
    _, pods = ctl.api("GET", "/pods")
    rest = pods["pods"][0]["power_w"]
    got = value(text, "pod_power_watts", '{pod="pod01"}')
    assert got is not None and abs(got - rest) < 0.1 * rest, (got, rest)
    assert value(text, "pod_power_budget_watts", '{pod="pod01"}') == 850e3
    assert value(text, "pod_nodes", '{pod="pod01",state="idle"}') == 8
    assert len(re.findall(r"^pod_accelerator_clock_hertz\{", text,
                          re.M)) == 64
    assert value(text, "pod_accelerator_clock_hertz",
                 '{node="pod01-n001",accelerator="0"}') > 5e8


def test_follows_changes():
    podctl(ctl.url, "node", "drain", "pod01-n002", "--reason", "metrics")
    assert value(scrape(), "pod_nodes", '{pod="pod01",state="drained"}') == 1
    podctl(ctl.url, "power", "cap", "100")
    assert value(scrape(), "pod_facility_cap_watts") == 100e3
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "-X", "POST", ctl.url + "/metrics"],
                       capture_output=True, text=True, timeout=10)
    assert p.stdout == "405", p.stdout


try:
    run([test_promtool_accepts_it, test_values_agree_with_rest,
         test_follows_changes])
finally:
    fleet.stop()
    ctl.stop()
    tmp.cleanup()
