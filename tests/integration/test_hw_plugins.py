"""The hardware power plugins in a real pod-agentd, without the hardware:
power/nvml against the stand-in libnvidia-ml.so.1 the unit tests build
(tests/unit/nvml_standin.c, driven by a state file), power/rapl on a fake
powercap tree. podtest's fake controller receives the agent's reports, as in
test_cdu_plugin.py. It checks what docs/plugins.md promises: the GPUs'
readings and inventory in the reports, a GPU that falls off the bus reported
absent while the others read, said once, and back when it returns; a
missing NVML library refused at `pod-agentd -n` with the clear message;
RAPL's energy turned into node power; an unreadable counter and a host
without RAPL that leave the agent sampling, each said once. Throughout, the
agent samples and reports on time."""

import os
import re
import subprocess

from fakehw import Burner, put, rapl_tree
from podtest import (BUILD, Daemon, FakeController, TempDir, binary, run,
                     wait_for)

NODE = "pod01-n001"
INTERVAL_MS = 200
MAX_GAP_MS = 2000  # no tick of a 200 ms loop comes later than this
STANDIN = os.path.join(BUILD, "tests", "nvml-standin", "libnvidia-ml.so.1")

CTL = FakeController(NODE)
TMP = TempDir("hw")


class HwAgent(Daemon):
    """pod-agentd with [power] plugin = `plugin` and its keys."""

    def __init__(self, name, plugin, keys, env=None):
        state = os.path.join(TMP.path, name + "-state")
        os.makedirs(state, exist_ok=True)
        self.conf = TMP.file(
            name + ".conf",
            "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
            "interval_ms = %d\n[power]\nplugin = %s\n%s"
            % (CTL.url, NODE, state, INTERVAL_MS, plugin,
               "".join("%s = %s\n" % kv for kv in keys)))
        super().__init__(name, [binary("pod-agentd"), "-c", self.conf], TMP,
                         env=env)


def assert_on_time(samples):
    """Consecutive samples of one boot, none late."""
    assert len(samples) >= 5, [(s["seq"], s["t_ms"]) for s in samples]
    for a, b in zip(samples, samples[1:]):
        assert b["seq"] == a["seq"] + 1, (a["seq"], b["seq"])
        gap = b["t_ms"] - a["t_ms"]
        assert 0 < gap < MAX_GAP_MS, ("late sample", a["seq"], b["seq"], gap)


def wait_sample(what, pred, timeout=20.0):
    return wait_for(what, lambda: (CTL.last_sample() is not None and
                                   pred(CTL.last_sample()) and
                                   CTL.last_sample()), timeout=timeout,
                    interval=0.05)


def wait_more_samples(n):
    seq = CTL.last_sample()["seq"]
    wait_for("%d more samples" % n,
             lambda: CTL.last_sample()["seq"] >= seq + n)


# ---- power/nvml -----------------------------------------------------------

def nvml_state(path, lines):
    with open(path, "w") as f:
        f.write(lines)


def gpus_read(s, powers):
    """The sample's accelerators carry exactly these powers (None: the
    accelerator is absent, all its values unknown)."""
    acc = s.get("accels") or []
    if len(acc) != len(powers):
        return False
    for a, p in zip(acc, powers):
        if p is None:
            if a is not None:
                return False
        elif a is None or a.get("power_w") != p:
            return False
    return True


