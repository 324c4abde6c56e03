"""Watch the fleet end to end: a controller, a 128-node pod from
pod-fleetsim of which two nodes are real pod-agentd processes, driven with
podctl and HTTP. Liveness down and up, drain and resume, and what survives a
controller restart."""

import json
import re
import signal
import subprocess
import urllib.request

from podtest import (Agent, Controller, Fleetsim, TempDir, podctl, run,
                     wait_for)

tmp = TempDir("fleet")
ctl = Controller(tmp, heartbeat_s=3).start()
fleet = Fleetsim(tmp, ctl.url, args=["--skip", "pod01-n127", "--skip",
                                     "pod01-n128", "--load", "0.4"]).start()
agents = {n: Agent(tmp, ctl.url, n).start() for n in ("pod01-n127",
                                                        "pod01-n128")}


def nodes_up():
    return ctl.api("GET", "/status")[1]["nodes"]["up"]


def node(name):
    status, body = ctl.api("GET", "/nodes/" + name)
    assert status == 200, (status, body)
    return body


def keys(obj):
    """The shape of a JSON value: its keys, recursively."""
    if isinstance(obj, dict):
        return {k: keys(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [keys(obj[0])] if obj else []
    return None


def test_all_128_nodes_report():
    wait_for("128 nodes up", lambda: nodes_up() == 128, timeout=30)
    _, pods = ctl.api("GET", "/pods")
    pod = pods["pods"][0]
    assert pod["name"] == "pod01" and pod["nodes_total"] == 128
    assert pod["accelerators_total"] == 1024
    # wait for every accelerator's first sample
    wait_for("1024 accelerators reporting", lambda: ctl.api(
        "GET", "/pods")[1]["pods"][0]["accelerators_up"] == 1024)


def test_physics_is_plausible():
    _, s = ctl.api("GET", "/status")
    # 128 nodes of 8 accelerators at 40 % load: hundreds of kW
    assert 100e3 < s["power_w"] < 850e3, s["power_w"]
    assert s["supply_c"] < s["return_c"], s
    assert 0 < s["heat_w"] < 2 * s["power_w"], s
    assert s["flow_lpm"] > 128, s
    assert s["hottest"]["temp_c"] > s["supply_c"]


def test_status_screen():
    rc, out, err = podctl(ctl.url, "status")
    assert rc == 0, err
    _, s = ctl.api("GET", "/status")
    for want in (r"^Nodes:\s+128 up of 128: 128 idle$",
                 r"^Accelerators:\s+1024 up of 1024$",
                 r"^IT power:\s+\d+\.\d kW of 850\.0 kW budget \(\d+%\)$",
                 r"^Coolant:\s+supply \d+\.\d °C, return \d+\.\d °C, "
                 r"flow \d+\.\d L/min$"):
        assert re.search(want, out, re.M), (want, out)
    # the hottest accelerator moves; the one named is one of them, and
    # about as hot as the REST API says the hottest is
    m = re.search(r"^Hottest:\s+(pod01-n\d{3}) accelerator ([0-7]) at "
                  r"(\d+\.\d) °C$", out, re.M)
    assert m, out
    assert abs(float(m.group(3)) - s["hottest"]["temp_c"]) < 3, (out, s)
    assert int(m.group(1)[7:]) <= 128, out


def test_pods_and_nodes_tables():
    rc, out, err = podctl(ctl.url, "pods")
    assert rc == 0 and "pod01" in out, (rc, out, err)
    rc, out, err = podctl(ctl.url, "nodes", "--state", "idle")
    assert rc == 0, err
    assert sum(1 for line in out.splitlines() if "pod01-n" in line) == 128
    rc, out, err = podctl(ctl.url, "nodes", "--pod", "pod01", "--state",
                          "down")
    assert rc == 0 and "pod01-n" not in out, out


def test_json_output_is_the_rest_json():
    for args, path in ((("pods",), "/pods"),
                       (("nodes", "--pod", "pod01"), "/nodes?pod=pod01"),
                       (("node", "show", "pod01-n127"), "/nodes/pod01-n127"),
                       (("status",), "/status")):
        rc, out, err = podctl(ctl.url, "-o", "json", *args)
        assert rc == 0, err
        got = json.loads(out)
        _, want = ctl.api("GET", path)
        assert keys(got) == keys(want), (args, got, want)
    rc, out, err = podctl(ctl.url, "-o", "json", "nodes")
    assert rc == 0, err
    assert len(json.loads(out)["nodes"]) == 128, out
    for n in json.loads(out)["nodes"]:
        for field in ("name", "pod", "group", "state", "power_w", "reason"):
            assert field in n, (field, n)


def test_node_show_real_agent():
    n = node("pod01-n127")
    assert n["state"] == "idle" and n["pod"] == "pod01"
    assert len(n["accelerators"]) == 8
    for a in n["accelerators"]:
        for f in ("power_w", "temp_c", "clock_mhz", "util_pct",
                  "mem_used_mib"):
            assert a[f] is not None, (f, a)
    for f in ("power_w", "inlet_c", "outlet_c", "flow_lpm", "last_seen"):
        assert n[f] is not None, (f, n)
    rc, out, err = podctl(ctl.url, "node", "show", "pod01-n127")
    assert rc == 0, err
    # the accelerators' table: one row each, in order, with its clock
    lines = out.splitlines()
    head = [i for i, line in enumerate(lines) if line.split()[:1] ==
            ["INDEX"]]
    assert len(head) == 1, out
    cols = lines[head[0]].split()
    rows = [line.split() for line in lines[head[0] + 1:] if line.strip()]
    assert [r[0] for r in rows] == [str(i) for i in range(8)], out
    clock = cols.index("CLOCK_MHZ")
    assert all(r[clock] == "%.0f" % a["clock_mhz"]
               for r, a in zip(rows, node("pod01-n127")["accelerators"])), \
        out


def test_telemetry_history():
    status, body = ctl.api("GET", "/telemetry?node=pod01-n127&step=5")
    assert status == 200, body
    assert body["node"] == "pod01-n127" and body["step_s"] == 5
    pts = wait_for("stored samples", lambda: ctl.api(
        "GET", "/telemetry?node=pod01-n127&step=5")[1]["points"])
    assert pts[-1]["power_w"] > 1000 and pts[-1]["inlet_c"] > 0, pts
    for bad, want, word in (("node=pod01-n999", 404, "pod01-n999"),
                            ("", 400, "node"),
                            ("node=pod01-n001&step=0", 400, "step"),
                            ("node=pod01-n001&from=yesterday", 400, "from")):
        status, body = ctl.api("GET", "/telemetry?" + bad)
        assert status == want and word in body["error"]["message"], \
            (bad, status, body)
        assert body["error"]["code"] == ("not_found" if want == 404
                                         else "bad_request"), body


def test_agent_metrics_for_prometheus():
    agent = agents["pod01-n127"]
    url = wait_for("the agent's metrics address", agent.metrics_url)
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    p = subprocess.run(["promtool", "check", "metrics"], input=text,
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stdout + p.stderr
    clocks = re.findall(r'^pod_accelerator_clock_hertz\{node="pod01-n127",'
                        r'accelerator="\d"\} (\S+)$', text, re.M)
    assert len(clocks) == 8 and all(float(c) > 1e8 for c in clocks), text
    assert 'pod_agent_controller_up{node="pod01-n127"} 1' in text, text


def test_drain_and_resume():
    rc, out, err = podctl(ctl.url, "node", "drain", "pod01-n005",
                          "--reason", "fan swap")
    assert rc == 0, err
    n = node("pod01-n005")
    assert n["state"] == "drained" and n["reason"] == "fan swap", n
    assert n["drained_by"] and n["drained_at"]
    rc, out, err = podctl(ctl.url, "nodes", "--state", "drained")
    assert rc == 0, err
    assert [line.split()[0] for line in out.splitlines()
            if "pod01-n" in line] == ["pod01-n005"], out
    assert "fan swap" in out, out
    rc, out, err = podctl(ctl.url, "node", "resume", "pod01-n005")
    assert rc == 0, err
    assert node("pod01-n005")["state"] == "idle"
    rc, _, err = podctl(ctl.url, "node", "resume", "pod01-n005")
    assert rc != 0 and "not drained" in err, err


def test_agent_stop_goes_down_and_comes_back():
    agents["pod01-n128"].stop()
    wait_for("pod01-n128 down", lambda: node("pod01-n128")["state"] == "down",
             timeout=3 + 3)
    assert node("pod01-n128")["reason"] == "Not responding"
    assert node("pod01-n128")["power_w"] is None
    agents["pod01-n128"].start()
    wait_for("pod01-n128 back", lambda: node("pod01-n128")["state"] == "idle",
             timeout=10)


def test_restart_keeps_inventory_and_drains():
    rc, _, err = podctl(ctl.url, "node", "drain", "pod01-n006", "--reason",
                        "leak check")
    assert rc == 0, err
    before = node("pod01-n006")
    fleet.stop()
    for a in agents.values():
        a.stop()
    ctl.restart()
    after = node("pod01-n006")
    # nothing reports now: the node is down, but what the store holds stays
    assert after["state"] == "down" and after["drained"] is True
    assert after["reason"] == "leak check"
    assert after["drained_by"] == before["drained_by"]
    assert after["drained_at"] == before["drained_at"]
    assert after["last_seen"] is not None
    assert [a["model"] for a in after["accelerators"]] == \
        [a["model"] for a in before["accelerators"]]
    assert after["accelerators"][0]["power_w"] is None
    _, nodes = ctl.api("GET", "/nodes")
    assert len(nodes["nodes"]) == 128
    # live values return with the next reports
    fleet.start()
    for a in agents.values():
        a.start()
    wait_for("128 nodes up again", lambda: nodes_up() == 128, timeout=30)
    wait_for("live values", lambda: node("pod01-n006")["accelerators"][0][
        "power_w"] is not None)
    assert node("pod01-n006")["state"] == "drained"


def test_clean_stop():
    for a in agents.values():
        assert a.stop(signal.SIGINT) == 0
    assert fleet.stop(signal.SIGINT) == 0
    assert ctl.stop(signal.SIGINT) == 0
    assert "stopping" in ctl.log()


try:
    run([test_all_128_nodes_report, test_physics_is_plausible,
         test_status_screen, test_pods_and_nodes_tables,
         test_json_output_is_the_rest_json, test_node_show_real_agent,
         test_telemetry_history, test_agent_metrics_for_prometheus,
         test_drain_and_resume, test_agent_stop_goes_down_and_comes_back,
         test_restart_keeps_inventory_and_drains, test_clean_stop])
finally:
    for a in agents.values():
        a.stop()
    fleet.stop()
    ctl.stop()
    tmp.cleanup()
