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
    # nothing outside the prefix: the packages' /etc/pod configs are theirs
    for line in p.stdout.splitlines():
        if line.startswith(("-- Installing: ", "-- Up-to-date: ")):
            path = line.split(": ", 1)[1]
            assert path.startswith(prefix + "/"), line
    for path in ("include/pod/plugin.h", "include/pod/plugin_util.h",
                 "sbin/pod-controllerd", "sbin/pod-agentd", "bin/podctl",
                 "bin/pod-fleetsim", "bin/pod-schedsim",
                 "lib/pod/power-sim.so", "lib/pod/cooling-sim.so",
                 "lib/pod/cooling-modbus.so", "share/pod/web/index.html",
                 "share/pod/cdu-maps/generic.map",
                 "share/man/man8/pod-controllerd.8", "share/man/man1/podctl.1",
                 "share/man/man5/pod-controllerd.conf.5",
                 "lib/systemd/system/pod-agentd.service",
                 "lib/systemd/system/pod-controllerd.service",
                 "lib/sysusers.d/pod.conf", "lib/tmpfiles.d/pod.conf",
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


HELLO_PLUGIN = r"""
/* A power plugin built outside the tree against the installed ABI. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <pod/plugin.h>
#include <pod/plugin_util.h>

struct hello {
	double watts;
};

static struct hello the; /* one node per agent in this test */

static int
hello_init(const struct pod_host *host, void **ctx)
{
	int i;

	the.watts = 100;
	for (i = 0; i < host->nconf; i++) {
		if (strcmp(host->conf[i].key, "watts") != 0 ||
		    pod_parse_real(host->conf[i].value, &the.watts) == -1) {
			host->log(host, POD_LOG_ERROR, "%s: hello: bad %s = %s",
			    host->conf[i].where, host->conf[i].key,
			    host->conf[i].value);
			return -1;
		}
	}
	*ctx = &the;
	return 0;
}

static void
hello_fini(void *ctx)
{
}

static int
hello_devices(void *ctx, struct pod_device *out, int max)
{
	memset(out, 0, sizeof(*out));
	snprintf(out->name, sizeof(out->name), "accel0");
	snprintf(out->model, sizeof(out->model), "HELLO-1");
	out->domain = POD_DOMAIN_ACCEL;
	out->caps = POD_F_POWER;
	return 1;
}

static int
hello_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	memset(out, 0, sizeof(*out));
	out->valid = POD_F_POWER;
	out->t_ms = pod_clock_ms(CLOCK_REALTIME);
	out->power_w = ((struct hello *)ctx)->watts;
	return 0;
}

static const struct pod_plugin_ops hello_ops = {
    .devices = hello_devices, .read = hello_read};

const struct pod_plugin pod_plugin = {.abi = POD_PLUGIN_ABI,
    .kind = "power", .name = "hello", .description = "out of tree",
    .init = hello_init, .fini = hello_fini, .ops = &hello_ops};
"""


def test_plugin_builds_outside_the_tree():
    """The installed ABI header, helpers and pkg-config file are enough to
    build a plugin the installed agent loads and starts."""
    pcdirs = [os.path.join(root, d) for root, dirs, _ in os.walk(prefix)
              for d in dirs if d == "pkgconfig"]
    assert pcdirs, "no pkgconfig folder under the install prefix"
    env = dict(os.environ, PKG_CONFIG_PATH=":".join(pcdirs))
    p = sh("pkg-config", "--cflags", "--libs", "pod-plugin", env=env)
    assert p.returncode == 0, p.stderr
    flags = p.stdout.split()
    includes = [os.path.normpath(f[2:]) for f in flags if f[:2] == "-I"]
    assert includes == [os.path.join(prefix, "include")], flags
    plugdir = os.path.join(tmp.path, "plugins")
    os.makedirs(plugdir)
    src = tmp.file("hello.c", HELLO_PLUGIN)
    p = sh("cc", "-Wall", "-Werror", "-shared", "-fPIC", "-o",
           os.path.join(plugdir, "power-hello.so"), src, *flags)
    assert p.returncode == 0, p.stdout + p.stderr
    for watts, ok in (("123.5", True), ("lots", False)):
        conf = tmp.file("hello.conf", "[agent]\nname = pod01-n001\n"
                        "state_dir = %s\nplugin_dir = %s\n"
                        "[power]\nplugin = hello\nwatts = %s\n"
                        % (tmp.path, plugdir, watts))
        p = sh(os.path.join(prefix, "sbin/pod-agentd"), "-n", "-c", conf)
        if ok:
            assert p.returncode == 0, p.stdout + p.stderr
            assert "configuration OK" in p.stderr, p.stderr
        else:
            assert p.returncode == 1, (p.returncode, p.stderr)
            assert "hello.conf:7: hello: bad watts = lots" in p.stderr, \
                p.stderr


try:
    run([test_install_tree, test_installed_agent_finds_its_plugins,
         test_installed_controller_serves_the_dashboard,
         test_plugin_builds_outside_the_tree])
finally:
    tmp.cleanup()
