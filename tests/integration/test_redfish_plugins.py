"""The Redfish plugins (power/redfish, cooling/redfish) against
redfish_mock.py, a Redfish service serving the mockups of
tests/integration/data/redfish over HTTPS on loopback, with a throwaway CA
made by the openssl command.

In a real pod-agentd, podtest's fake controller receiving its reports: the
BMC's power and the CDU's loop as served; a leak on the CDU reaching the
reports and the agent's guard (every accelerator to its lowest clock in
the sample that shows it); a certificate not signed by ca_file refused and
said once; an expired session renewed; a service that hangs (values absent
within stale_ms, "timed out" said once over many polls, the agent
sampling on time throughout), answers junk or HTTP 500 (said once each),
and recovers (said once). Through redfish_rig, which holds one plugin as
the agent does: the power limit PATCHed to the BMC (EnvironmentMetrics and
legacy Power), a refused PATCH said once, the session deleted at the end,
the legacy Power/Thermal readings, and bad keys refused with file:line."""

import json
import os
import re
import subprocess
import sys
import time

from podtest import (BUILD, SOURCE, Daemon, FakeController, TempDir, binary,
                     make_ca, make_server_cert, run, wait_for)

NODE = "pod01-n001"
INTERVAL_MS = 200
HERE = os.path.dirname(os.path.abspath(__file__))
MOCKUPS = os.path.join(HERE, "data", "redfish")
RIG = os.path.join(BUILD, "tests", "redfish_rig")
F_MIN = 600  # the sim accelerators' lowest clock
# No tick of a 200 ms loop should come later than this after the one
# before; a plugin that waited on the service would stall it.
MAX_GAP_MS = 2000
POLL_MS, STALE_MS, TIMEOUT_MS = 200, 1000, 300
USER, PASSWORD = "pod", "s3cret pass"
CHASSIS_ENV = "/redfish/v1/Chassis/1U/EnvironmentMetrics"
LEAK = "/redfish/v1/ThermalEquipment/CDUs/1/LeakDetection"
# The CDU mockup's secondary connector TCS1, pumps, capacity.
LOOP = {"supply_c": 30.5, "return_c": 40.2, "flow_lpm": 1234.5,
        "pressure_kpa": 150.0, "pump_pct": 62.5, "capacity_w": 250000.0,
        "leak": False}
BMC_POWER_W = 8123.5

if subprocess.run(["sh", "-c", "command -v openssl"],
                  capture_output=True).returncode != 0:
    print("SKIP openssl not found (scripts/install-deps --test)")
    sys.exit(77)

