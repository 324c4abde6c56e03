"""Power on a real pod-agentd, driven by podtest's fake controller (as
test_agent_jobs.py is): an http.server on 127.0.0.1:0 that answers
/api/v1/agents/NODE/report with a desired state the test sets, keeps every
report, and can play dead (503). It checks what docs/agent-protocol.md
("Power: DVFS policy, caps and the safety guard") promises: a policy's
clocks in the report and in the samples, a cap_w below the draw held by
feedback, a leak throttling every accelerator in the sample that shows it,
with or without the controller, and the fallback cap once the controller
has been silent for fallback_after_s; and the same code on pod-fleetsim's
nodes, where a memory-bound job gets a lower clock under `energy`."""

import math
import os
import pwd
import re
import signal
import time

from podtest import (Daemon, FakeController, TempDir, binary, log_time,
                     metrics, metrics_url, run, wait_for)

NODE = "pod01-n001"
F_MIN, F_MAX = 600, 1980
ALL = list(range(8))


def busy_job(id, accels=ALL, command=("sleep", "600")):
    return {"id": id, "attempt": 1, "name": "load%d" % id,
            "command": list(command), "nnodes": 1, "node_rank": 0,
            "nodelist": NODE, "accelerators": list(accels),
            "time_limit_s": 0, "kill_grace_s": 1, "cancel": False,
            "user": pwd.getpwuid(os.getuid()).pw_name}


CTL = FakeController()
TMP = TempDir("agent-power")


class PowerAgent(Daemon):
    def __init__(self, name, cooling_extra="", interval_ms=200):
        conf = TMP.file(name + ".conf",
                        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                        "interval_ms = %d\nmetrics_listen = 127.0.0.1:0\n"
                        "[jobs]\nallow_root = true\n"
                        "[power]\nplugin = sim\n"
                        "[cooling]\nplugin = sim\n%s"
                        % (CTL.url, NODE, TMP.file(name + "-state"),
                           interval_ms, cooling_extra))
        super().__init__(name, [binary("pod-agentd"), "-c", conf], TMP)


def with_agent(cooling_extra=""):
    """Runs fn(agent) on a fresh agent against a fresh fake controller;
    the controller comes back and the jobs go at the end, whatever
    happens."""
    def wrap(fn):
        def wrapper():
            CTL.reset()
            a = PowerAgent(fn.__name__, cooling_extra).start()
            try:
                fn(a)
            finally:
                CTL.set_down(False)
                CTL.set(jobs=[], power=None)
                a.stop()
                kill_jobs()
        wrapper.__name__ = fn.__name__
        return wrapper
    return wrap


def kill_jobs():
    """Jobs outlive their agents by design: end the ones reported."""
    for pid in CTL.pids():
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass


def clocks(sample):
    return [a["clock_mhz"] for a in sample["accels"]]


def agent_metric(a, key):
    """One value of the agent's own /metrics, e.g.
    'pod_node_power_watts{node="pod01-n001"}'; None when absent."""
    url = wait_for("the agent's metrics address", lambda: metrics_url(a))
    return metrics(url).get(key)


def buffered(a):
    """Samples the agent holds that no controller acknowledged."""
    return agent_metric(a, 'pod_agent_samples_buffered{node="%s"}' % NODE)


@with_agent()
def test_powersave_clocks(a):
    CTL.set(power={"policy": "powersave", "cap_w": None})

    def applied():
        rep = CTL.last()
        p = rep and rep.get("power")
        return p if p and p["policy"] == "powersave" \
            and p["clock_caps_mhz"] == [F_MIN] * 8 else None
    p = wait_for("powersave caps at f_min", applied)
    assert p["limiting"] is False and p["fallback"] is False, p
    assert p["cap_w"] is None, p
    assert p["guard"] == {"leak": False, "overtemp": [], "lowflow": False}, p
    wait_for("samples at f_min",
             lambda: clocks(CTL.last()["samples"][-1]) == [F_MIN] * 8)
    CTL.set(power={"policy": "performance"})
    wait_for("performance caps at f_max",
             lambda: CTL.last()["power"]["clock_caps_mhz"] == [F_MAX] * 8)


