"""What `cmake --install` lays down works on its own: the installed
daemons find their plugins and the dashboard relative to where they are,
and the man pages, units, examples and CDU maps are in place."""

import os
import subprocess
import urllib.request

from podtest import BUILD, TempDir, run, wait_for

tmp = TempDir("install")
prefix = os.path.join(tmp.path, "prefix")


def sh(*argv, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=120, **kw)


def test_install_tree():
    p = sh("cmake", "--install", BUILD, "--prefix", prefix)
    assert p.returncode == 0, p.stdout + p.stderr
    for path in ("sbin/pod-controllerd", "sbin/pod-agentd", "bin/podctl",
                 "bin/pod-fleetsim", "bin/pod-schedsim",
                 "lib/pod/power-sim.so", "lib/pod/cooling-sim.so",
                 "lib/pod/cooling-modbus.so", "share/pod/web/index.html",
                 "share/pod/cdu-maps/generic.map",
                 "share/man/man8/pod-controllerd.8", "share/man/man1/podctl.1",
                 "share/man/man5/pod-controllerd.conf.5",
                 "lib/systemd/system/pod-agentd.service",
                 "share/doc/pod/examples/controller.conf"):
        assert os.path.exists(os.path.join(prefix, path)), path


def test_installed_agent_finds_its_plugins():
    conf = tmp.file("agent.conf", "[agent]\nname = pod01-n001\n"
                    "state_dir = %s\n[power]\nplugin = sim\n"
                    "[cooling]\nplugin = sim\n" % tmp.path)
    env = dict(os.environ)
    env.pop("POD_PLUGIN_DIR", None)
    p = sh(os.path.join(prefix, "sbin/pod-agentd"), "-n", "-c", conf,
           env=env)
    assert p.returncode == 0, p.stdout + p.stderr


def test_installed_controller_serves_the_dashboard():
    conf = tmp.file("ctl.conf", "[controller]\nlisten = 127.0.0.1:0\n"
                    "database = %s/ctl.db\n" % tmp.path)
    log = open(os.path.join(tmp.path, "ctl.log"), "w")
    proc = subprocess.Popen([os.path.join(prefix, "sbin/pod-controllerd"),
                             "-c", conf], stdout=log, stderr=subprocess.STDOUT)
    try:
        def url():
            with open(log.name) as f:
                for line in f:
                    if "REST API listening on " in line:
                        return line.split("listening on ")[1].split(
                            "/api/v1")[0]
            return None
        base = wait_for("the installed controller", url)
        with urllib.request.urlopen(base + "/", timeout=10) as r:
            page = r.read().decode()
        assert "<html" in page.lower(), page[:200]
    finally:
        proc.terminate()
        rc = proc.wait(10)
        log.close()
    assert rc == 0, "the installed controller stopped with %d" % rc


try:
    run([test_install_tree, test_installed_agent_finds_its_plugins,
         test_installed_controller_serves_the_dashboard])
finally:
    tmp.cleanup()
