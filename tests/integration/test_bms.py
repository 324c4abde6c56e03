"""The controller's Modbus TCP server for the BMS, end to end with
pod-fleetsim and clients nobody here wrote: mbpoll reads every documented
fixed point and writes the cap; pymodbus (Debian's, 3.0) reads 32-bit
values, gets exceptions 02 and 03 for bad writes, 01 for a write from an
address outside allow_write, and 0x0B for another unit id. The heartbeat
counts, IT power matches REST, a BMS cap shows in `podctl power get` with
source bms and is met, a 20 % curtailment is reached within the ramp time,
the watchdog reverts and raises an alarm, the facility's available cooling
holds a job back (CoolingCapacity), a client trickling bytes does not
delay another, 16 clients polling at once all get answers, malformed frames
get an exception or a close, connection caps hold with slots reserved for
the BMS's addresses (neither a flood of readers nor the BMS's own surplus
connections lock it out, and its heartbeat keeps the watchdog quiet), a
reloaded [modbus] section takes effect, and the controller stays up
throughout."""

import json
import re
import socket
import sqlite3
import struct
import subprocess
import threading
import time

from podtest import (Controller, Fleetsim, TempDir, modbus_tcp_client,
                     podctl, run, wait_for)

ModbusTcpClient = modbus_tcp_client()

NODES = 32
SAFE_CAP_KW = 900
tmp = TempDir("bms")
ctl = Controller(tmp, extra="[fabric]\nnodes_per_pod = %d\n"
                 "groups_per_pod = 2\n"
                 "[modbus]\nlisten = 127.0.0.1:0\nallow_write = 127.0.0.1\n"
                 "max_connections = 24\nmax_per_peer = 20\n"
                 "idle_timeout_s = 30\nsafe_cap_kw = %d\n"
                 % (NODES, SAFE_CAP_KW)).start()
PORT = int(wait_for("the Modbus server", lambda: re.findall(
    r"BMS Modbus TCP listening on 127\.0\.0\.1:(\d+)", ctl.log()))[0])
fleet = Fleetsim(tmp, ctl.url, nodes=NODES,
                 args=["--load", "0.35", "--interval-ms", "500"]).start()