@with_agent()
def test_cap_below_draw_converges(a):
    CTL.set(jobs=[busy_job(1)])
    wait_for("a busy node",
             lambda: CTL.last()["samples"][-1]["power_w"] > 6000)
    cap = 4000.0
    n = CTL.count()
    CTL.set(power={"policy": "performance", "cap_w": cap})

    def held():
        samples = [s for r in CTL.since(n) for s in r["samples"]]
        tail = samples[-10:]
        if len(tail) < 10 or not all(s["power_w"] <= cap * 1.02
                                     for s in tail):
            return None
        return tail
    tail = wait_for("node power under the cap", held, timeout=20)
    p = CTL.last()["power"]
    assert p["limiting"] is True and p["cap_w"] == cap, p
    assert all(s["power_w"] > cap * 0.95 for s in tail), \
        [s["power_w"] for s in tail]
    assert F_MIN < min(p["clock_caps_mhz"]) < F_MAX, p


@with_agent("fault = leak@2\n")
def test_leak_throttles_in_its_sample(a):
    def leak_sample():
        for r in CTL.since(0):
            for s in r["samples"]:
                if s["loop"] and s["loop"]["leak"]:
                    return s
        return None
    s = wait_for("a sample with the leak", leak_sample)
    assert clocks(s) == [F_MIN] * 8, clocks(s)

    def guarded():
        p = CTL.last().get("power")
        return p if p and p["guard"]["leak"] else None
    p = wait_for("guard.leak reported", guarded)
    assert p["clock_caps_mhz"] == [F_MIN] * 8, p
    assert re.search(r"guard: leak on the coolant loop", a.log()), a.log()


def wet(samples):
    return [s for s in samples if s["loop"] and s["loop"]["leak"]]


@with_agent("fault = leak@3\n")
def test_leak_without_controller(a):
    wait_for("a first report", lambda: CTL.count() > 0)
    CTL.set_down(True)
    got = CTL.samples_since(0)
    assert got and not wet(got), "the leak came before the controller left"
    answered = got[-1]["seq"]
    # The leak comes while nobody answers: the agent says so itself, and
    # a few samples later the controller comes back.
    a.wait_log(r"guard: leak on the coolant loop")
    held = buffered(a)
    wait_for("three more samples taken", lambda: buffered(a) >= held + 3)
    assert agent_metric(a, 'pod_agent_guard{node="%s",condition="leak"}'
                        % NODE) == 1
    n = CTL.count()
    CTL.set_down(False)
    wait_for("the agent back", lambda: CTL.count() > n, timeout=40)
    # every sample comes in, the ones taken in the silence too
    wait_for("the silent samples delivered", lambda: len(
        wet(CTL.samples_since(n))) >= 4)
    samples = CTL.samples_since(0)
    assert [s["seq"] for s in samples] == list(range(1, len(samples) + 1)), \
        [s["seq"] for s in samples]
    drops = wet(samples)
    assert drops[0]["seq"] > answered, (drops[0]["seq"], answered)
    assert all(clocks(s) == [F_MIN] * 8 for s in drops), \
        [clocks(s) for s in drops[:3]]
    wait_for("guard.leak reported", lambda: CTL.last()["power"]["guard"][
        "leak"] is True)


