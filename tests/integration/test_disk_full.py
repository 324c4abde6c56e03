"""The controller on a full disk: its database on a small tmpfs that the
test fills. Writes are refused with 503 saying the disk is full (nothing
acknowledged), the loop and the agents carry on, the log says so without
misleading "cannot rollback" lines, and everything is written again once
space is freed. Mounting needs root: without it the test is skipped (exit
77), as it is not on CI, which runs as root."""

import errno
import os
import subprocess

from podtest import (Controller, Fleetsim, TempDir, health_answers,
                     run, wait_for)

tmp = TempDir("disk-full")


def mount_tmpfs(path, size):
    os.makedirs(path, exist_ok=True)
    p = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=%s" % size,
                        "tmpfs", path], capture_output=True, text=True)
    return p.returncode == 0, p.stderr.strip()


def fill(path):
    """Writes a file until the file system is full (it may be already);
    returns its name."""
    name = os.path.join(path, "filler")
    try:
        with open(name, "wb") as f:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
    except OSError as e:
        if e.errno != errno.ENOSPC:
            raise
    return name


def test_a_full_disk_is_said_plainly():
    mnt = os.path.join(tmp.path, "small-disk")
    ok, why = mount_tmpfs(mnt, "8m")
    if not ok:
        print("skip: cannot mount a small tmpfs (%s)" % why)
        raise SystemExit(77)
    try:
        db = os.path.join(mnt, "full.db")
        ctl = Controller(tmp, heartbeat_s=3, name="full",
                         extra="").start()
        ctl.stop()
        # the same controller on the small disk
        with open(ctl.conf) as f:
            text = f.read().replace(ctl.db, db)
        with open(ctl.conf, "w") as f:
            f.write(text)
        ctl.db = db
        os.remove(ctl.token_file)  # a new database: a new first admin
        ctl.start()
        fleet = Fleetsim(tmp, ctl.url, nodes=128).start()
        try:
            wait_for("128 nodes up", lambda: ctl.nodes_up() == 128)
            filler = fill(mnt)
            ctl.wait_log("cannot write samples")
            # a write may still land in WAL pages SQLite already holds on
            # the disk; one that needs more of it is refused, plainly
            for i in range(2, 129):
                status, headers, body = ctl.drain("pod01-n%03d" % i)
                if status != 200:
                    break
            assert status == 503, (status, body)
            assert "disk is full" in body, body
            assert headers["Retry-After"] == "1", headers
            assert health_answers(ctl)
            assert ctl.nodes_up() == 128
            assert "cannot rollback" not in ctl.log(), ctl.log()
            assert "database or disk is full" in ctl.log(), ctl.log()
            os.unlink(filler)
            ctl.wait_log("samples are written again")
            status, _, body = ctl.drain("pod01-n001")
            assert status == 200, (status, body)
            assert "cannot rollback" not in ctl.log(), ctl.log()
        finally:
            fleet.stop()
            ctl.stop()
    finally:
        subprocess.run(["umount", "-l", mnt])


run([test_a_full_disk_is_said_plainly])