def mbpoll_read(table, ref, count, *extra):
    """Reads once with mbpoll (0-based refs); returns {ref: value}."""
    argv = ["mbpoll", "-m", "tcp", "-p", str(PORT), "-a", "1", "-0", "-1",
            "-o", "2", "-t", table, "-r", str(ref), "-c", str(count)] + \
        list(extra) + ["127.0.0.1"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (argv, p.stdout, p.stderr)
    return {int(r): int(v) for r, v in
            re.findall(r"^\[(\d+)\]:\s+(-?\d+)", p.stdout, re.M)}


def mbpoll_write(ref, value):
    """Writes one holding register with mbpoll; the CompletedProcess."""
    argv = ["mbpoll", "-m", "tcp", "-p", str(PORT), "-a", "1", "-0", "-1",
            "-o", "2", "-t", "4", "-r", str(ref), "127.0.0.1", str(value)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def client(source=None):
    c = ModbusTcpClient("127.0.0.1", port=PORT, timeout=3, retries=0,
                        source_address=(source, 0) if source else None)
    assert c.connect()
    return c


def ir(c, addr, count=1, slave=1):
    r = c.read_input_registers(addr, count, slave=slave)
    assert not r.isError(), r
    return r.registers


def hr(c, addr, count=1):
    r = c.read_holding_registers(addr, count, slave=1)
    assert not r.isError(), r
    return r.registers


def write(c, addr, value):
    r = c.write_register(addr, value, slave=1)
    assert not r.isError(), (addr, value, r)


def power():
    rc, out, err = podctl(ctl.url, "-o", "json", "power", "get")
    assert rc == 0, err
    return json.loads(out)


def s16(v):
    return v - 65536 if v >= 32768 else v


def raw_socket(source="127.0.0.1"):
    s = socket.socket()
    # each send its own segment, as a slow BMS's bytes come
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.bind((source, 0))
    s.settimeout(3)
    s.connect(("127.0.0.1", PORT))
    return s


def recv_frame(s):
    """One MBAP answer, or b'' when the server closed the connection."""
    head = b""
    while len(head) < 6:
        chunk = s.recv(6 - len(head))
        if not chunk:
            return b""
        head += chunk
    body, n = b"", struct.unpack(">H", head[4:6])[0]
    while len(body) < n:
        chunk = s.recv(n - len(body))
        if not chunk:
            return b""
        body += chunk
    return head + body


def closed(s):
    """Whether the server closed s (a reset counts: it closes with unread
    bytes)."""
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False


def test_fleet_up():
    wait_for("%d nodes" % NODES, lambda: ctl.api("GET", "/status")[1][
        "nodes"]["up"] == NODES, timeout=30)
    wait_for("a steady draw", lambda: power()["power_w"])


def test_mbpoll_reads_every_fixed_point():
    inputs = mbpoll_read("3", 0, 27)
    assert sorted(inputs) == list(range(27)), inputs
    assert inputs[1] == 1 and inputs[10] == NODES and inputs[18] == 1, inputs
    assert inputs[9] == NODES and inputs[11] == NODES * 8, inputs
    assert 0 < inputs[5] < 65535, inputs
    holding = mbpoll_read("4", 0, 18)
    assert sorted(holding) == list(range(18)), holding
    assert holding[2] == 1 and holding[3] == 30 and holding[5] == 60, holding
    assert holding[6] == 32768 and holding[7] == 65535, holding
    discrete = mbpoll_read("1", 0, 11)
    assert sorted(discrete) == list(range(11)), discrete
    coils = mbpoll_read("0", 0, 2)
    assert coils == {0: 0, 1: 0}, coils
    pod = mbpoll_read("3", 100, 20)
    assert pod[102] == NODES and pod[101] == NODES, pod
    assert pod[106] == 850, pod  # the default budget, kW
    # 32-bit, most significant word first: mbpoll's -B reads ABCD
    c = client()
    hi, lo = ir(c, 14, 2)
    c.close()
    p32 = mbpoll_read("3:int", 14, 1, "-B")[14]
    assert abs(p32 - (hi << 16 | lo)) <= 5, (p32, hi, lo)


def uptime_s():
    status, body = ctl.api("GET", "/health")
    assert status == 200, body
    return body["uptime_s"]


def test_heartbeat_increments():
    """+1 every second: never back, and as many steps as the controller's
    own uptime counts."""
    c = client()
    seen = [ir(c, 0)[0]]
    up0 = uptime_s()

    def three_seconds_on():
        v = ir(c, 0)[0]
        if v != seen[-1]:
            seen.append(v)
        return uptime_s() >= up0 + 3
    wait_for("three seconds of the controller's uptime", three_seconds_on,
             timeout=15, interval=0.05)
    up1 = uptime_s()
    seen.append(ir(c, 0)[0])
    c.close()
    steps = [(b - a) % 65536 for a, b in zip(seen, seen[1:])]
    assert all(d <= 2 for d in steps), seen  # 2: a poll came late
    assert abs(sum(steps) - (up1 - up0)) <= 1, (seen, up0, up1)


def test_it_power_matches_rest():
    c = client()

    def agree():
        rest_kw = power()["power_w"] / 1000
        regs = ir(c, 5, 11)  # it_power_kw (5) to its 32-bit twin (14-15)
        kw, p32 = regs[0], regs[9] << 16 | regs[10]
        return abs(kw - rest_kw) <= max(2, 0.03 * rest_kw) and (kw, p32)
    kw, p32 = wait_for("Modbus IT power to agree with REST", agree)
    assert p32 == kw, (p32, kw)  # one read: the same value twice
    hi, lo = ir(c, 12, 2)
    energy = power()["energy_j"] / 3.6e6
    assert abs((hi << 16 | lo) - energy) <= 1, (hi, lo, energy)
    c.close()


def test_pymodbus_exceptions():
    c = client()
    before = hr(c, 1)[0]
    r = c.write_register(1, 101, slave=1)  # curtailment over 100 %
    assert r.isError() and r.exception_code == 3, r
    r = c.write_register(9, 5, slave=1)  # a read-back
    assert r.isError() and r.exception_code == 2, r
    r = c.write_registers(7, [10, 10], slave=1)  # past the window
    assert r.isError() and r.exception_code == 2, r
    r = c.read_input_registers(110, 20, slave=1)  # past pod01's block
    assert r.isError() and r.exception_code == 2, r
    r = c.read_holding_registers(0, 1, slave=7)
    assert r.isError() and r.exception_code == 0x0B, r
    assert hr(c, 1)[0] == before
    for unit in (0, 255):
        assert ir(c, 1, slave=unit) == [1]
    # FC 16 in one go, then read back, then cleared with the markers
    r = c.write_registers(6, [215, 5000], slave=1)
    assert not r.isError(), r
    assert hr(c, 6, 2) == [215, 5000] and hr(c, 14, 2) == [215, 5000]
    assert ir(c, 4)[0] & 0x60 == 0
    r = c.write_registers(6, [0x8000, 0xFFFF], slave=1)
    assert not r.isError(), r
    assert hr(c, 14, 2) == [0x8000, 0xFFFF] and ir(c, 4)[0] & 0x60 == 0x60
    c.close()
    # a peer outside allow_write reads but may not write
    other = client("127.0.0.2")
    assert ir(other, 1) == [1]
    r = other.write_register(0, 10, slave=1)
    assert r.isError() and r.exception_code == 1, r
    r = other.write_coil(0, True, slave=1)
    assert r.isError() and r.exception_code == 1, r
    other.close()
    assert power()["cap_w"] is None


def test_bms_cap_is_met():
    before = power()["power_w"]
    cap_kw = round(before / 1000 * 0.75)
    p = mbpoll_write(0, cap_kw)
    assert p.returncode == 0, p.stderr
    got = power()
    assert got["cap_w"] == cap_kw * 1000 and got["source"] == "bms", got
    rc, out, err = podctl(ctl.url, "power", "get")
    assert rc == 0 and "bms" in out, out
    wait_for("draw under the cap", lambda: power()["power_w"] <=
             cap_kw * 1000 * 1.03, timeout=30)
    c = client()
    assert hr(c, 0)[0] == cap_kw and hr(c, 8)[0] == cap_kw
    assert ir(c, 6)[0] == cap_kw and hr(c, 17)[0] == 2
    c.close()
    db = sqlite3.connect(ctl.db, timeout=10)
    rows = db.execute("SELECT who, detail FROM audit WHERE object ="
                      " 'bms_hr0' ORDER BY id").fetchall()
    db.close()
    assert rows and rows[-1] == ("bms 127.0.0.1", "unset -> %d" % cap_kw), \
        rows
    p = mbpoll_write(0, 65001)  # over the range: exception 03
    assert p.returncode != 0 and "Illegal data value" in p.stderr, p.stderr
    assert power()["cap_w"] == cap_kw * 1000
    assert mbpoll_write(0, 0).returncode == 0
    assert power()["cap_w"] is None
    wait_for("draw back up", lambda: power()["power_w"] > before * 0.9,
             timeout=30)


def test_curtailment_within_ramp_time():
    c = client()
    write(c, 3, 30)  # ramp time, s
    base = power()["power_w"]
    deadline = time.monotonic() + 30  # the ramp time
    write(c, 1, 20)
    p = power()
    assert p["curtail_pct"] == 20 and p["source"] == "bms", p
    assert abs(p["curtail_target_w"] - 0.8 * base) < 0.05 * base, p
    achieved = wait_for("20 % shed within the ramp time", lambda: ir(
        c, 8)[0] >= 180 and ir(c, 8)[0], timeout=deadline - time.monotonic())
    assert abs(achieved / 10 - power()["curtail_achieved_pct"]) < 3
    assert hr(c, 9)[0] == 20
    # the limit in force, in whole kW: the curtailment's target, which
    # REST gives in W (the draw moved since `base` was read)
    limit_kw = ir(c, 6)[0]
    target_w = power()["curtail_target_w"]
    assert abs(limit_kw - target_w / 1000) <= 1, (limit_kw, target_w)
    r = c.read_discrete_inputs(7, 1, slave=1)
    assert not r.isError() and not r.bits[0], r
    # demand response held back: the curtailment goes, the request stays
    write(c, 2, 0)
    assert power()["curtail_pct"] == 0 and hr(c, 1)[0] == 20
    assert hr(c, 9)[0] == 0
    write(c, 2, 1)
    assert power()["curtail_pct"] == 20
    write(c, 1, 0)
    assert power()["curtail_pct"] == 0 and ir(c, 8)[0] == 0
    c.close()


def test_watchdog_reverts_and_alarms():
    c = client()
    write(c, 5, 3)  # watchdog, s
    write(c, 4, 1)  # heartbeat: arms it
    write(c, 1, 10)
    assert power()["curtail_pct"] == 10
    assert hr(c, 16)[0] <= 3
    wait_for("the watchdog", lambda: c.read_discrete_inputs(
        8, 1, slave=1).bits[0], timeout=15)
    p = power()
    assert p["curtail_pct"] == 0, p
    assert p["cap_w"] == SAFE_CAP_KW * 1000 and p["source"] == "bms", p
    assert hr(c, 1)[0] == 0 and hr(c, 8)[0] == SAFE_CAP_KW
    critical = [a for a in ctl.api("GET", "/alarms")[1]["alarms"]
                if a["severity"] == "critical"]
    assert not critical, critical  # which would make the state 3
    assert ir(c, 2)[0] == 4 and ir(c, 3)[0] & 1 << 8  # fallback

    def watchdog_alarms():
        rc, out, err = podctl(ctl.url, "-o", "json", "alarms")
        assert rc == 0, err
        return [a for a in json.loads(out)["alarms"]
                if a["kind"] == "bms_watchdog"]
    wd = wait_for("the bms_watchdog alarm", watchdog_alarms, timeout=5)
    assert wd[0]["state"] == "open" and wd[0]["object"] == "fabric", wd
    rc, out, err = podctl(ctl.url, "alarms")
    assert rc == 0 and "bms_watchdog" in out, out
    # the heartbeat comes back: the alarm clears, the settings stay safe
    write(c, 4, 2)
    r = c.read_discrete_inputs(8, 1, slave=1)
    assert not r.bits[0], r
    wait_for("alarm cleared", lambda: [
        a for a in ctl.api("GET", "/alarms?state=cleared")[1]["alarms"]
        if a["kind"] == "bms_watchdog"])
    write(c, 5, 0)
    write(c, 0, 0)
    assert power()["cap_w"] is None
    assert hr(c, 16)[0] == 0xFFFF
    c.close()


def test_facility_cooling_bounds_admission():
    c = client()
    write(c, 7, 1)  # 1 kW of facility cooling left
    heat = wait_for("heat known", lambda: ir(c, 23)[0] < 65535 and
                    ir(c, 23)[0])
    assert s16(ir(c, 25)[0]) <= 1 - heat + 1, (ir(c, 25), heat)
    r = c.read_discrete_inputs(10, 1, slave=1)
    assert r.bits[0], r
    rc, out, err = podctl(ctl.url, "submit", "--nodes", "2", "--time",
                          "1m", "--", "sleep", "2")
    assert rc == 0, err
    jid = int(out)

    def job():
        return ctl.api("GET", "/jobs/%d" % jid)[1]
    wait_for("CoolingCapacity", lambda: job()["reason"] ==
             "CoolingCapacity")
    write(c, 7, 0xFFFF)  # unknown again: no bound
    wait_for("the job to run", lambda: job()["state"] in
             ("running", "completed"), timeout=30)
    assert not c.read_discrete_inputs(10, 1, slave=1).bits[0]
    c.close()


def test_slow_client_does_not_stall_another():
    slow = raw_socket()
    req = bytes([0, 9, 0, 0, 0, 6, 1, 4, 0, 0, 0, 2])
    c = client()
    for i, byte in enumerate(req[:-1]):
        slow.send(bytes([byte]))
        t = time.monotonic()
        assert ir(c, 1) == [1]
        assert time.monotonic() - t < 1.0, "answer delayed by a trickle"
    slow.send(req[-1:])
    ans = recv_frame(slow)
    assert ans[:2] == b"\0\x09" and ans[7] == 4 and ans[8] == 4, ans
    # half a frame and silence: others are served all along
    slow.send(req[:5])
    for _ in range(10):
        assert ir(c, 0, 2)[1] == 1
    slow.close()
    c.close()


def test_16_clients_at_once():
    errors, answers = [], [0]
    lock = threading.Lock()

    def poll():
        try:
            c = client()
            for _ in range(20):
                regs = ir(c, 0, 27)
                assert regs[1] == 1 and regs[10] == NODES
                with lock:
                    answers[0] += 1
            c.close()
        except Exception as e:  # reported below
            errors.append(repr(e))
    threads = [threading.Thread(target=poll) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and answers[0] == 16 * 20, (errors, answers)


def test_malformed_frames():
    # two requests in one segment: two answers, in order
    s = raw_socket()
    s.send(bytes([0, 1, 0, 0, 0, 6, 1, 4, 0, 1, 0, 1,
                  0, 2, 0, 0, 0, 6, 1, 3, 0, 2, 0, 1]))
    a, b = recv_frame(s), recv_frame(s)
    assert a[:2] == b"\0\1" and a[7] == 4 and a[9:11] == b"\0\1", a
    assert b[:2] == b"\0\2" and b[7] == 3, b
    # unknown function code, and "report server id": exception 01
    for fc in (0x2B, 0x11, 0x07):
        s.send(bytes([0, 3, 0, 0, 0, 2, 1, fc]))
        a = recv_frame(s)
        assert a[7] == fc | 0x80 and a[8] == 1, (fc, a)
    # a quantity over 125 and an odd length: exception 03, at once
    t = time.monotonic()
    s.send(bytes([0, 4, 0, 0, 0, 6, 1, 4, 0, 0, 0, 200]))
    a = recv_frame(s)
    assert a[7] == 0x84 and a[8] == 3, a
    s.send(bytes([0, 5, 0, 0, 0, 7, 1, 4, 0, 0, 0, 1, 0]))
    a = recv_frame(s)
    assert a[7] == 0x84 and a[8] == 3, a
    assert time.monotonic() - t < 1.0, "exception path waited"
    s.close()
    # wrong protocol id, lengths out of range: the connection closes
    for frame in (bytes([0, 1, 0, 7, 0, 6, 1, 4, 0, 0, 0, 1]),
                  bytes([0, 1, 0, 0, 0, 0]),
                  bytes([0, 1, 0, 0, 1, 44]) + bytes(300)):
        s = raw_socket()
        s.send(frame)
        assert closed(s), frame
        s.close()
    c = client()
    assert ir(c, 1) == [1]
    c.close()


def served(s):
    """Whether s gets an answer to a read of input register 1."""
    try:
        s.send(bytes([0, 1, 0, 0, 0, 6, 1, 4, 0, 1, 0, 1]))
        return recv_frame(s)[9:11] == b"\0\1"
    except OSError:
        return False


def hold(n, source="127.0.0.1"):
    """n connections from source, once all n are served (the earlier
    tests' closes may still be on their way to the server)."""
    def all_served():
        held = [raw_socket(source) for _ in range(n)]
        if all(served(s) for s in held):
            return held
        for s in held:
            s.close()
        return None
    return wait_for("%d connections from %s served" % (n, source),
                    all_served, timeout=10)


def test_connection_caps():
    """24 slots, 4 of them for allow_write: readers get 20, the BMS the
    rest."""
    readers = hold(10, "127.0.0.3") + hold(10, "127.0.0.4")
    extra = raw_socket("127.0.0.5")  # the 21st reader
    assert closed(extra)
    extra.close()
    bms = hold(4)  # the reserved slots
    for s in readers + bms:
        s.close()
    wait_for("the caps to free", lambda: ir(client(), 1) == [1])


def test_bms_address_not_locked_out():
    """The BMS's own address past max_per_peer (20): its newest
    connection is served, its idlest closed, never the newcomer."""
    held = hold(20)
    newer = []
    for _ in range(5):
        newer.append(raw_socket())
        assert served(newer[-1]), "a new connection from the BMS refused"
    open_now = [s for s in held + newer if served(s)]
    assert len(open_now) == 20, len(open_now)
    assert all(s in open_now for s in newer)
    assert not served(held[0])  # the idlest went first
    for s in held + newer:
        s.close()
    wait_for("the caps to free", lambda: ir(client(), 1) == [1])


def test_readers_do_not_lock_the_bms_out():
    """Readers from other addresses keep every slot they can get busy,
    reconnecting whenever one is closed; the BMS holds 4 connections and
    sends each heartbeat on a new one (mbpoll), as many BMSs do. Every
    heartbeat is accepted, the watchdog never expires, the curtailment
    stays, and the BMS's 4 connections are never the ones closed."""
    c = client()
    write(c, 5, 4)  # watchdog, s
    write(c, 4, 1)  # heartbeat: arms it
    write(c, 1, 10)
    assert power()["curtail_pct"] == 10
    bms = [c] + hold(3)
    flood = [raw_socket(src) for src in ("127.0.0.2", "127.0.0.3")
             for _ in range(15)]
    beats, most, refused = [0], [0], []

    def busy():
        """Every reader polls; a closed one reconnects. Readers served."""
        n = 0
        for i, s in enumerate(flood):
            if served(s):
                n += 1
                continue
            src = s.getsockname()[0]
            s.close()
            flood[i] = raw_socket(src)
        return n

    def beat():
        most[0] = max(most[0], busy())
        p = mbpoll_write(4, beats[0] % 65536)
        if p.returncode != 0:
            refused.append((beats[0], p.stderr))
        beats[0] += 1
        return refused or (beats[0] >= 10 and uptime_s() >= up0 + 8)
    up0 = uptime_s()
    wait_for("8 s of heartbeats past a flood of readers", beat,
             timeout=60, interval=0.5)
    assert not refused, refused
    assert 0 < most[0] <= 20, most  # 24 slots, 4 reserved
    r = c.read_discrete_inputs(8, 1, slave=1)
    assert not r.isError() and not r.bits[0], r  # watchdog_expired
    assert 0 < hr(c, 16)[0] <= 4
    assert power()["curtail_pct"] == 10, power()
    for s in bms[1:]:
        assert served(s), "a BMS connection closed for a reader"
    for s in flood + bms[1:]:
        s.close()
    write(c, 1, 0)
    write(c, 5, 0)
    c.close()
    wait_for("the caps to free", lambda: ir(client(), 1) == [1])


def test_reload_reaches_the_server():
    """A reloaded [modbus] section is the one the server reads: a shorter
    idle timeout closes an idle connection."""
    idle = raw_socket()
    assert served(idle)
    with open(ctl.conf) as f:
        text = f.read()
    assert "idle_timeout_s = 30\n" in text, text
    with open(ctl.conf, "w") as f:
        f.write(text.replace("idle_timeout_s = 30\n", "idle_timeout_s = 2\n"))
    seen = len(ctl.log_lines(r"configuration reloaded"))
    ctl.proc.send_signal(1)  # SIGHUP
    ctl.wait_log(r"configuration reloaded", count=seen + 1)
    wait_for("the idle connection closed", lambda: closed(idle), timeout=10)
    idle.close()


def test_controller_stays_up():
    assert ctl.alive(), ctl.log()
    status, body = ctl.api("GET", "/health")
    assert status == 200, body
    log = ctl.log()
    assert "fatal" not in log.lower(), log


try:
    run([test_fleet_up, test_mbpoll_reads_every_fixed_point,
         test_heartbeat_increments, test_it_power_matches_rest,
         test_pymodbus_exceptions, test_bms_cap_is_met,
         test_curtailment_within_ramp_time, test_watchdog_reverts_and_alarms,
         test_facility_cooling_bounds_admission,
         test_slow_client_does_not_stall_another, test_16_clients_at_once,
         test_malformed_frames, test_connection_caps,
         test_bms_address_not_locked_out,
         test_readers_do_not_lock_the_bms_out,
         test_reload_reaches_the_server, test_controller_stays_up])
finally:
    for d in (fleet, ctl):
        d.stop()
    tmp.cleanup()
