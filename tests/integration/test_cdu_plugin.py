"""The cooling/modbus plugin in a real pod-agentd, reading a simulated CDU
(cdu_sim.py: pymodbus' datastore and request decoder, serving the generic
map's registers) over Modbus TCP on loopback and Modbus RTU through a socat
pty pair. podtest's fake controller receives the agent's reports, as in
test_agent_jobs.py. It checks what docs/cdu.md promises: the CDU's values in
the reports with the map's scaling, nodata markers as absent values, leak
bits, a CDU that stops (its values go stale, reported absent, not as new)
and comes back (values return), a CDU that accepts and never answers, a map
span the CDU refuses, and the refusals of bad keys and bad maps with
file:line. Throughout, the agent samples and reports on time: sample times
advance by the interval whatever the CDU does."""

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from podtest import (SOURCE, Daemon, FakeController, TempDir, binary, run,
                     wait_for)

NODE = "pod01-n001"
INTERVAL_MS = 200
HERE = os.path.dirname(os.path.abspath(__file__))
MAPS = os.path.join(SOURCE, "plugins", "cooling", "modbus", "maps")
# The generic CDU's values (cdu_sim.py) as the generic map decodes them.
GENERIC = {"supply_c": 30.5, "return_c": 40.2, "flow_lpm": 1234.56,
           "pressure_kpa": 150.0, "capacity_w": 250000.0, "leak": False}
# No tick of a 200 ms loop should come later than this after the one
# before, even on a loaded machine; a plugin that waited on the CDU would
# stall it by timeout_ms (HUNG_TIMEOUT_MS in the test that checks this).
MAX_GAP_MS = 2000
HUNG_TIMEOUT_MS = 4000


CTL = FakeController(NODE)
TMP = TempDir("cdu")


class CduSim:
    """cdu_sim.py as a child process, driven through its stdin."""

    def __init__(self, port=0, rtu=None, unit=1):
        argv = [sys.executable if sys.executable else "/usr/bin/python3",
                os.path.join(HERE, "cdu_sim.py"), "--unit", str(unit)]
        argv += ["--rtu", rtu] if rtu else ["--port", str(port)]
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.stop()
            raise AssertionError("cdu_sim.py did not start: %r" % line)
        self.port = int(line[1]) if len(line) > 1 else None

    def set(self, command):
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer == "ok", (command, answer)

    def stop(self):
        """Gone at once, as a CDU that loses power: connections reset."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


class CduAgent(Daemon):
    """pod-agentd on power/sim and cooling/modbus with `keys`."""

    def __init__(self, name, keys, extra_env=None):
        state = os.path.join(TMP.path, name + "-state")
        os.makedirs(state, exist_ok=True)
        self.conf = TMP.file(
            name + ".conf",
            "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
            "interval_ms = %d\n[power]\nplugin = sim\n"
            "[cooling]\nplugin = modbus\n%s"
            % (CTL.url, NODE, state, INTERVAL_MS,
               "".join("%s = %s\n" % kv for kv in keys)))
        env = {"POD_CDU_MAP_DIR": MAPS}
        env.update(extra_env or {})
        super().__init__(name, [binary("pod-agentd"), "-c", self.conf], TMP,
                         env=env)


def tcp_keys(port, **more):
    keys = [("map", "generic"), ("address", "127.0.0.1:%d" % port),
            ("poll_ms", "200"), ("timeout_ms", "500"), ("stale_ms", "2000")]
    return [(k, v) for k, v in keys if k not in more] + list(more.items())


def loop_has(sample, want):
    """True when the sample's loop carries exactly the values in want."""
    loop = (sample or {}).get("loop") or {}
    for k, v in want.items():
        got = loop.get(k)
        if isinstance(v, bool) or v is None:
            if got is not v:
                return False
        elif got is None or abs(got - v) > 1e-6:
            return False
    return True


def wait_loop(want, what, timeout=20.0):
    return wait_for(what, lambda: loop_has(CTL.last_sample(), want) and
                    CTL.last_sample(), timeout=timeout, interval=0.05)


def unknown(sample):
    """The loop's readings are absent or null (not some old value)."""
    loop = sample.get("loop")
    if loop is None:
        return True
    return all(loop.get(k) is None for k in GENERIC)


def assert_on_time(samples):
    """Consecutive samples of one boot, none late by a CDU's timeout."""
    assert len(samples) >= 5, [(s["seq"], s["t_ms"]) for s in samples]
    for a, b in zip(samples, samples[1:]):
        assert b["seq"] == a["seq"] + 1, (a["seq"], b["seq"])
        gap = b["t_ms"] - a["t_ms"]
        assert 0 < gap < MAX_GAP_MS, ("late sample", a["seq"], b["seq"],
                                      gap)


def with_agent(fn):
    """Runs fn(agent, sim) with a fresh CDU and agent, stopping both."""
    def wrapper():
        CTL.clear()
        sim = CduSim()
        agent = CduAgent(fn.__name__, tcp_keys(sim.port)).start()
        try:
            fn(agent, sim)
        except BaseException:
            print(agent.log()[-3000:])
            raise
        finally:
            agent.stop()
            sim.stop()
    wrapper.__name__ = fn.__name__
    return wrapper


