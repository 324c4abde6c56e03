"""The controller when another process holds its SQLite file locked (a full
disk is test_disk_full.py). The event loop keeps answering
from memory, agents stay up, a write that cannot be committed is refused
with 503 and Retry-After (never acknowledged), samples wait in memory and
are written when the database comes back, and the log says what happened
once, without misleading lines."""

import sqlite3
import time

from podtest import (Controller, Fleetsim, TempDir, health_answers,
                     podctl, run, wait_for)

tmp = TempDir("store-faults")


def down_alarms(ctl):
    return [a for a in ctl.api("GET", "/alarms")[1]["alarms"]
            if a["kind"] == "node_down"]


def test_a_locked_database_does_not_stall_the_loop():
    ctl = Controller(tmp, heartbeat_s=3, name="locked",
                     extra="store_interval_s = 1\n").start()
    fleet = Fleetsim(tmp, ctl.url, nodes=128).start()
    try:
        wait_for("128 nodes up", lambda: ctl.nodes_up() == 128)
        lock = sqlite3.connect(ctl.db, timeout=0, isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        locked_ms = int(time.time() * 1000)
        # the sample writer gives up after its busy timeout (5 s, longer
        # than the 3 s heartbeat): meanwhile the loop must keep serving
        def writer_gave_up():
            assert health_answers(ctl) and ctl.alive(), ctl.log()
            return "cannot write samples" in ctl.log()
        wait_for("the sample writer to give up", writer_gave_up)
        status, headers, body = ctl.drain("pod01-n001")
        assert status == 503, (status, body)
        assert headers["Retry-After"] == "1", headers
        assert "locked by another process" in body, body
        assert "nothing was changed" in body, body
        rc, out, err = podctl(ctl.url, "node", "drain", "pod01-n002",
                              "--reason", "x")
        assert rc != 0 and "locked by another process" in err, (rc, err)
        assert ctl.nodes_up() == 128, "nodes declared down while locked"
        assert down_alarms(ctl) == [], down_alarms(ctl)
        assert ctl.api("GET", "/nodes/pod01-n001")[1]["state"] != \
            "drained"
        unlocked_ms = int(time.time() * 1000)
        lock.execute("ROLLBACK")
        lock.close()
        ctl.wait_log("samples are written again")
        status, _, body = ctl.drain("pod01-n001")
        assert status == 200, (status, body)
        # what arrived while the file was locked was kept and written
        pts = ctl.api("GET", "/telemetry?node=pod01-n003&step=1&from=%d"
                      "&to=%d" % (locked_ms + 1000, unlocked_ms))[1]
        assert len(pts["points"]) >= 3, pts
        assert ctl.log().count("cannot write samples") == 1, ctl.log()
    finally:
        fleet.stop()
        ctl.stop()


run([test_a_locked_database_does_not_stall_the_loop])
