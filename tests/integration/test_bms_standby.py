"""The BMS Modbus server of two controllers on one PostgreSQL database
(docs/modbus.md, "Active and standby controllers"), run under pgserver.py,
driven by clients nobody here wrote (mbpoll, Debian's pymodbus 3.0) and a
pod-fleetsim given both controllers:

- the standby serves the map before it has loaded any state: its
  controller_state reads 5 (standby), measured values their unavailable
  markers with the stale bits set, the config's totals as they are, and
  its heartbeat counts, while the active one reads real values;
- every write to the standby (FC 05, 06, 16; pymodbus and mbpoll) gets
  exception 06 and is neither applied nor stored, logged once per
  connection;
- the active one is killed (SIGKILL): the standby takes over, its
  controller_state leaves 5 on the very connection the BMS opened to the
  standby, it shows the setting the BMS wrote to the first (not the one it
  refused), and a write within bounds applies (podctl power get);
- PostgreSQL stopped: the active controller, lost, reads 5 again and
  refuses writes with 06 until the server is back; then writes apply.
"""

import json
import os
import re
import signal
import subprocess

from podtest import (Controller, Fleetsim, TempDir, modbus_tcp_client,
                     pg_database, pg_server, podctl, run, wait_for)

if not os.environ.get("POD_TEST_PG"):
    print("skip: needs a PostgreSQL server (run under pgserver.py)")
    raise SystemExit(77)

ModbusTcpClient = modbus_tcp_client()

NODES = 8
STANDBY, BUSY = 5, 6  # controller_state value; exception code
STALE_STANDBY = 0x6F  # power, temperature, flow, partial, supply, cooling
REFUSED = r"writes refused \(exception 06\)"
EXTRA = ("leader_lease_s = 1\n[fabric]\nnodes_per_pod = %d\n"
         "groups_per_pod = 2\n"
         "[modbus]\nlisten = 127.0.0.1:0\nallow_write = 127.0.0.1\n"
         % NODES)
tmp = TempDir("bms_standby")
db = pg_database("bms_standby")
first = Controller(tmp, name="first", database=db, extra=EXTRA).start()
second = Controller(tmp, name="second", database=db, extra=EXTRA,
                    standby=first).start()
fleet = Fleetsim(tmp, "%s,%s" % (first.url, second.url), nodes=NODES,
                 args=["--load", "0.35", "--interval-ms", "500"]).start()


def modbus_port(ctl):
    return int(wait_for("%s's Modbus server" % ctl.name, lambda: re.findall(
        r"BMS Modbus TCP listening on 127\.0\.0\.1:(\d+)", ctl.log()))[0])


PORT = {c.name: modbus_port(c) for c in (first, second)}


def mbpoll_read(ctl, table, ref, count):
    """Reads once with mbpoll (0-based refs); returns {ref: value}."""
    argv = ["mbpoll", "-m", "tcp", "-p", str(PORT[ctl.name]), "-a", "1",
            "-0", "-1", "-o", "2", "-t", table, "-r", str(ref), "-c",
            str(count), "127.0.0.1"]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (argv, p.stdout, p.stderr)
    return {int(r): int(v) for r, v in
            re.findall(r"^\[(\d+)\]:\s+(-?\d+)", p.stdout, re.M)}


def mbpoll_write(ctl, ref, value):
    """Writes one holding register with mbpoll; the CompletedProcess."""
    argv = ["mbpoll", "-m", "tcp", "-p", str(PORT[ctl.name]), "-a", "1",
            "-0", "-1", "-o", "2", "-t", "4", "-r", str(ref), "127.0.0.1",
            str(value)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=30)


def client(ctl):
    c = ModbusTcpClient("127.0.0.1", port=PORT[ctl.name], timeout=3,
                        retries=0)
    assert c.connect()
    return c


def ir(c, addr, count=1):
    r = c.read_input_registers(addr, count, slave=1)
    assert not r.isError(), r
    return r.registers


def hr(c, addr, count=1):
    r = c.read_holding_registers(addr, count, slave=1)
    assert not r.isError(), r
    return r.registers


def busy(r):
    return r.isError() and getattr(r, "exception_code", None) == BUSY


def power(ctl):
    rc, out, err = podctl(ctl.url, "-o", "json", "power", "get")
    assert rc == 0, err
    return json.loads(out)


bms = None  # the BMS's connection to the standby, kept through takeover