@with_agent
def test_values_scaled_and_nodata(a, sim):
    s = wait_loop(GENERIC, "the generic CDU's values in a report")
    rep = CTL.last()
    assert rep["inventory"]["cooling_plugin"] == "modbus", rep["inventory"]
    assert s["loop"]["leak"] is False, s
    # A "no value" marker (0x8000) makes the supply absent at once, the
    # other readings stay.
    sim.set("ir 0 0x8000")
    wait_loop(dict(GENERIC, supply_c=None), "supply_c absent on 0x8000")
    # Negative values and the high word of the CDAB flow.
    sim.set("ir 0 0xFFEC")
    sim.set("ir 2 0x86A0 0x0001")
    wait_loop(dict(GENERIC, supply_c=-2.0, flow_lpm=1000.0),
              "negative supply and a new flow")
    # A float NaN is no value either; 300 kW as a float in ABCD is.
    sim.set("ir 6 0x7FC0 0")
    wait_loop(dict(GENERIC, supply_c=-2.0, flow_lpm=1000.0,
                   capacity_w=None), "capacity absent on NaN")
    sim.set("ir 6 0x4396 0")
    wait_loop(dict(GENERIC, supply_c=-2.0, flow_lpm=1000.0,
                   capacity_w=300000.0), "capacity 300 kW")
    assert "answering" in a.log(), a.log()


@with_agent
def test_leak_bits(a, sim):
    wait_loop(GENERIC, "the CDU's values")
    sim.set("ir 8 1")  # alarm word bit 0: leak
    wait_loop(dict(GENERIC, leak=True), "leak from the alarm word")
    sim.set("ir 8 0")
    wait_loop(GENERIC, "dry again")
    sim.set("di 0 1")  # drip-tray discrete input
    wait_loop(dict(GENERIC, leak=True), "leak from the discrete input")
    sim.set("di 0 0")
    wait_loop(GENERIC, "dry again")
    sim.set("ir 8 2")  # pump_fail: an alarm, not a leak
    wait_for("the alarm logged",
             lambda: "CDU alarm pump_fail on" in a.log())
    # the samples taken once the alarm was read: no leak in any
    n = CTL.last_sample()["seq"]
    wait_for("two samples after the alarm",
             lambda: CTL.last_sample()["seq"] >= n + 2)
    after = [s for s in CTL.samples() if s["seq"] > n]
    assert len(after) >= 2 and all(loop_has(s, GENERIC) for s in after), \
        [(s["seq"], s["loop"]) for s in after]
    sim.set("ir 8 0")
    wait_for("the alarm cleared", lambda: "CDU alarm pump_fail off"
             in a.log())


@with_agent
def test_cdu_stops_and_comes_back(a, sim):
    wait_loop(GENERIC, "the CDU's values")
    boot = CTL.last()["boot_id"]
    port = sim.port
    sim.stop()
    stopped_ms = time.time() * 1000
    # Readings older than stale_ms (2 s) must no longer be reported; a
    # poll interval and a sample interval of slack on top.
    stale_ms = stopped_ms + 2000 + 200 + INTERVAL_MS + 100
    wait_for("samples well past stale_ms",
             lambda: CTL.last_sample()["t_ms"] > stale_ms + 3000,
             timeout=30)
    late = [s for s in CTL.samples(boot) if s["t_ms"] > stale_ms]
    assert len(late) >= 10, late
    for s in late:
        assert unknown(s), ("an old reading reported as new", s)
    wait_for("the loss logged", lambda: "not answering" in a.log() and
             "reporting the loop as unknown" in a.log())
    # Back on the same port: the plugin reconnects by itself.
    sim = CduSim(port=port)
    try:
        s = wait_loop(GENERIC, "the CDU's values back", timeout=30)
        assert s["t_ms"] > stale_ms, s
        assert "readings from the CDU again" in a.log()
        assert_on_time(CTL.samples(boot))
    finally:
        sim.stop()


def test_hung_cdu_does_not_delay_reports():
    """A CDU that accepts connections and never answers."""
    CTL.clear()
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(16)
    held = []
    stop = threading.Event()

    def accept():
        lsn.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(lsn.accept()[0])
            except socket.timeout:
                pass

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    # A long timeout: a plugin that waited on it would stall every tick.
    a = CduAgent("hung", tcp_keys(lsn.getsockname()[1],
                                  timeout_ms=str(HUNG_TIMEOUT_MS))).start()
    try:
        wait_for("the agent connected", lambda: held, timeout=10)
        wait_for("a reconnect after the timeout", lambda: len(held) >= 2,
                 timeout=30)
        wait_for("the silence logged", lambda: "not answering" in a.log())
        # The reconnect can land on the very tick that ends the timeout:
        # wait for the samples to span it, then check none came late.
        wait_for("samples spanning the timeout",
                 lambda: (lambda s: s and s[-1]["t_ms"] - s[0]["t_ms"] >
                          HUNG_TIMEOUT_MS)(CTL.samples()), timeout=10)
        samples = CTL.samples()
        assert_on_time(samples)
        assert all(unknown(s) for s in samples), samples
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()
        stop.set()
        t.join()
        for s in held:
            s.close()
        lsn.close()


