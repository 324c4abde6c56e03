"""The power/command plugin in a real pod-agentd, with fake_smi.py standing
in for a vendor's management tool (it prints JSON from a state file the test
writes, and can hang, print garbage or fail) and podtest's fake controller
receiving the reports, as in test_cdu_plugin.py. It checks what
docs/plugins.md ("power/command") promises: the tool's values in the
reports as the tool prints them; the agent's clock caps reaching the tool's
set command (performance at start, powersave from the controller's desired
state); a tool that hangs is killed at timeout_ms, said once, its values
reported absent once stale_ms has passed, while the agent samples on time;
garbage said once; recovery said once; and no child of the agent left a
zombie. The agent's bad keys are refused with file:line."""

import json
import os
import re
import subprocess
import time

from podtest import (Daemon, FakeController, TempDir, binary, run, wait_for)

NODE = "pod01-n001"
INTERVAL_MS = 200
HERE = os.path.dirname(os.path.abspath(__file__))
FAKE_SMI = os.path.join(HERE, "fake_smi.py")
TIMEOUT_MS = 600
STALE_MS = 1500
MAX_GAP_MS = 2000  # no tick later than this after the one before
F_MIN, F_MAX = 600, 1980
DEVICES = [{"index": 0, "power_w": 250.5, "temp_c": 45, "clock_mhz": 1410,
            "util_pct": 40, "mem_used_mib": 1024},
           {"index": 1, "power_w": 300.0, "temp_c": 50, "clock_mhz": 1300,
            "util_pct": 90, "mem_used_mib": 2048}]

CTL = FakeController(NODE)
TMP = TempDir("command")
STATE = TMP.file("smi")
os.makedirs(STATE, exist_ok=True)


def put(name, text):
    with open(os.path.join(STATE, name), "w") as f:
        f.write(text)


def sets():
    try:
        with open(os.path.join(STATE, "sets.log")) as f:
            return f.read().splitlines()
    except OSError:
        return []


def smi(*args):
    return "/usr/bin/python3 %s --state %s %s" % (FAKE_SMI, STATE,
                                                  " ".join(args))


KEYS = [("command", smi("--format json query")), ("format", "json"),
        ("json_devices", "data.gpus"), ("field.index", "index"),
        ("field.power_w", "power_draw"),
        ("field.temp_c", "temperature.gpu"),
        ("field.clock_mhz", "clocks.sm"), ("field.util_pct", "util"),
        ("field.mem_used_mib", "memory_used_mib"),
        ("period_ms", "200"), ("timeout_ms", str(TIMEOUT_MS)),
        ("stale_ms", str(STALE_MS)),
        ("set_clock", smi("set-clock {index} {mhz}")),
        ("clock_min_mhz", str(F_MIN)), ("clock_max_mhz", str(F_MAX))]


class CommandAgent(Daemon):
    """pod-agentd on power/command with `keys` and cooling/sim."""

    def __init__(self, name, keys):
        state = os.path.join(TMP.path, name + "-state")
        os.makedirs(state, exist_ok=True)
        self.conf = TMP.file(
            name + ".conf",
            "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
            "interval_ms = %d\n[power]\nplugin = command\n%s"
            "[cooling]\nplugin = sim\n"
            % (CTL.url, NODE, state, INTERVAL_MS,
               "".join("%s = %s\n" % kv for kv in keys)))
        super().__init__(name, [binary("pod-agentd"), "-c", self.conf], TMP)


def accels_are(sample, devices):
    """The sample's accelerators carry the devices' values."""
    accels = (sample or {}).get("accels") or []
    if len(accels) != len(devices):
        return False
    for a, d in zip(accels, devices):
        if not a:
            return False
        for k in ("power_w", "temp_c", "clock_mhz", "util_pct",
                  "mem_used_mib"):
            if a.get(k) is None or abs(a[k] - d[k]) > 0.51:
                return False
    return True


def absent(sample):
    """Nothing of any accelerator in the sample (not some old value)."""
    return all(not a or all(a.get(k) is None for k in
                            ("power_w", "temp_c", "clock_mhz", "util_pct"))
               for a in sample.get("accels") or [])


def zombies(pid):
    """The agent's children that are zombies now."""
    found = set()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                rest = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(rest[1]) == pid and rest[0] == "Z":
            found.add(int(entry))
    return found


def no_lasting_zombie(pid):
    """A child may be a zombie for the instant before it is reaped; one
    that stays one is a leak: each zombie seen now must be reaped soon."""
    first = zombies(pid)
    wait_for("the agent's zombies %s reaped" % sorted(first),
             lambda: not (first & zombies(pid)), timeout=5, interval=0.05)


def assert_on_time(samples):
    assert len(samples) >= 5, [(s["seq"], s["t_ms"]) for s in samples]
    for a, b in zip(samples, samples[1:]):
        assert b["seq"] == a["seq"] + 1, (a["seq"], b["seq"])
        gap = b["t_ms"] - a["t_ms"]
        assert 0 < gap < MAX_GAP_MS, ("late sample", a["seq"], b["seq"], gap)