@with_agent()
def test_fallback_when_controller_gone(a):
    CTL.set(jobs=[busy_job(2)],
            power={"policy": "performance", "cap_w": 6500.0,
                   "fallback_cap_w": 3000.0, "fallback_after_s": 2})
    wait_for("cap_w applied", lambda: (CTL.last().get("power") or {})
             .get("cap_w") == 6500.0)
    wait_for("a busy node",
             lambda: CTL.last()["samples"][-1]["power_w"] > 5500)
    CTL.set_down(True)
    answered = CTL.answered_wall
    line = a.wait_log(r"fallback cap 3000 W in force")
    # not before fallback_after_s of silence; the log's clock shows whole
    # milliseconds, so the answer's time is cut the same way, and the
    # agent counts the silence in whole milliseconds of its monotonic
    # clock, which can make it up to 1 ms short on the wall clock
    assert log_time(line) - math.floor(answered * 1000) / 1000 >= 1.998, \
        (line, answered)
    # held while nobody answers: the agent's own metrics show it
    cap_key = 'pod_agent_node_cap_watts{node="%s"}' % NODE
    power_key = 'pod_node_power_watts{node="%s"}' % NODE
    assert agent_metric(a, cap_key) == 3000.0
    wait_for("the node under the fallback cap",
             lambda: agent_metric(a, power_key) <= 3000 * 1.02)
    held_ms = time.time() * 1000
    count = buffered(a)
    wait_for("five more samples in the silence",
             lambda: buffered(a) >= count + 5)
    n = CTL.count()
    back_ms = time.time() * 1000
    CTL.set_down(False)
    wait_for("the agent back", lambda: CTL.count() > n, timeout=40)
    back = CTL.since(n)[0]
    # Built before the controller answered: still on the fallback.
    assert back["power"]["fallback"] is True, back["power"]
    assert back["power"]["cap_w"] == 3000.0, back["power"]
    wait_for("the silent samples delivered", lambda: CTL.samples_since(n)[
        -1]["t_ms"] > back_ms)
    held = [s for s in CTL.samples_since(n)
            if held_ms <= s["t_ms"] < back_ms]
    assert len(held) >= 5 and all(s["power_w"] <= 3000 * 1.02
                                  for s in held), \
        [s["power_w"] for s in held]
    wait_for("the fallback lifted", lambda: CTL.last()["power"]["fallback"]
             is False and CTL.last()["power"]["cap_w"] == 6500.0)
    a.wait_log(r"fallback cap lifted")


@with_agent()
def test_bad_power_refused(a):
    CTL.set(power={"policy": "powersave"})
    wait_for("powersave applied", lambda: (CTL.last().get("power") or {})
             .get("policy") == "powersave")
    CTL.set(power={"policy": "turbo"})
    a.wait_log(r"power settings refused: .*policy.*; keeping powersave")
    # said once, not at every reply; the old settings stay
    n = CTL.count()
    wait_for("three more replies", lambda: CTL.count() >= n + 3)
    assert len(a.log_lines("power settings refused")) == 1, a.log()
    p = CTL.last()["power"]
    assert p["policy"] == "powersave" and \
        p["clock_caps_mhz"] == [F_MIN] * 8, p
    assert a.alive()


def test_fleetsim_energy_membound():
    CTL.reset()
    f = Daemon("fleetsim", [binary("pod-fleetsim"), "--server", CTL.url,
                            "--pods", "1", "--nodes-per-pod", "1",
                            "--interval-ms", "200", "--load", "0"], TMP)
    f.start()
    try:
        CTL.set(jobs=[busy_job(31, [0], ("python3", "train.py")),
                      busy_job(32, [1], ("stream_mem", "--size", "80G"))],
                power={"policy": "energy",
                       "params": {"slowdown_pct": 5}})

        def chosen():
            p = (CTL.last() or {}).get("power")
            if not p or p["policy"] != "energy":
                return None
            c = p["clock_caps_mhz"]
            return c if c[1] < c[0] < F_MAX and c[2] == F_MIN else None
        c = wait_for("energy clocks", chosen, timeout=20)
        assert c[1] > F_MIN, c
    finally:
        CTL.set(jobs=[], power=None)
        assert f.stop() == 0, f.log()


def main():
    try:
        run([test_powersave_clocks,
             test_cap_below_draw_converges,
             test_leak_throttles_in_its_sample,
             test_leak_without_controller,
             test_fallback_when_controller_gone,
             test_bad_power_refused,
             test_fleetsim_energy_membound])
    finally:
        CTL.stop()
        TMP.cleanup()


if __name__ == "__main__":
    main()
