"""Several power plugins on one node, staleness and `pod-agentd --probe`,
in a real pod-agentd without hardware: [power] the simulation (two
accelerators and a node device), [power gpu] NVML against the stand-in
library the unit tests build (two GPUs), [power cpu] RAPL on a fake powercap
tree, [cooling] the simulated loop, reporting to podtest's fake controller.
It checks what pod-agentd(8) and docs/plugins.md promise: four accelerators
in the reports, the simulation's first, then the GPUs; the node's power from
the node device; the CPU package and its memory on the agent's /metrics; a
device that stops reading (its counter made unreadable) is said stale once,
counted in pod_agent_devices_stale, its values gone from /metrics, while the
others read on time, and said back once; and --probe listing every plugin's
devices with what they report and control, as a table and as JSON, exiting
1 when one plugin cannot load."""

import json
import os
import subprocess

from fakehw import Burner, put, rapl_tree
from podtest import (BUILD, Daemon, FakeController, TempDir, binary, metrics,
                     metrics_url, run, wait_for)

NODE = "pod01-n001"
INTERVAL_MS = 200
MAX_GAP_MS = 2000  # no tick of a 200 ms loop comes later than this
STANDIN = os.path.join(BUILD, "tests", "nvml-standin", "libnvidia-ml.so.1")

CTL = FakeController(NODE)
TMP = TempDir("agentplugins")


def agent_conf(name, root, extra=""):
    state = os.path.join(TMP.path, name + "-state")
    os.makedirs(state, exist_ok=True)
    return TMP.file(name + ".conf", (
        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
        "interval_ms = %d\nmetrics_listen = 127.0.0.1:0\n"
        "[power]\nplugin = sim\naccels = 2\n"
        "[power gpu]\nplugin = nvml\nlibrary = %s\n"
        "[power cpu]\nplugin = rapl\nroot = %s\n"
        "[cooling]\nplugin = sim\n%s")
        % (CTL.url, NODE, state, INTERVAL_MS, STANDIN, root, extra))


def gpu_env():
    state = TMP.file("gpus", "gpus 2\npower_mw.0 250000\n"
                     "power_mw.1 260000\n")
    return {"NVML_STANDIN_STATE": state,
            "NVML_STANDIN_LOG": TMP.file("nvml-applied", "")}


def samples_on_time(samples):
    assert len(samples) >= 5, [(s["seq"], s["t_ms"]) for s in samples]
    for a, b in zip(samples, samples[1:]):
        assert b["seq"] == a["seq"] + 1, (a["seq"], b["seq"])
        gap = b["t_ms"] - a["t_ms"]
        assert 0 < gap < MAX_GAP_MS, ("late sample", a["seq"], b["seq"], gap)


def device_series(m, family):
    """{device: value} of one pod_device_* family on an agent's page."""
    out = {}
    for key, v in m.items():
        if key.startswith(family + "{"):
            labels = dict(kv.split("=", 1) for kv in
                          key[len(family) + 1:-1].split(","))
            out[labels["device"].strip('"')] = (v, labels)
    return out