def hung_gone():
    """fake_smi.py's hung runs and their children are gone."""
    try:
        with open(os.path.join(STATE, "hung.pids")) as f:
            pids = [int(p) for p in f.read().split()]
    except OSError:
        return True
    for p in pids:
        try:
            with open("/proc/%d/stat" % p) as f:
                if f.read().rsplit(")", 1)[1].split()[0] != "Z":
                    return False
        except OSError:
            pass
    return True


def test_values_caps_hang_garbage():
    CTL.reset()
    put("devices.json", json.dumps(DEVICES))
    put("mode", "normal")
    put("sets.log", "")
    a = CommandAgent("main", KEYS).start()
    try:
        wait_for("the tool's values in a report",
                 lambda: accels_are(CTL.last_sample(), DEVICES), timeout=20,
                 interval=0.05)
        assert CTL.last()["inventory"]["power_plugin"] == "command", \
            CTL.last()["inventory"]
        # The agent's clock caps reach the tool: f_max at start (no
        # policy yet), f_min under powersave.
        wait_for("f_max applied through set_clock",
                 lambda: {"clock 0 %d" % F_MAX, "clock 1 %d" % F_MAX}
                 <= set(sets()))
        CTL.set(power={"policy": "powersave", "cap_w": None})
        wait_for("powersave's f_min applied through set_clock",
                 lambda: {"clock 0 %d" % F_MIN, "clock 1 %d" % F_MIN}
                 <= set(sets()))
        # A new value as the tool prints it.
        changed = [dict(DEVICES[0], power_w=199.0), DEVICES[1]]
        put("devices.json", json.dumps(changed))
        wait_for("a new value", lambda: accels_are(CTL.last_sample(),
                                                   changed), interval=0.05)

        # The tool hangs: killed at timeout_ms, said once, values absent
        # once stale, the agent on time throughout.
        boot = CTL.last()["boot_id"]
        put("mode", "hang")
        hung_ms = time.time() * 1000
        a.wait_log(r"fake_smi\.py: timed out after %d ms" % TIMEOUT_MS)
        stale_ms = hung_ms + STALE_MS + INTERVAL_MS + 300
        wait_for("samples well past stale_ms",
                 lambda: CTL.last_sample()["t_ms"] > stale_ms + 2000,
                 timeout=20)
        late = [s for s in CTL.samples(boot) if s["t_ms"] > stale_ms]
        assert len(late) >= 5 and all(absent(s) for s in late), late
        assert len(a.log_lines("timed out after")) == 1, a.log()
        no_lasting_zombie(a.proc.pid)
        wait_for("the hung tool's process group gone", hung_gone)

        put("mode", "normal")
        wait_for("values back", lambda: accels_are(CTL.last_sample(),
                                                   changed), interval=0.05)
        a.wait_log(r"fake_smi\.py: readings again")

        # Garbage: said once, and its end once.
        put("mode", "garbage")
        a.wait_log(r"fake_smi\.py: output is not JSON")
        n = CTL.last_sample()["seq"]
        wait_for("more samples", lambda: CTL.last_sample()["seq"] >= n + 5)
        assert len(a.log_lines("output is not JSON")) == 1, a.log()
        put("mode", "normal")
        a.wait_log(r"fake_smi\.py: readings again", count=2)
        wait_for("values back", lambda: accels_are(CTL.last_sample(),
                                                   changed), interval=0.05)
        assert_on_time(CTL.samples(boot))
        no_lasting_zombie(a.proc.pid)
        # The agent reaps its job shepherds with waitpid(-1): it must not
        # reap the plugin's children and steal their exit status.
        assert not a.log_lines(r"status unknown|set_clock .* failed"), \
            a.log()
    except BaseException:
        print(a.log()[-4000:])
        raise
    finally:
        CTL.set(jobs=[], power=None)
        a.stop()


def refused(name, keys, want):
    """The agent must refuse to start, saying `want` (a regex)."""
    a = CommandAgent(name, keys).start()
    try:
        a.proc.wait(10)
    except subprocess.TimeoutExpired:
        a.stop()
        raise AssertionError("%s: the agent started" % name)
    rc = a.stop()
    assert rc != 0, (name, rc)
    assert re.search(want, a.log()), (name, want, a.log())


def test_bad_keys_refused():
    conf = os.path.join(TMP.path, "%s.conf")
    refused("badkey", KEYS + [("speed", "fast")],
            re.escape(conf % "badkey") + r":\d+: speed: unknown key")
    refused("badset", [kv for kv in KEYS if kv[0] != "set_clock"] +
            [("set_clock", "smi -i {index}")],
            re.escape(conf % "badset") + r":\d+: set_clock: no \{mhz\}")
    refused("notool", [("command", "/no/such/vendor-smi -q")] + KEYS[1:],
            r"vendor-smi: finding the devices: cannot run "
            r"/no/such/vendor-smi: No such file or directory")


if __name__ == "__main__":
    try:
        run([test_values_caps_hang_garbage, test_bad_keys_refused])
    finally:
        TMP.cleanup()