def test_refused_span_read_point_by_point():
    """Registers 9-10 read as one span; the CDU has no register 10."""
    CTL.clear()
    path = TMP.file("span.map",
                    "model Span test\n"
                    "return_c input 1 int16 scale=0.1\n"
                    "supply_c input 9 int16 scale=0.1\n"
                    "pressure_kpa input 10 uint16\n")
    sim = CduSim()
    a = CduAgent("span", tcp_keys(sim.port, map=path)).start()
    try:
        sim.set("ir 9 305")
        wait_loop({"supply_c": 30.5, "return_c": 40.2, "pressure_kpa": None},
                  "supply and return without the refused pressure")
        log = a.log()
        assert "reading those points one by one" in log, log
        assert "span.map" in log and "refuses input 10" in log, log
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()
        sim.stop()


def refused(name, keys, want, env=None):
    """The agent must refuse to start, saying `want` (a regex)."""
    a = CduAgent(name, keys, env).start()
    try:
        a.proc.wait(10)
    except subprocess.TimeoutExpired:
        a.stop()
        raise AssertionError("%s: the agent started" % name)
    rc = a.stop()
    assert rc != 0, (name, rc)
    assert re.search(want, a.log()), (name, want, a.log())


def test_bad_keys_and_maps_refused():
    conf = os.path.join(TMP.path, "%s.conf")
    refused("badkey", tcp_keys(1, speed="9600"),
            re.escape(conf % "badkey") + r":15: speed: unknown key")
    refused("badpoll", tcp_keys(1, poll_ms="fast"),
            re.escape(conf % "badpoll") + r":\d+: poll_ms: 'fast'")
    refused("stale", tcp_keys(1, stale_ms="200"),
            re.escape(conf % "stale") + r":\d+: stale_ms \(200\) must "
            "exceed poll_ms")
    refused("both", tcp_keys(1) + [("device", "/dev/ttyS0")],
            r"want either address")
    refused("rtuonly", tcp_keys(1, baud="9600"),
            r"baud: only for a serial CDU")
    refused("unit", tcp_keys(1, unit_id="250"),
            re.escape(conf % "unit") + r":\d+: unit_id: 250: ")
    refused("nomap", [("address", "127.0.0.1:1")], r"needs map = FILE")
    refused("missingmap", tcp_keys(1, map="nosuch"),
            r"map: .*/nosuch\.map: No such file")
    bad = TMP.file("bad.map", "# a map with a typo\nsupply_c input 0 "
                   "int8 scale=0.1\n")
    refused("badmap", tcp_keys(1, map=bad),
            re.escape(conf % "badmap") + r":\d+: map: " + re.escape(bad) +
            r":2: 'int8': unknown type")
    # A relative map path is taken from the configuration's directory.
    refused("relmap", tcp_keys(1, map="./bad.map"),
            re.escape(TMP.path) + r"/\./bad\.map:2: 'int8'")


def test_rtu_through_a_pty_pair():
    CTL.clear()
    cdu_end = os.path.join(TMP.path, "cdu-tty")
    agent_end = os.path.join(TMP.path, "agent-tty")
    socat = subprocess.Popen(
        ["socat", "pty,raw,echo=0,link=" + cdu_end,
         "pty,raw,echo=0,link=" + agent_end],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sim = a = None
    try:
        wait_for("the pty pair", lambda: os.path.exists(cdu_end) and
                 os.path.exists(agent_end), timeout=10)
        sim = CduSim(rtu=cdu_end, unit=7)
        a = CduAgent("rtu", [("map", "generic"), ("device", agent_end),
                             ("baud", "19200"), ("parity", "even"),
                             ("unit_id", "7"), ("poll_ms", "200"),
                             ("timeout_ms", "500"),
                             ("stale_ms", "2000")]).start()
        # The first RTU request after start may be lost: the plugin's
        # reconnect takes care of it.
        wait_loop(GENERIC, "the CDU's values over RTU")
        sim.set("ir 8 1")
        wait_loop(dict(GENERIC, leak=True), "a leak over RTU")
    except BaseException:
        if a is not None:
            print(a.log()[-3000:])
        raise
    finally:
        if a is not None:
            a.stop()
        if sim is not None:
            sim.stop()
        socat.send_signal(signal.SIGTERM)
        socat.wait()


if __name__ == "__main__":
    try:
        run([test_values_scaled_and_nodata, test_leak_bits,
             test_cdu_stops_and_comes_back,
             test_hung_cdu_does_not_delay_reports,
             test_refused_span_read_point_by_point,
             test_bad_keys_and_maps_refused, test_rtu_through_a_pty_pair])
    finally:
        TMP.cleanup()