def test_standby_serves_the_map():
    wait_for("the first to lead", lambda: first.role() == "active")
    wait_for("the second to stand by", lambda: second.role() == "standby")
    wait_for("the nodes on the first", lambda: first.nodes_up() == NODES,
             timeout=30)
    wait_for("real values on the active one", lambda: mbpoll_read(
        first, "3", 0, 27)[5] < 65535)
    active = mbpoll_read(first, "3", 0, 27)
    assert active[2] != STANDBY and active[9] == NODES, active
    inputs = mbpoll_read(second, "3", 0, 27)
    assert sorted(inputs) == list(range(27)), inputs
    assert inputs[2] == STANDBY and inputs[1] == 1, inputs
    assert inputs[4] == STALE_STANDBY, inputs
    # measured: the markers; counted: 0; configured: as configured
    for r in (5, 6, 8, 22, 23):
        assert inputs[r] == 65535, (r, inputs)
    for r in (7, 20, 21, 25, 26):
        assert inputs[r] == 32768, (r, inputs)
    assert inputs[12] == inputs[13] == inputs[14] == 65535, inputs
    assert inputs[9] == 0 and inputs[11] == 0 and inputs[19] == 0, inputs
    assert inputs[10] == NODES and inputs[18] == 1, inputs
    pod = mbpoll_read(second, "3", 100, 20)
    assert pod[100] == 0x0F and pod[102] == NODES and pod[106] == 850, pod
    assert pod[101] == 0 and pod[104] == 65535, pod
    holding = mbpoll_read(second, "4", 0, 18)
    assert holding[0] == holding[1] == holding[8] == 65535, holding
    assert holding[6] == 32768 and holding[4] == 0, holding
    assert mbpoll_read(second, "1", 0, 11) == {i: 0 for i in range(11)}
    # alive: its heartbeat counts while it stands by
    c = client(second)
    h0 = ir(c, 0)[0]
    wait_for("the standby's heartbeat to count", lambda: ir(c, 0)[0] != h0,
             timeout=10)
    c.close()


def test_standby_refuses_writes():
    global bms
    # the BMS sets a cap through the active controller
    assert mbpoll_write(first, 0, 700).returncode == 0
    got = power(first)
    assert got["cap_w"] == 700000 and got["source"] == "bms", got
    bms = client(second)
    assert busy(bms.write_register(0, 600, slave=1))
    assert busy(bms.write_registers(0, [600, 10], slave=1))
    assert busy(bms.write_coil(0, True, slave=1))
    r = bms.write_register(1, 101, slave=1)  # out of range: checked first
    assert r.isError() and r.exception_code == 3, r
    assert hr(bms, 0)[0] == 65535 and ir(bms, 2)[0] == STANDBY
    # one line for the connection, saying why
    line = second.wait_log(REFUSED)
    assert "this controller is the standby; the active one is" in line, line
    assert len(second.log_lines(REFUSED)) == 1, second.log_lines(REFUSED)
    p = mbpoll_write(second, 0, 600)
    assert p.returncode != 0 and "busy" in p.stderr.lower(), p.stderr
    second.wait_log(REFUSED, count=2)  # mbpoll's own connection
    # nothing moved on the active one either
    got = power(first)
    assert got["cap_w"] == 700000 and got["source"] == "bms", got
    assert mbpoll_read(first, "4", 0, 1) == {0: 700}


def test_takeover():
    first.stop(signal.SIGKILL)
    wait_for("the second to lead", lambda: second.role() == "active",
             timeout=30)
    # the BMS's connection to the standby is served as the active one's
    wait_for("controller_state to leave standby",
             lambda: ir(bms, 2)[0] != STANDBY, timeout=10)
    # what the BMS wrote to the first, not what the standby refused
    assert hr(bms, 0)[0] == 700 and hr(bms, 8)[0] == 700
    r = bms.write_register(0, 650, slave=1)
    assert not r.isError(), r
    assert hr(bms, 0)[0] == 650 and hr(bms, 8)[0] == 650
    got = power(second)
    assert got["cap_w"] == 650000 and got["source"] == "bms", got
    wait_for("the nodes on the second", lambda: second.nodes_up() == NODES,
             timeout=30)
    wait_for("IT power on the second", lambda: ir(bms, 5)[0] < 65535)
    assert ir(bms, 2)[0] != STANDBY


def test_lost_refuses_writes():
    pg = pg_server()
    c = client(second)
    pg.pause()
    try:
        wait_for("the second to say it lost the database",
                 lambda: second.role() == "lost", timeout=30)
        wait_for("controller_state standby", lambda: ir(c, 2)[0] == STANDBY,
                 timeout=10)
        assert busy(c.write_register(0, 600, slave=1))
        assert busy(c.write_register(4, 1, slave=1))  # heartbeat too
        line = second.wait_log(REFUSED + " until this controller can "
                               "confirm")
        assert len(second.log_lines(REFUSED)) == 3, second.log_lines(REFUSED)
        assert hr(c, 0)[0] == 650, line
    finally:
        pg.resume()
    wait_for("the second back", lambda: second.role() == "active",
             timeout=30)
    wait_for("controller_state to leave standby",
             lambda: ir(c, 2)[0] != STANDBY, timeout=10)
    assert power(second)["cap_w"] == 650000
    r = c.write_register(0, 600, slave=1)
    assert not r.isError(), r
    assert power(second)["cap_w"] == 600000
    c.close()


try:
    run([test_standby_serves_the_map, test_standby_refuses_writes,
         test_takeover, test_lost_refuses_writes])
finally:
    if bms is not None:
        bms.close()
    fleet.stop()
    second.stop()
    first.stop()
    tmp.cleanup()
