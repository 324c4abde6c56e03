"""The dashboard end to end in a real browser: a controller (storing a
sample of every node each second) and pod-fleetsim (one pod of 128 nodes, a
leak on pod01-n005) on loopback, and tests/browser/dashboard.test.js driving
Debian's Chromium through playwright-core with the first node on PATH (Node
18, as Debian 12 has, or newer; tools/browser-node18 runs it with Node 18).
Installs the npm packages (npm ci) when they are missing; never downloads a
browser. Screenshots of every view go to $POD_BUILD_DIR/tests/out/dashboard/.
The page signs in with tokens podtest makes: the controller's bootstrap
admin (root), an operator (otto) and a viewer (vera)."""

import os
import shutil
import subprocess
import sys

from podtest import BUILD, SOURCE, Controller, Fleetsim, TempDir, binary, \
    npm_ci, wait_for

BROWSER_DIR = os.path.join(SOURCE, "tests", "browser")
CHROMIUM = os.environ.get("POD_CHROMIUM", "/usr/bin/chromium")
SHOTS = os.path.join(BUILD, "tests", "out", "dashboard")


def fail(msg):
    print(msg, flush=True)
    print("0 passed, 1 failed")
    sys.exit(1)


def main():
    for tool, hint in ((CHROMIUM, "chromium"), ("node", "nodejs"),
                       ("npm", "npm")):
        if shutil.which(tool) is None:
            fail("%s not found: run scripts/install-deps --test (%s)"
                 % (tool, hint))
    try:
        npm_ci(BROWSER_DIR, env={"PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD": "1"})
    except AssertionError as e:
        fail(str(e))
    os.makedirs(SHOTS, exist_ok=True)
    tmp = TempDir("dashboard")
    ctl = fleet = None
    try:
        # a sample of every node stored each second, so that the node
        # view's last hour has points soon
        ctl = Controller(tmp, heartbeat_s=5,
                         extra="store_interval_s = 1\n"
                         "[auth]\nanonymous_read = true\n").start()
        fleet = Fleetsim(tmp, ctl.url, args=[
            "--load", "0.5", "--fault", "pod01-n005:leak@5"]).start()
        wait_for("128 nodes up", lambda: ctl.api("GET", "/status")[1][
            "nodes"]["up"] == 128, timeout=30)
        wait_for("stored samples of pod01-n001", lambda: any(
            p["power_w"] is not None for p in ctl.api(
                "GET", "/telemetry?node=pod01-n001&step=30")[1]["points"]),
            timeout=30)
        wait_for("the leak alarm", lambda: any(
            a["kind"] == "leak" and a["object"] == "pod01-n005"
            for a in ctl.api("GET", "/alarms")[1]["alarms"]), timeout=30)
        env = dict(os.environ, POD_URL=ctl.url, POD_PODCTL=binary("podctl"),
                   POD_SHOTS=SHOTS, POD_WEB_DIR=os.path.join(SOURCE, "web"),
                   POD_CHROMIUM=CHROMIUM,
                   POD_ADMIN_TOKEN=ctl.admin_token,
                   POD_OPERATOR_TOKEN=ctl.token("otto", "operator"),
                   POD_VIEWER_TOKEN=ctl.token("vera", "viewer"))
        p = subprocess.run(["node", os.path.join(BROWSER_DIR,
                                                 "dashboard.test.js")],
                           env=env, timeout=240)
        rc = p.returncode
    except Exception as e:  # the daemons did not come up
        print("FAIL setup: %s" % e, flush=True)
        if ctl is not None:
            print(ctl.log()[-3000:])
        print("0 passed, 1 failed")
        rc = 1
    finally:
        for d in (fleet, ctl):
            if d is not None:
                d.stop()
        tmp.cleanup()
    sys.exit(rc)


if __name__ == "__main__":
    main()
