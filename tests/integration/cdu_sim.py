"""A simulated generic CDU for test_cdu_plugin.py: pymodbus 3.0 (Debian's
python3-pymodbus, run by /usr/bin/python3) holding and serving the registers
of plugins/cooling/modbus/maps/generic.map, over Modbus TCP or, through a pty
(socat), Modbus RTU.

    cdu_sim.py [--port N] [--unit N]        Modbus TCP on 127.0.0.1:N (0: any)
    cdu_sim.py --rtu DEVICE [--unit N]      Modbus RTU on a serial device

It prints "ready PORT" (TCP) or "ready" (RTU) once it serves, then reads
commands on stdin, one per line, answering "ok" to each:

    ir ADDR V [V...]    set input registers from ADDR
    hr ADDR V [V...]    set holding registers
    di ADDR V [V...]    set discrete inputs
    co ADDR V [V...]    set coils

Input registers 0-9 and discrete inputs 0-1 exist; reading past them gets
exception 02, as on a real CDU. Only the configured unit id answers. Values
(docs/cdu.md, "The generic CDU"): supply 30.5 C, return 40.2 C, flow
1234.56 L/min, 150.0 kPa, pump 62.5 %, 250 kW of capacity, no alarm, drip
tray dry.

pymodbus' datastore holds the registers and its ServerDecoder decodes and
executes each request; the framing (MBAP for TCP, CRC-checked frames cut by
inter-frame silence for RTU) is done here, because pymodbus' server module
imports pyserial, which Debian's python3-pymodbus only recommends, and its
serial server needs pyserial-asyncio, which Debian does not package."""

import argparse
import logging
import os
import select
import socketserver
import struct
import sys
import threading
import tty

from pymodbus.datastore import ModbusSequentialDataBlock, ModbusSlaveContext
from pymodbus.factory import ServerDecoder
from pymodbus.utilities import computeCRC

# 30.5, 40.2, 123456 (CDAB), 1500, 625, 250.0f (ABCD), alarms, spare
INPUT = [305, 402, 0xE240, 0x0001, 1500, 625, 0x437A, 0x0000, 0, 0]
DISCRETE = [0, 0]
TABLES = {"ir": 4, "hr": 3, "di": 2, "co": 1}
DECODER = ServerDecoder()


def make_slave():
    return ModbusSlaveContext(
        di=ModbusSequentialDataBlock(0, list(DISCRETE)),
        co=ModbusSequentialDataBlock(0, [0] * 2),
        hr=ModbusSequentialDataBlock(0, [0] * 10),
        ir=ModbusSequentialDataBlock(0, list(INPUT)),
        zero_mode=True)


def commands(slave):
    """Applies stdin commands to the datastore until EOF."""
    for line in sys.stdin:
        words = line.split()
        if not words:
            continue
        if words[0] == "quit":
            break
        try:
            fc = TABLES[words[0]]
            addr = int(words[1], 0)
            values = [int(w, 0) for w in words[2:]]
            slave.setValues(fc, addr, values)
            print("ok", flush=True)
        except (KeyError, IndexError, ValueError) as e:
            print("error %r" % e, flush=True)
    os._exit(0)


def answer(slave, unit, pdu):
    """The response PDU to a request PDU, or None for no answer."""
    req = DECODER.decode(pdu)
    if req is None:
        return None
    resp = req.execute(slave)
    resp.unit_id = unit
    return struct.pack(">B", resp.function_code) + resp.encode()


def serve_tcp(slave, unit, port):
    class Handler(socketserver.BaseRequestHandler):
        def handle(self):
            buf = b""
            while True:
                data = self.request.recv(260)
                if not data:
                    return
                buf += data
                while len(buf) >= 7:
                    tid, pid, length, uid = struct.unpack(">HHHB", buf[:7])
                    if pid != 0 or length < 2 or length > 254:
                        return
                    if len(buf) < 6 + length:
                        break
                    pdu, buf = buf[7:6 + length], buf[6 + length:]
                    if uid != unit:
                        continue
                    out = answer(slave, unit, pdu)
                    if out is not None:
                        self.request.sendall(struct.pack(
                            ">HHHB", tid, 0, len(out) + 1, uid) + out)

    socketserver.ThreadingTCPServer.allow_reuse_address = True
    socketserver.ThreadingTCPServer.daemon_threads = True
    server = socketserver.ThreadingTCPServer(("127.0.0.1", port), Handler)
    print("ready %d" % server.server_address[1], flush=True)
    server.serve_forever()


def serve_rtu(slave, unit, device):
    fd = os.open(device, os.O_RDWR | os.O_NOCTTY)
    tty.setraw(fd)
    print("ready", flush=True)
    buf = b""
    while True:
        # A frame ends with a silence; 20 ms is generous at 19200 bit/s.
        ready, _, _ = select.select([fd], [], [], 0.02 if buf else None)
        if ready:
            buf += os.read(fd, 256)
            continue
        frame, buf = buf, b""
        if len(frame) < 4 or frame[0] != unit:
            continue
        body, crc = frame[:-2], struct.unpack(">H", frame[-2:])[0]
        if computeCRC(body) != crc:
            continue
        out = answer(slave, unit, body[1:])
        if out is not None:
            packet = struct.pack(">B", unit) + out
            os.write(fd, packet + struct.pack(">H", computeCRC(packet)))


def main():
    # Exception answers are part of the job here, not errors.
    logging.getLogger("pymodbus").setLevel(logging.CRITICAL)
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rtu")
    ap.add_argument("--unit", type=int, default=1)
    args = ap.parse_args()
    slave = make_slave()
    threading.Thread(target=commands, args=(slave,), daemon=True).start()
    if args.rtu:
        serve_rtu(slave, args.unit, args.rtu)
    else:
        serve_tcp(slave, args.unit, args.port)


if __name__ == "__main__":
    main()
