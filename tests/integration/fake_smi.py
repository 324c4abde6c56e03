#!/usr/bin/env python3
"""A stand-in for a vendor's accelerator management tool (nvidia-smi,
npu-smi, xpu-smi), for the tests of the power/command plugin
(tests/unit/command_test.c, tests/integration/test_command_plugin.py).

    fake_smi.py --state DIR [--format json|csv] query
    fake_smi.py --state DIR [--format json|csv] [--interval-ms N] stream
    fake_smi.py --state DIR set-clock INDEX MHZ
    fake_smi.py --state DIR set-power INDEX WATTS

What it prints comes from files in DIR that the test writes:
- devices.json: a list of devices, each {"index", "power_w", "temp_c",
  "clock_mhz", "util_pct", "mem_used_mib", "energy_mj"}; a null value is
  printed as the tool's "N/A".
- mode: normal (default), hang (prints nothing and blocks until killed,
  with a child of its own in its process group; both pids go to
  DIR/hung.pids), garbage,
  exit3 (an error on stderr, status 3), slow (sleeps DIR/slow_s seconds
  first), partial (the output cut short: JSON in its middle, CSV's last
  line after its second column), big (a megabyte of output).
- set_mode: normal, or fail (set-* say "permission denied", status 4).
Every set-* appends "clock INDEX MHZ" or "power INDEX WATTS" to DIR/sets.log,
every run appends "COMMAND PID" (e.g. "query 4242") to DIR/runs.log as it
starts, and a stream appends a line to DIR/records.log after each record it
prints: a test counts the tool's runs and records, and waits on them.

JSON looks like a vendor's: {"data": {"gpus": [{"index": 0, "power_draw":
250.5, "temperature.gpu": 45, "clocks": {"sm": "1410 MHz"}, "util": "45 %",
"memory_used_mib": 1024, "energy_mj": 123456}]}}; CSV like nvidia-smi's
--format=csv: a header "index, power.draw [W], temperature.gpu,
clocks.sm [MHz], utilization.gpu [%], memory.used [MiB], energy [mJ]" and
lines "0, 250.50 W, 45, 1410 MHz, 45 %, 1024 MiB, 123456".
"""

import json
import os
import signal
import subprocess
import sys
import time


def read(state, name, default=""):
    try:
        with open(os.path.join(state, name)) as f:
            return f.read().strip()
    except OSError:
        return default


def append(state, name, line):
    with open(os.path.join(state, name), "a") as f:
        f.write(line + "\n")


def devices(state):
    try:
        return json.loads(read(state, "devices.json", "[]"))
    except ValueError:
        return []


def na(v, unit=""):
    if v is None:
        return "[N/A]"
    return ("%.2f" % v if isinstance(v, float) else str(v)) + unit


def render(state, fmt):
    devs = devices(state)
    if fmt == "json":
        out = []
        for d in devs:
            out.append({
                "index": d["index"],
                "power_draw": d.get("power_w") if d.get("power_w") is not None
                else "N/A",
                "temperature.gpu": d.get("temp_c"),
                "clocks": {"sm": na(d.get("clock_mhz"), " MHz")},
                "util": na(d.get("util_pct"), " %"),
                "memory_used_mib": d.get("mem_used_mib"),
                "energy_mj": d.get("energy_mj"),
            })
        return json.dumps({"data": {"gpus": out}}) + "\n"
    lines = ["index, power.draw [W], temperature.gpu, clocks.sm [MHz], "
             "utilization.gpu [%], memory.used [MiB], energy [mJ]"]
    for d in devs:
        lines.append(", ".join([
            str(d["index"]), na(d.get("power_w"), " W"), na(d.get("temp_c")),
            na(d.get("clock_mhz"), " MHz"), na(d.get("util_pct"), " %"),
            na(d.get("mem_used_mib"), " MiB"), na(d.get("energy_mj"))]))
    return "\n".join(lines) + "\n"


def hang(state):
    """A tool stuck in its driver: blocks until a signal ends it (no
    timer: only the plugin's kill ends this)."""
    child = subprocess.Popen(["sleep", "3600"])
    append(state, "hung.pids", "%d %d" % (os.getpid(), child.pid))
    while True:
        signal.pause()


def slow_start(state):
    """A tool slow to answer (mode slow): its own timing, not a test
    waiting."""
    time.sleep(float(read(state, "slow_s", "2")))


def between_records(interval_ms):
    """A stream's period: the tool's own timing, not a test waiting."""
    time.sleep(interval_ms / 1000.0)


def query(state, fmt):
    mode = read(state, "mode", "normal")
    if mode == "hang":
        hang(state)
    if mode == "exit3":
        sys.stderr.write("error: driver not loaded\nsecond line\n")
        sys.exit(3)
    if mode == "garbage":
        sys.stdout.write("Segmentation fault (core dumped)\n%%&&**\n")
        return
    if mode == "big":
        sys.stdout.write("x" * (1 << 20))
        return
    if mode == "slow":
        slow_start(state)
    text = render(state, fmt)
    if mode == "partial":
        # JSON cut in the middle; CSV with its last line cut after its
        # second column
        if fmt == "json":
            text = text[:len(text) // 2]
        else:
            lines = text.splitlines()
            last = ", ".join(lines[-1].split(", ")[:2])
            text = "\n".join(lines[:-1] + [last])
    sys.stdout.write(text)


def stream(state, fmt, interval_ms):
    header_done = False
    while True:
        mode = read(state, "mode", "normal")
        if mode == "hang":
            hang(state)
        if mode == "exit3":
            sys.stderr.write("error: driver not loaded\n")
            sys.exit(3)
        if mode == "garbage":
            sys.stdout.write("%%&&** garbage\n")
        else:
            text = render(state, fmt)
            if fmt == "json":
                sys.stdout.write(text)
            else:
                lines = text.splitlines(True)
                sys.stdout.write("".join(lines if not header_done
                                         else lines[1:]))
                header_done = True
        sys.stdout.flush()
        append(state, "records.log", mode)
        between_records(interval_ms)


def main():
    args = sys.argv[1:]
    state, fmt, interval_ms = None, "json", 200
    while args and args[0].startswith("--"):
        opt, val, args = args[0], args[1], args[2:]
        if opt == "--state":
            state = val
        elif opt == "--format":
            fmt = val
        elif opt == "--interval-ms":
            interval_ms = int(val)
    if state is None or not args:
        sys.stderr.write("usage: fake_smi.py --state DIR COMMAND\n")
        return 2
    cmd = args[0]
    append(state, "runs.log", "%s %d" % (cmd, os.getpid()))
    if cmd == "query":
        query(state, fmt)
    elif cmd == "stream":
        stream(state, fmt, interval_ms)
    elif cmd in ("set-clock", "set-power"):
        if read(state, "set_mode", "normal") == "fail":
            sys.stderr.write("set: permission denied\n")
            return 4
        append(state, "sets.log", "%s %s %s" % (cmd[4:], args[1], args[2]))
    else:
        sys.stderr.write("fake_smi.py: unknown command %s\n" % cmd)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