def test_nvml_readings_and_lost_gpu():
    assert os.path.exists(STANDIN), "build the unit tests first: " + STANDIN
    CTL.clear()
    state = TMP.file("gpus")
    nvml_state(state, "gpus 4\npower_mw.0 250000\npower_mw.1 260000\n"
               "power_mw.2 270000\npower_mw.3 280000\n")
    a = HwAgent("nvml", "nvml", [("library", STANDIN)],
                env={"NVML_STANDIN_STATE": state,
                     "NVML_STANDIN_LOG": TMP.file("nvml-applied")}).start()
    try:
        s = wait_sample("four GPUs' power in a report",
                        lambda s: gpus_read(s, [250, 260, 270, 280]))
        inv = CTL.last()["inventory"]
        assert inv["power_plugin"] == "nvml", inv
        accs = inv["accelerators"]
        assert len(accs) == 4, inv
        assert accs[1]["model"] == "NVIDIA Stand-in 1 80GB", accs[1]
        assert accs[1]["mem_total_mib"] == 81920, accs[1]
        assert accs[1]["temp_crit_c"] == 87, accs[1]
        assert s["accels"][1]["temp_c"] == 41, s["accels"][1]
        assert s["power_w"] == 1060, s
        # GPU 2 falls off the bus: absent, the others read, said once.
        nvml_state(state, "gpus 4\npower_mw.0 250000\npower_mw.1 260000\n"
                   "lost.2 1\npower_mw.3 290000\n")
        wait_sample("GPU 2 absent, the others reading",
                    lambda s: gpus_read(s, [250, 260, None, 290]))
        wait_more_samples(10)
        assert len(a.log_lines("accel2: .*GPU is lost")) == 1, a.log()
        # Back after a reset.
        nvml_state(state, "gpus 4\npower_mw.2 200000\n")
        wait_sample("GPU 2 back", lambda s: gpus_read(s, [100, 101, 200,
                                                          103]))
        a.wait_log("accel2: reads again")
        assert_on_time(CTL.samples(CTL.last()["boot_id"]))
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()


def test_nvml_library_missing_refused():
    conf = TMP.file("nolib.conf",
                    "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                    "[power]\nplugin = nvml\n"
                    "library = /nonexistent/libnvidia-ml.so.1\n"
                    % (CTL.url, NODE, TMP.path))
    p = subprocess.run([binary("pod-agentd"), "-n", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    out = p.stdout + p.stderr
    assert p.returncode != 0, out
    assert re.search(re.escape(conf) + r":7: library: "
                     r"/nonexistent/libnvidia-ml\.so\.1 not found: is the "
                     r"NVIDIA driver installed\?", out), out


# ---- power/rapl -----------------------------------------------------------

def test_rapl_power_and_unreadable_counter():
    CTL.clear()
    root = os.path.join(TMP.path, "powercap")
    pkg, dram = rapl_tree(root)
    burn = Burner(os.path.join(pkg, "energy_uj"), 150.0)
    a = HwAgent("rapl", "rapl", [("root", root)]).start()
    try:
        # Node power is the sum of the devices': about 150 W from the
        # package, 0 from the idle DRAM. The counter moves in 20 ms steps
        # under a 200 ms sample, so a sample sees 150 W within ±25 %.
        wait_sample("about 150 W from the package's energy",
                    lambda s: s.get("power_w") is not None and
                    110 <= s["power_w"] <= 190)
        burn.stop()
        # The counter made unreadable (a folder in its place: chmod does
        # not stop root): said once, the agent samples on.
        cnt = os.path.join(dram, "energy_uj")
        os.unlink(cnt)
        os.mkdir(cnt)
        a.wait_log(r"intel-rapl:0:0/energy_uj: Is a directory")
        wait_more_samples(10)
        assert len(a.log_lines("energy_uj")) == 1, a.log()
        assert_on_time(CTL.samples(CTL.last()["boot_id"]))
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        burn.stop()
        a.stop()


def test_no_rapl_agent_samples_on():
    CTL.clear()
    a = HwAgent("norapl", "rapl",
                [("root", os.path.join(TMP.path, "no-powercap"))]).start()
    try:
        wait_for("ten samples", lambda: len(CTL.samples()) >= 10)
        assert len(a.log_lines("no RAPL here")) == 1, a.log()
        assert_on_time(CTL.samples(CTL.last()["boot_id"]))
        assert all(s.get("power_w") is None for s in CTL.samples()), \
            CTL.samples()[-1]
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()


if __name__ == "__main__":
    try:
        run([test_nvml_readings_and_lost_gpu,
             test_nvml_library_missing_refused,
             test_rapl_power_and_unreadable_counter,
             test_no_rapl_agent_samples_on])
    finally:
        TMP.cleanup()
