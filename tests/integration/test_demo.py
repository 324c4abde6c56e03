"""scripts/demo as a user runs it, on ports from the environment: the
controller and 128 simulated nodes come up there, and when the controller
dies the demo says so loudly with its last log lines and exits non-zero.
The script runs from a scratch copy of the tree whose scripts/build is a
no-op and whose build/ is this build, so it neither rebuilds nor writes
state/ into the source tree."""

import os
import shutil
import signal
import socket
import subprocess

from podtest import BUILD, SOURCE, TempDir, free_port, http, run, wait_for

tmp = TempDir("demo")
demo = None
out_path = tmp.file("demo.out")


def output():
    with open(out_path) as f:
        return f.read()


def cmdline(pid):
    """The command line of process pid, words joined by spaces ("" once it
    is gone)."""
    try:
        with open("/proc/%s/cmdline" % pid, "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def setup_tree():
    os.makedirs(os.path.join(tmp.path, "scripts"))
    shutil.copy(os.path.join(SOURCE, "scripts", "demo"),
                os.path.join(tmp.path, "scripts", "demo"))
    tmp.file("scripts/build", "#!/bin/sh\nexit 0\n")
    os.chmod(os.path.join(tmp.path, "scripts", "build"), 0o755)
    os.symlink(BUILD, os.path.join(tmp.path, "build"))


PORT = free_port()
MBPORT = free_port()


def test_demo_runs_on_the_ports_from_the_environment():
    global demo
    setup_tree()
    env = dict(os.environ, POD_PORT=str(PORT), POD_MODBUS_PORT=str(MBPORT))
    demo = subprocess.Popen(["sh", os.path.join(tmp.path, "scripts", "demo")],
                            stdout=open(out_path, "w"),
                            stderr=subprocess.STDOUT, env=env,
                            cwd=tmp.path, start_new_session=True)
    url = "http://127.0.0.1:%d" % PORT
    wait_for("128 simulated nodes up on port %d" % PORT,
             lambda: http("GET", url + "/api/v1/health")[1]["nodes_up"] == 128,
             timeout=60)
    assert "Dashboard: %s/" % url in output(), output()
    assert "127.0.0.1:%d" % MBPORT in output(), output()
    with socket.create_connection(("127.0.0.1", MBPORT), timeout=5):
        pass  # the BMS port is where it was asked for
    assert os.path.exists(os.path.join(tmp.path, "state", "controller.db"))
    # the admin token the demo made, as its banner says to use it
    with open(os.path.join(tmp.path, "state", "admin.token")) as f:
        token = f.read().strip()
    assert "state/admin.token" in output(), output()
    code, who = http("GET", url + "/api/v1/whoami", token=token)
    assert code == 200 and who["role"] == "admin", (code, who)
    assert http("GET", url + "/api/v1/pods", token="")[0] == 401


def test_a_dead_controller_is_announced():
    ctl = os.path.join(tmp.path, "build", "bin", "pod-controllerd") + " -c"
    found = [pid for pid in os.listdir("/proc")
             if pid.isdigit() and cmdline(pid).startswith(ctl)]
    assert len(found) == 1, found
    os.kill(int(found[0]), signal.SIGKILL)
    rc = demo.wait(timeout=30)
    text = output()
    assert rc == 1, (rc, text)
    banner, _, after = text.partition("*** pod-controllerd stopped "
                                      "unexpectedly")
    assert after, text
    with open(os.path.join(tmp.path, "state", "controller.log")) as f:
        last = f.read().strip().splitlines()[-1]
    assert "***   " + last in after, (last, after)
    assert "stopped." in after, text


try:
    run([test_demo_runs_on_the_ports_from_the_environment,
         test_a_dead_controller_is_announced])
finally:
    if demo is not None and demo.poll() is None:
        os.killpg(demo.pid, signal.SIGTERM)
        demo.wait(timeout=30)
    tmp.cleanup()