CTL = FakeController(NODE)
TMP = TempDir("redfish")
CA = make_ca(TMP, "bmc-ca")
OTHER_CA = make_ca(TMP, "other-ca")
CERT, KEY = TMP.file("bmc.pem"), TMP.file("bmc.key")
make_server_cert(TMP, CA, "7", CERT, KEY)
PASSWORD_FILE = TMP.file("bmc.password")
fd = os.open(PASSWORD_FILE, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
with os.fdopen(fd, "w") as f:
    f.write(PASSWORD + "\nsecond line ignored\n")


class Mock:
    """redfish_mock.py serving one mockup, driven through its stdin."""

    def __init__(self, mockup):
        self.proc = subprocess.Popen(
            [sys.executable or "/usr/bin/python3",
             os.path.join(HERE, "redfish_mock.py"), "--mockup",
             os.path.join(MOCKUPS, mockup), "--cert", CERT, "--key", KEY,
             "--user", USER, "--password", PASSWORD],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline().split()
        if not line or line[0] != "ready":
            self.stop()
            raise AssertionError("redfish_mock.py did not start: %r" % line)
        self.url = "https://127.0.0.1:%s" % line[1]

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline().strip()

    def do(self, line):
        answer = self.cmd(line)
        assert answer == "ok", (line, answer)

    def get(self, path, ptr):
        return json.loads(self.cmd("get %s %s" % (path, ptr)))

    def stats(self):
        return json.loads(self.cmd("stats"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def keys(mock, **more):
    """The plugin keys for mock, with short periods; more overrides."""
    k = {"url": mock.url, "ca_file": CA[0], "user": USER,
         "password_file": PASSWORD_FILE, "poll_ms": str(POLL_MS),
         "stale_ms": str(STALE_MS), "timeout_ms": str(TIMEOUT_MS)}
    k.update(more)
    return [(a, b) for a, b in k.items() if b is not None]


class RfAgent(Daemon):
    """pod-agentd with [power] and [cooling] on the given plugins: a list
    of (key, value) for redfish, None for sim."""

    def __init__(self, name, power=None, cooling=None):
        state = os.path.join(TMP.path, name + "-state")
        os.makedirs(state, exist_ok=True)

        def section(kind, kv):
            if kv is None:
                return "[%s]\nplugin = sim\n" % kind
            return "[%s]\nplugin = redfish\n%s" % (
                kind, "".join("%s = %s\n" % p for p in kv))
        self.conf = TMP.file(
            name + ".conf",
            "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
            "interval_ms = %d\n[jobs]\nallow_root = true\n%s%s"
            % (CTL.url, NODE, state, INTERVAL_MS, section("power", power),
               section("cooling", cooling)))
        super().__init__(name, [binary("pod-agentd"), "-c", self.conf], TMP)

    def count(self, pattern):
        return len(self.log_lines(pattern))


def loop_has(sample, want):
    loop = (sample or {}).get("loop") or {}
    for k, v in want.items():
        got = loop.get(k)
        if isinstance(v, bool) or v is None:
            if got is not v:
                return False
        elif got is None or abs(got - v) > 1e-6:
            return False
    return True


def wait_sample(what, pred, timeout=15.0):
    return wait_for(what, lambda: pred(CTL.last_sample()) and
                    CTL.last_sample(), timeout=timeout, interval=0.05)


def loop_unknown(sample):
    loop = sample.get("loop")
    return loop is None or all(loop.get(k) is None for k in LOOP)


def assert_on_time(samples):
    assert len(samples) >= 5, [(s["seq"], s["t_ms"]) for s in samples]
    for a, b in zip(samples, samples[1:]):
        assert b["seq"] == a["seq"] + 1, (a["seq"], b["seq"])
        gap = b["t_ms"] - a["t_ms"]
        assert 0 < gap < MAX_GAP_MS, ("late sample", a["seq"], b["seq"], gap)


def with_agent(power, cooling):
    """Runs fn(agent, bmc, cdu) with fresh mocks (bmc: the mockup that
    power names, or None; cdu likewise) and an agent on them."""
    def wrap(fn):
        def wrapper():
            CTL.clear()
            bmc = Mock(power) if power else None
            cdu = Mock(cooling) if cooling else None
            a = RfAgent(fn.__name__, keys(bmc) if bmc else None,
                        keys(cdu) if cdu else None).start()
            try:
                fn(a, bmc, cdu)
            except BaseException:
                print(a.log()[-4000:])
                raise
            finally:
                a.stop()
                for m in (bmc, cdu):
                    if m is not None:
                        m.stop()
        wrapper.__name__ = fn.__name__
        return wrapper
    return wrap


@with_agent("bmc", "cdu")
def test_values_as_served(a, bmc, cdu):
    wait_sample("the BMC's power and the CDU's loop", lambda s: s and
                s.get("power_w") == BMC_POWER_W and loop_has(s, LOOP))
    inv = CTL.last()["inventory"]
    assert inv["power_plugin"] == "redfish", inv
    assert inv["cooling_plugin"] == "redfish", inv
    # A new reading on the BMC and on the CDU shows in a later sample.
    bmc.do("set %s /PowerWatts/Reading 7000.5" % CHASSIS_ENV)
    cdu.do("set /redfish/v1/ThermalEquipment/CDUs/1/SecondaryCoolantConnectors"
           "/TCS1 /FlowLitersPerMinute/Reading 999.5")
    wait_sample("the new readings", lambda s: s and
                s.get("power_w") == 7000.5 and
                loop_has(s, dict(LOOP, flow_lpm=999.5)))
    # A sensor the CDU stops reporting (null) is absent, the rest stay.
    cdu.do("set /redfish/v1/ThermalEquipment/CDUs/1/SecondaryCoolantConnectors"
           "/TCS1 /SupplyTemperatureCelsius/Reading null")
    wait_sample("supply absent", lambda s: loop_has(
        s, dict(LOOP, flow_lpm=999.5, supply_c=None)))
    assert not a.log_lines(r"timed out|not JSON|HTTP \d"), a.log()


@with_agent(None, "cdu")
def test_leak_reaches_the_guard(a, bmc, cdu):
    wait_sample("the CDU's loop", lambda s: loop_has(s, LOOP))
    n = CTL.count()
    cdu.do("set %s /LeakDetectorGroups/0/Detectors/1/DetectorState "
           "\"Critical\"" % LEAK)

    def wet():
        for r in CTL.since(n):
            for s in r["samples"]:
                if (s.get("loop") or {}).get("leak") is True:
                    return s
        return None
    s = wait_for("a sample with the leak", wet, timeout=15)
    assert [x["clock_mhz"] for x in s["accels"]] == [F_MIN] * 8, s
    wait_for("guard.leak reported", lambda: (CTL.last().get("power") or {})
             .get("guard", {}).get("leak") is True)
    a.wait_log(r"guard: leak on the coolant loop")
    # "Warning" is wet too; "OK" everywhere is dry again.
    cdu.do("set %s /LeakDetectorGroups/0/Detectors/1/DetectorState "
           "\"Warning\"" % LEAK)
    n = CTL.last_sample()["seq"]
    wait_for("five more samples", lambda: CTL.last_sample()["seq"] > n + 5)
    assert all(loop_has(x, dict(LOOP, leak=True)) for x in CTL.samples()
               if x["seq"] > n), "a Warning read as dry"
    cdu.do("set %s /LeakDetectorGroups/0/Detectors/1/DetectorState "
           "\"OK\"" % LEAK)
    wait_sample("dry again", lambda s: loop_has(s, LOOP))
    # An unknown state on one detector, none wet: the leak is unknown.
    cdu.do("set %s /LeakDetectorGroups/0/Detectors/0/DetectorState "
           "\"Unknown\"" % LEAK)
    wait_sample("leak unknown", lambda s: loop_has(s, dict(LOOP, leak=None)))


@with_agent("bmc", "cdu")
def test_hang_goes_stale_and_says_once(a, bmc, cdu):
    wait_sample("values", lambda s: s and s.get("power_w") == BMC_POWER_W
                and loop_has(s, LOOP))
    boot = CTL.last()["boot_id"]
    bmc.do("hang")
    cdu.do("hang")
    hung_ms = time.time() * 1000
    # Nothing read since the hang may be reported after stale_ms, plus a
    # poll and a sample of slack.
    stale_after = hung_ms + STALE_MS + POLL_MS + INTERVAL_MS + 100
    wait_for("samples well past stale_ms", lambda: CTL.last_sample()["t_ms"]
             > stale_after + 10 * POLL_MS, timeout=20)
    late = [s for s in CTL.samples(boot) if s["t_ms"] > stale_after]
    assert len(late) >= 5, late
    for s in late:
        assert s.get("power_w") is None, ("an old power as new", s)
        assert loop_unknown(s), ("an old loop as new", s)
    # Many polls timed out; each plugin said so once.
    assert a.count(r"Chassis.*timed out") == 1, a.log()
    assert a.count(r"ThermalEquipment.*timed out") == 1, a.log()
    assert a.count(r"no reading from the BMC") == 1, a.log()
    assert a.count(r"no reading from the CDU") == 1, a.log()
    bmc.do("ok")
    cdu.do("ok")
    wait_sample("values back", lambda s: s and s.get("power_w") ==
                BMC_POWER_W and loop_has(s, LOOP))
    a.wait_log(r"BMC at \S+ answering again")
    a.wait_log(r"CDU at \S+ answering again")
    n = CTL.last_sample()["seq"]  # more good polls: no more lines
    wait_for("ten more samples", lambda: CTL.last_sample()["seq"] > n + 10)
    for pat in (r"answering again", r"readings from the BMC again",
                r"readings from the CDU again"):
        assert a.count(pat) == (2 if pat == r"answering again" else 1), \
            (pat, a.log())
    assert_on_time(CTL.samples(boot))


@with_agent("bmc", None)
def test_junk_500_and_big_said_once(a, bmc, cdu):
    wait_sample("values", lambda s: s and s.get("power_w") == BMC_POWER_W)
    bmc.do("junk")
    a.wait_log(r"reply is not JSON")
    wait_sample("power absent", lambda s: s and s.get("power_w") is None)
    bmc.do("500")
    a.wait_log(r"HTTP 500")
    bmc.do("big")
    a.wait_log(r"reply too large")
    n = CTL.last_sample()["seq"]
    wait_for("ten more samples", lambda: CTL.last_sample()["seq"] > n + 10)
    assert a.count(r"reply is not JSON") == 1, a.log()
    assert a.count(r"HTTP 500") == 1, a.log()
    assert a.count(r"reply too large") == 1, a.log()
    bmc.do("ok")
    wait_sample("power back", lambda s: s and s.get("power_w") ==
                BMC_POWER_W)
    a.wait_log(r"answering again")
    assert a.count(r"answering again") == 1, a.log()


@with_agent("bmc", None)
def test_session_renewed(a, bmc, cdu):
    wait_sample("values", lambda s: s and s.get("power_w") == BMC_POWER_W)
    assert bmc.stats()["logins"] == 1, bmc.stats()
    bmc.do("expire")
    bmc.do("set %s /PowerWatts/Reading 6000.5" % CHASSIS_ENV)
    wait_sample("values after the expiry", lambda s: s and
                s.get("power_w") == 6000.5)
    assert bmc.stats()["logins"] == 2, bmc.stats()
    a.wait_log(r"session refused \(HTTP 401\); logged in again")
    assert a.count(r"HTTP 401") == 1, a.log()


def test_stops_promptly_while_hung():
    """SIGTERM while every request hangs on a long timeout: fini() cuts
    the request short instead of waiting it out; only the session's DELETE
    may take its own timeout_ms."""
    CTL.clear()
    bmc = Mock("bmc")
    a = RfAgent("stophung", keys(bmc, timeout_ms="5000",
                                 stale_ms="20000")).start()
    try:
        wait_sample("values", lambda s: s and s.get("power_w") ==
                    BMC_POWER_W)
        bmc.do("hang")
        wait_for("a request held", lambda: bmc.stats()["hung"] > 0)
        t0 = time.monotonic()
        rc = a.stop()
        took = time.monotonic() - t0
        assert rc == 0, (rc, a.log())
        # ~1 s for the abort, 5 s for the DELETE; a wait on the GET
        # would add its 5 s on top
        assert took < 8.5, (took, a.log())
        assert "timed out" not in a.log(), a.log()
    finally:
        bmc.stop()


def test_untrusted_certificate_refused():
    CTL.clear()
    bmc = Mock("bmc")
    a = RfAgent("untrusted", keys(bmc, ca_file=OTHER_CA[0])).start()
    try:
        a.wait_log(r"certificate not trusted")
        n = CTL.count()
        wait_for("a few more reports", lambda: CTL.count() > n + 3)
        assert all(s.get("power_w") is None for s in CTL.samples()), \
            CTL.samples()
        assert a.count(r"certificate not trusted") == 1, a.log()
        assert bmc.stats()["logins"] == 0, bmc.stats()
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()
    # tls_verify = false reads it, and says the risk once at start.
    CTL.clear()
    a = RfAgent("noverify", keys(bmc, ca_file=None,
                                 tls_verify="false")).start()
    try:
        wait_sample("values without verification", lambda s: s and
                    s.get("power_w") == BMC_POWER_W)
        assert a.count(r"tls_verify = false") == 1, a.log()
    except BaseException:
        print(a.log()[-3000:])
        raise
    finally:
        a.stop()
        bmc.stop()


class Rig:
    """redfish_rig holding one plugin instance."""

    def __init__(self, kind, kv):
        self.proc = subprocess.Popen(
            [RIG, kind, "redfish"] + ["%s=%s" % p for p in kv],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=dict(os.environ, POD_PLUGIN_DIR=os.environ.get(
                "POD_PLUGIN_DIR", os.path.join(BUILD, "lib", "pod"))))
        self.started = self.proc.stdout.readline().strip()

    def cmd(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def logged(self, pattern):
        """Lines logged that match; a read() first, as the agent's ticks
        would, flushes what the plugin's thread queued."""
        self.cmd("read")
        return [x for x in self.cmd("log") if re.search(pattern, x)]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(10)


def test_power_limit_patched():
    bmc = Mock("bmc")
    r = Rig("power", keys(bmc))
    try:
        assert r.started == "init ok", (r.started, r.cmd("log"))
        d = r.cmd("dev")
        assert d["name"] == "node" and d["domain"] == 3, d
        assert d["model"] == "Contoso X8 Node", d
        assert d["caps"] & (1 << 25), d  # POD_CTL_POWER_LIMIT
        assert (d["power_min_w"], d["power_max_w"], d["tdp_w"]) == \
            (4000, 11000, 12000), d
        s = r.cmd("read")
        assert s["valid"] & 7 == 7, s  # power, energy, temp
        assert (s["power_w"], s["temp_c"]) == (BMC_POWER_W, 41.5), s
        # The energy counter starts at 0 and follows the kWh counter.
        bmc.do("set %s /EnergykWh/Reading 3456.625" % CHASSIS_ENV)
        wait_for("0.5 kWh more", lambda: abs(
            r.cmd("read")["energy_j"] - 0.5 * 3.6e6) < 1)
        t0 = time.monotonic()
        assert r.cmd("control 9000") == {"rc": 0}
        assert time.monotonic() - t0 < 0.2, "control() waited"
        wait_for("the limit on the BMC", lambda: bmc.get(
            CHASSIS_ENV, "/PowerLimitWatts/SetPoint") == 9000)
        wait_for("said", lambda: r.logged(r"power limit set to 9000 W"))
        # A PATCH on an expired session: one new login, then the PATCH.
        bmc.do("expire")
        r.cmd("control 9500")
        wait_for("the limit after a new login", lambda: bmc.get(
            CHASSIS_ENV, "/PowerLimitWatts/SetPoint") == 9500)
        assert bmc.stats()["logins"] == 2, bmc.stats()
        # Beyond the allowed range: clamped to it.
        r.cmd("control 20000")
        wait_for("clamped to AllowableMax", lambda: bmc.get(
            CHASSIS_ENV, "/PowerLimitWatts/SetPoint") == 11000)
        # A BMC that refuses: said once, however many tries.
        bmc.do("refuse")
        for i in range(3):
            r.cmd("control 8000")
            wait_for("PATCH %d refused" % (i + 1), lambda: bmc.stats()[
                "patches_refused"] == i + 1)
        wait_for("the refusal said", lambda: r.logged(r"HTTP 400"))
        assert len(r.logged(r"HTTP 400")) == 1, r.cmd("log")
        bmc.do("ok")
        r.cmd("control 8000")
        wait_for("the limit after the refusal", lambda: bmc.get(
            CHASSIS_ENV, "/PowerLimitWatts/SetPoint") == 8000)
        # No answer, or a 5xx: tried again at the next poll by itself.
        bmc.do("500")
        r.cmd("control 7000")
        wait_for("the PATCH failed", lambda: r.logged(
            r"PATCH \S+: HTTP 500"))
        bmc.do("ok")
        wait_for("the limit once the BMC is back", lambda: bmc.get(
            CHASSIS_ENV, "/PowerLimitWatts/SetPoint") == 7000)
        assert bmc.stats()["patches_refused"] == 3, bmc.stats()
        # fini ends the session.
        assert r.cmd("fini") == {"rc": 0}
        st = bmc.stats()
        assert st["logins"] == 2 and st["deletes"] == 1, st
        assert not r.logged(PASSWORD), "the password in the log"
    finally:
        r.close()
        bmc.stop()


def test_node_cap_reaches_the_bmc():
    """[agent] node_power_limit: the node cap the controller sends goes to
    the BMC's power limit as well as to the accelerators' clocks; no cap
    lifts it to the BMC's highest. The BMC is [power], so its node device
    is the node's; the accelerators come from [power accel]."""
    CTL.clear()
    bmc = Mock("bmc")
    state = os.path.join(TMP.path, "nodecap-state")
    os.makedirs(state, exist_ok=True)
    conf = TMP.file("nodecap.conf", (
        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
        "interval_ms = %d\nnode_power_limit = true\n"
        "[power]\nplugin = redfish\n%s"
        "[power accel]\nplugin = sim\naccels = 2\n")
        % (CTL.url, NODE, state, INTERVAL_MS,
           "".join("%s = %s\n" % kv for kv in keys(bmc))))
    a = Daemon("nodecap", [binary("pod-agentd"), "-c", conf], TMP).start()
    try:
        def limit():
            return bmc.get(CHASSIS_ENV, "/PowerLimitWatts/SetPoint")
        wait_for("no cap: the limit lifted to AllowableMax",
                 lambda: limit() == 11000)
        wait_sample("the node's power from the BMC",
                    lambda s: s is not None and s.get("power_w") ==
                    BMC_POWER_W)
        CTL.set(power={"policy": "performance", "cap_w": 6000})
        wait_for("the cap on the BMC", lambda: limit() == 6000)
        # Under the BMC's lowest: its lowest.
        CTL.set(power={"policy": "performance", "cap_w": 1000})
        wait_for("clamped to AllowableMin", lambda: limit() == 4000)
        CTL.set(power={"policy": "performance", "cap_w": None})
        wait_for("the cap gone: lifted again", lambda: limit() == 11000)
        patches = bmc.stats()["patches"]
        seq = CTL.last_sample()["seq"]
        wait_for("10 more samples",
                 lambda: CTL.last_sample()["seq"] >= seq + 10)
        assert bmc.stats()["patches"] == patches, \
            "the same limit sent again: %r" % bmc.stats()
    except BaseException:
        print(a.log()[-4000:])
        raise
    finally:
        a.stop()
        bmc.stop()


def test_legacy_power_and_thermal():
    """A legacy BMC (Power, Thermal), which also answers its login without
    a Location: the session is deleted by its @odata.id."""
    bmc = Mock("legacy")
    bmc.do("nolocation")
    r = Rig("power", keys(bmc))
    try:
        assert r.started == "init ok", (r.started, r.cmd("log"))
        d = r.cmd("dev")
        assert d["caps"] & (1 << 25), d
        assert d["caps"] & 7 == 5, d  # power and temperature, no energy
        assert (d["power_min_w"], d["power_max_w"]) == (0, 900), d
        s = wait_for("a reading", lambda: (lambda s: s if s["valid"] else
                                           None)(r.cmd("read")))
        assert s["valid"] & 5 == 5 and not s["valid"] & 2, s
        assert (s["power_w"], s["temp_c"]) == (655, 62.5), s
        r.cmd("control 750")
        wait_for("LimitInWatts set", lambda: bmc.get(
            "/redfish/v1/Chassis/1/Power",
            "/PowerControl/0/PowerLimit/LimitInWatts") == 750)
        assert r.cmd("fini") == {"rc": 0}
        st = bmc.stats()
        assert st["logins"] == 1 and st["deletes"] == 1, st
    finally:
        r.close()
        bmc.stop()


def test_cdu_side_and_connector():
    cdu = Mock("cdu")
    for more, want in (({"side": "primary"},
                        {"supply_c": 18.0, "flow_lpm": 900.0}),
                       ({"connector": "TCS2"},
                        {"supply_c": 31.0, "flow_lpm": 600.0})):
        r = Rig("cooling", keys(cdu, **more))
        try:
            assert r.started == "init ok", (r.started, r.cmd("log"))
            d = r.cmd("dev")
            assert (d["name"], d["model"], d["domain"]) == \
                ("loop", "Contoso CDU-250", 4), d
            # init() waited for the first poll: the first read has values
            s = r.cmd("read")
            assert s["valid"] == 0x1fc0, s
            for k, v in want.items():
                assert s[k] == v, (more, s)
        finally:
            r.close()
    cdu.stop()


def test_wrong_password_backs_off():
    """A refused login is said once and not tried at every poll: many BMCs
    lock an account after a few failures."""
    wrong = TMP.file("wrong.password", "not it\n")
    os.chmod(wrong, 0o600)
    bmc = Mock("bmc")
    r = Rig("power", keys(bmc, password_file=wrong))
    try:
        assert r.started == "init ok", (r.started, r.cmd("log"))
        wait_for("the refusal said", lambda: r.logged(r"Sessions: HTTP 401"))
        at = wait_for("three tries", lambda: (lambda t: len(t) >= 3 and t)(
            bmc.stats()["refused_at"]), timeout=10)
        # 1 s, then 2 s between tries, not a poll's 0.2 s.
        gaps = [b - a for a, b in zip(at, at[1:])]
        assert gaps[0] > 0.9 and gaps[1] > 1.9, gaps
        assert len(r.logged(r"HTTP 401")) == 1, r.cmd("log")
        assert r.cmd("read")["valid"] == 0
    finally:
        r.close()
        bmc.stop()


def test_example_config_accepted():
    """packaging/examples/agent-redfish.conf, its paths and addresses
    pointed at this test's, passes pod-agentd -n (which runs the plugins'
    init() and devices())."""
    bmc, cdu = Mock("bmc"), Mock("cdu")
    cred = TMP.file("node.credential", "00" * 32 + "\n")
    os.chmod(cred, 0o600)
    with open(os.path.join(SOURCE, "packaging", "examples",
                           "agent-redfish.conf")) as f:
        text = f.read()
    for old, new in (("https://bmc-n001.mgmt.example", bmc.url),
                     ("https://cdu-row3.mgmt.example", cdu.url),
                     ("/etc/pod/bmc-ca.pem", CA[0]),
                     ("/etc/pod/ca.pem", CA[0]),
                     ("/etc/pod/node.credential", cred),
                     ("/etc/pod/bmc.password", PASSWORD_FILE),
                     ("/etc/pod/cdu.password", PASSWORD_FILE),
                     ("/var/lib/pod-agent", TMP.path),
                     ("user = pod-agent", "user = " + USER)):
        assert old in text, old
        text = text.replace(old, new)
    conf = TMP.file("agent-redfish.conf", text)
    try:
        p = subprocess.run([binary("pod-agentd"), "-n", "-c", conf],
                           capture_output=True, text=True, timeout=30)
        assert p.returncode == 0, (p.returncode, p.stderr)
        assert "BMC at %s" % bmc.url in p.stderr, p.stderr
        assert "CDU at %s" % cdu.url in p.stderr, p.stderr
        # fini() cutting a request short is no trouble of the service
        assert not re.search(r"warning: .*/redfish: ", p.stderr), p.stderr
    finally:
        bmc.stop()
        cdu.stop()


def test_bad_keys_refused():
    loose = TMP.file("loose.password", "x\n")
    os.chmod(loose, 0o644)
    url = "https://127.0.0.1:1"
    for kind, kv, want in (
            ("power", [("url", "http://127.0.0.1:1")],
             r"test.conf:1: url: 'http://127.0.0.1:1': want https"),
            ("power", [("url", url + "/redfish")], r"url: .*want https"),
            ("power", [("url", url), ("speed", "1")],
             r"test.conf:2: speed: unknown key"),
            ("power", [("url", url), ("password_file", loose),
                       ("user", "u")],
             r"test.conf:2: password_file: .*mode 0644"),
            ("power", [("url", url), ("user", "u")],
             r"user and password_file go together"),
            ("power", [("url", url), ("poll_ms", "1000"),
                       ("stale_ms", "500")],
             r"test.conf:3: stale_ms \(500\) must exceed poll_ms"),
            ("power", [("url", url), ("tls_verify", "no")],
             r"tls_verify: 'no': want true or false"),
            ("power", [], r"needs url"),
            ("cooling", [("url", url), ("side", "left")],
             r"test.conf:2: side: 'left'"),
            ("cooling", [("url", url), ("ca_file", "/nonexistent")],
             r"test.conf:2: ca_file: /nonexistent: No such file")):
        r = Rig(kind, kv)
        try:
            assert r.started == "init failed", (kv, r.started)
            assert r.logged(want), (kv, want, r.cmd("log"))
        finally:
            r.close()


if __name__ == "__main__":
    try:
        run([test_values_as_served, test_leak_reaches_the_guard,
             test_hang_goes_stale_and_says_once, test_junk_500_and_big_said_once,
             test_session_renewed, test_stops_promptly_while_hung,
             test_untrusted_certificate_refused,
             test_power_limit_patched, test_node_cap_reaches_the_bmc,
             test_legacy_power_and_thermal,
             test_cdu_side_and_connector, test_wrong_password_backs_off,
             test_example_config_accepted, test_bad_keys_refused])
    finally:
        TMP.cleanup()