def test_three_power_plugins_and_a_stale_device():
    assert os.path.exists(STANDIN), "build the unit tests first: " + STANDIN
    CTL.clear()
    root = os.path.join(TMP.path, "powercap")
    pkg, dram = rapl_tree(root)
    burn = Burner(os.path.join(pkg, "energy_uj"), 80.0)
    a = Daemon("agent", [binary("pod-agentd"), "-c", agent_conf("a", root)],
               TMP, env=gpu_env()).start()
    try:
        s = wait_for("four accelerators in a report", lambda: (
            CTL.last_sample() is not None and
            len(CTL.last_sample().get("accels") or []) == 4 and
            all(x is not None for x in CTL.last_sample()["accels"]) and
            CTL.last_sample()), timeout=20, interval=0.05)
        inv = CTL.last()["inventory"]
        assert inv["power_plugin"] == "sim,nvml,rapl", inv
        models = [x["model"] for x in inv["accelerators"]]
        assert models[:2] == ["SIM-X700"] * 2, models
        assert models[2].startswith("NVIDIA Stand-in"), models
        assert [x["power_w"] for x in s["accels"][2:]] == [250, 260], s
        # The node's power is the simulation's node device: more than
        # its two accelerators, and not the GPUs' or the CPU's added.
        sim_w = s["accels"][0]["power_w"] + s["accels"][1]["power_w"]
        assert sim_w < s["power_w"] < sim_w + 2000, s

        url = wait_for("the agent's metrics address",
                       lambda: metrics_url(a))
        dev = wait_for("the CPU package at about 80 W on /metrics", lambda: (
            lambda d: "cpu0" in d and 60 <= d["cpu0"][0] <= 100 and d)(
                device_series(metrics(url), "pod_device_power_watts")))
        assert dev["cpu0"][1]["domain"] == '"cpu"', dev
        assert dev["cpu0"][1]["plugin"] == '"rapl"', dev
        assert dev["dram0"][1]["domain"] == '"mem"', dev
        assert "node" in dev and dev["node"][1]["plugin"] == '"sim"', dev
        assert metrics(url)[
            'pod_agent_devices_stale{node="%s"}' % NODE] == 0

        # The DRAM's counter becomes unreadable: said stale once, counted,
        # its series gone; the others read on, on time.
        cnt = os.path.join(dram, "energy_uj")
        os.unlink(cnt)
        os.mkdir(cnt)
        a.wait_log(r"dram0: no fresh reading .* reported unknown")
        wait_for("one stale device on /metrics", lambda: metrics(url)[
            'pod_agent_devices_stale{node="%s"}' % NODE] == 1)
        assert "dram0" not in device_series(
            metrics(url), "pod_device_power_watts")
        seq = CTL.last_sample()["seq"]
        wait_for("15 more samples",
                 lambda: CTL.last_sample()["seq"] >= seq + 15)
        assert len(a.log_lines("dram0: no fresh reading")) == 1, a.log()
        last = CTL.last_sample()
        assert [x["power_w"] for x in last["accels"][2:]] == [250, 260]
        samples_on_time(CTL.samples(CTL.last()["boot_id"])[-30:])

        # Readable again: said once, no longer counted.
        os.rmdir(cnt)
        put(cnt, "0")
        a.wait_log(r"dram0: readings again after")
        wait_for("no stale device on /metrics", lambda: metrics(url)[
            'pod_agent_devices_stale{node="%s"}' % NODE] == 0)
        assert len(a.log_lines("dram0: readings again")) == 1, a.log()
    except BaseException:
        print(a.log()[-4000:])
        raise
    finally:
        burn.stop()
        a.stop()


def probe(conf, *opt):
    env = dict(os.environ, **gpu_env())
    return subprocess.run([binary("pod-agentd"), "--probe" + "".join(opt),
                           "-c", conf], capture_output=True, text=True,
                          timeout=60, env=env)


def test_probe_lists_what_each_plugin_finds():
    root = os.path.join(TMP.path, "powercap-probe")
    rapl_tree(root)
    conf = agent_conf("probe", root)
    p = probe(conf)
    assert p.returncode == 0, p.stdout + p.stderr
    out = p.stdout
    for head in ("power/sim [power]: 3 devices",
                 "power/nvml [power gpu]: 2 devices",
                 "power/rapl [power cpu]: 2 devices",
                 "cooling/sim [cooling]: 1 device"):
        assert head in out, out
    gpu = [line for line in out.splitlines() if line.split()[:1] == ["accel1"]
           and "NVIDIA" in line]
    assert len(gpu) == 1 and "250.0 W" not in gpu[0] and "260.0 W" in gpu[0] \
        and "clock" in gpu[0] and "power limit" in gpu[0], out
    assert "no reading" not in out, out

    p = probe(conf, "=json")
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(p.stdout)
    by = {x["section"]: x for x in doc["plugins"]}
    assert sorted(by) == ["cooling", "power", "power cpu", "power gpu"], by
    cpu = {d["name"]: d for d in by["power cpu"]["devices"]}
    assert cpu["cpu0"]["domain"] == "cpu" and cpu["dram0"]["domain"] == "mem"
    assert "energy_j" in cpu["cpu0"]["reports"], cpu
    gpus = by["power gpu"]["devices"]
    assert gpus[0]["reading"]["power_w"] == 250, gpus[0]
    assert set(gpus[0]["controls"]) == {"clock_mhz", "power_limit_w"}, gpus
    loop = by["cooling"]["devices"][0]
    assert loop["reading"]["leak"] is False and "flow_lpm" in loop["reading"]

    # A plugin that is not there: the others are still listed, exit 1.
    bad = agent_conf("probe-bad", root, "[power bmc]\nplugin = nosuch\n")
    p = probe(bad)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "power/nosuch [power bmc]: FAILED" in p.stdout, p.stdout
    assert "power/nvml [power gpu]: 2 devices" in p.stdout, p.stdout


if __name__ == "__main__":
    try:
        run([test_three_power_plugins_and_a_stale_device,
             test_probe_lists_what_each_plugin_finds])
    finally:
        CTL.stop()
        TMP.cleanup()
