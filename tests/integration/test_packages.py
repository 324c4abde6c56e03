"""The Debian packages install like real software. scripts/package builds
them (a Release build for the prefix /usr in a temporary folder, then
cpack); dpkg-deb shows each one's files (FHS paths, nothing in
/usr/local, every plugin with the agent) and control fields (architecture,
dependencies, conffiles, maintainer scripts). Then, as root only, they are
installed on this machine with dpkg -i: the daemons run from /usr/sbin on a
test config (loopback ports, state in a temporary folder, plugins from
their installed folder), /usr/bin/podctl sees the node up, a plugin builds
against the installed header with pkg-config, `systemd-analyze verify`
passes on the installed units, a reinstall keeps an edited conffile, and
dpkg --purge leaves none of their files or state (the user pod stays, as
Debian does with system users). Not root: the install part is skipped
(exit 77) once the rest passed.

Installing touches /usr, /etc/pod and /var/lib/pod{,-agent} only, and the
test refuses to (skips) if any of them holds something it did not put
there; a lock file keeps two runs of it from installing at once. Whatever
fails, the packages are purged at the end."""

import fcntl
import os
import re
import shutil
import subprocess
import sys
import urllib.request

from podtest import BUILD, SOURCE, Agent, Controller, TempDir, run, wait_for

for tool in ("dpkg-deb", "dpkg-shlibdeps", "cpack", "dpkg"):
    if shutil.which(tool) is None:
        print("SKIP: no %s (scripts/install-deps)" % tool)
        sys.exit(77)

# The packages are a Release build of their own, whatever this build is:
# the sanitizer run (scripts/test-sanitize) would only build and test them
# a second time.
with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
    if re.search(r"^POD_SANITIZE:STRING=.+$", f.read(), re.M):
        print("SKIP: packages are built and tested by the plain build")
        sys.exit(77)

PACKAGES = ("superpod-controller", "superpod-agent", "superpod-cli",
            "superpod-tools", "superpod-plugin-dev")
LOCK = os.path.join("/run/lock" if os.path.isdir("/run/lock") else "/tmp",
                    "superpod-test-packages.lock")
# What the install may create or replace on this machine: the test runs it
# only where none of them is there already.
OURS = ("/usr/sbin/pod-controllerd", "/usr/sbin/pod-agentd", "/usr/bin/podctl",
        "/usr/bin/pod-fleetsim", "/usr/bin/pod-schedsim", "/usr/include/pod",
        "/etc/pod", "/var/lib/pod", "/var/lib/pod-agent")

tmp = TempDir("packages")
build = os.path.join(tmp.path, "build")
debs = {}  # package name -> .deb path


def sh(*argv, timeout=120, **kw):
    return subprocess.run(list(argv), capture_output=True, text=True,
                          timeout=timeout, **kw)


def out(*argv):
    p = sh(*argv)
    assert p.returncode == 0, (argv, p.stdout, p.stderr)
    return p.stdout.strip()


def project_version():
    with open(os.path.join(SOURCE, "CMakeLists.txt")) as f:
        return re.search(r"project\(superpod VERSION (\S+)", f.read()).group(1)


ARCH = out("dpkg", "--print-architecture")
MULTIARCH = out("dpkg-architecture", "-qDEB_HOST_MULTIARCH")
PLUGINDIR = "/usr/lib/%s/pod" % MULTIARCH


def files(name):
    """The paths a package installs (directories end in /)."""
    lines = out("dpkg-deb", "-c", debs[name]).splitlines()
    return [line.split(None, 5)[5].split(" -> ")[0][1:] for line in lines]


def dpkg(*args):
    """dpkg with args; waits while another dpkg or apt holds its lock."""
    def done():
        p = sh("dpkg", *args, timeout=300)
        if p.returncode != 0 and "lock" in p.stderr:
            return None
        return p
    return wait_for("the dpkg lock", done, timeout=300, interval=2)


def field(name, key):
    return out("dpkg-deb", "-f", debs[name], key)


def test_build_packages():
    p = sh(os.path.join(SOURCE, "scripts", "package"), build, timeout=1500,
           env=dict(os.environ, POD_JOBS="2"))
    assert p.returncode == 0, p.stdout + p.stderr[-4000:]
    for path in p.stdout.split():
        debs[os.path.basename(path).split("_")[0]] = path
    assert sorted(debs) == sorted(PACKAGES), p.stdout
    for name, path in debs.items():
        assert os.path.basename(path) == "%s_%s-1_%s.deb" % (
            name, project_version(), ARCH), path


def test_files_where_they_belong():
    want = {
        "superpod-controller": [
            "/usr/sbin/pod-controllerd", "/usr/share/pod/web/index.html",
            "/usr/lib/systemd/system/pod-controllerd.service",
            "/usr/lib/sysusers.d/pod.conf", "/usr/lib/tmpfiles.d/pod.conf",
            "/usr/share/man/man8/pod-controllerd.8",
            "/usr/share/man/man5/pod-controllerd.conf.5",
            "/usr/share/doc/pod/examples/controller.conf",
            "/etc/pod/controller.conf"],
        "superpod-agent": [
            "/usr/sbin/pod-agentd", PLUGINDIR + "/power-sim.so",
            PLUGINDIR + "/cooling-sim.so", PLUGINDIR + "/cooling-modbus.so",
            "/usr/share/pod/cdu-maps/generic.map",
            "/usr/lib/systemd/system/pod-agentd.service",
            "/usr/share/man/man8/pod-agentd.8",
            "/usr/share/doc/pod/examples/agent.conf", "/etc/pod/agent.conf"],
        "superpod-cli": [
            "/usr/bin/podctl", "/usr/share/man/man1/podctl.1",
            "/usr/share/bash-completion/completions/podctl"],
        "superpod-tools": [
            "/usr/bin/pod-fleetsim", "/usr/bin/pod-schedsim",
            "/usr/share/man/man1/pod-fleetsim.1"],
        "superpod-plugin-dev": [
            "/usr/include/pod/plugin.h", "/usr/include/pod/plugin_util.h",
            "/usr/lib/%s/pkgconfig/pod-plugin.pc" % MULTIARCH],
    }
    # monitoring files (packaging/prometheus, grafana) go with the controller
    for d in ("prometheus", "grafana"):
        top = os.path.join(SOURCE, "packaging", d)
        for root, _, names in os.walk(top):
            want["superpod-controller"] += [
                "/usr/share/pod/%s/%s" % (d, os.path.relpath(
                    os.path.join(root, n), top)) for n in names]
    # every plugin the build made, with the agent
    want["superpod-agent"] += [
        PLUGINDIR + "/" + n for n in os.listdir(os.path.join(build, "lib",
                                                             "pod"))
        if n.endswith(".so")]
    owner = {}
    for name in PACKAGES:
        have = files(name)
        for path in want[name]:
            assert path in have, (name, path, have)
        for path in have:
            assert path.startswith(("/usr/", "/etc/pod/")) or \
                path in ("/", "/usr/", "/etc/"), (name, path)
            assert not path.startswith("/usr/local"), (name, path)
            if path.endswith(".so"):
                assert name == "superpod-agent" and \
                    path.startswith(PLUGINDIR + "/"), (name, path)
            if not path.endswith("/"):
                assert path not in owner, (path, owner.get(path), name)
                owner[path] = name


def test_control_fields():
    version = project_version() + "-1"
    for name in PACKAGES:
        assert field(name, "Package") == name
        assert field(name, "Version") == version, field(name, "Version")
        assert field(name, "Architecture") == ARCH
        assert "@" in field(name, "Maintainer")
        assert field(name, "Description").strip(), name
    # dpkg-shlibdeps' dependencies, and the ones written by hand
    for name, needs in (("superpod-controller", ("libc6", "libsqlite3-0",
                                                 "libjansson4", "systemd")),
                        ("superpod-agent", ("libc6", "libcurl4",
                                            "libmodbus5")),
                        ("superpod-cli", ("libc6", "libcurl4")),
                        ("superpod-tools", ("libc6", "superpod-agent"))):
        depends = [d.strip().split()[0]
                   for d in field(name, "Depends").split(",")]
        for n in needs:
            assert n in depends, (name, n, depends)
    ctl = os.path.join(tmp.path, "control")
    for name, conffiles in (("superpod-controller",
                             ["/etc/pod/controller.conf"]),
                            ("superpod-agent", ["/etc/pod/agent.conf"])):
        shutil.rmtree(ctl, ignore_errors=True)
        out("dpkg-deb", "-e", debs[name], ctl)
        with open(os.path.join(ctl, "conffiles")) as f:
            assert f.read().split() == conffiles, name
        for script in ("postinst", "prerm", "postrm"):
            path = os.path.join(ctl, script)
            assert os.stat(path).st_mode & 0o111, (name, script)
            out("sh", "-n", path)


def test_texts_name_the_installed_paths():
    """Units and pkg-config file, as packaged: /usr, never /usr/local."""
    root = os.path.join(tmp.path, "extracted")
    for name in ("superpod-controller", "superpod-agent",
                 "superpod-plugin-dev"):
        out("dpkg-deb", "-x", debs[name], root)
    for unit in ("pod-controllerd", "pod-agentd"):
        with open(os.path.join(root, "usr/lib/systemd/system",
                               unit + ".service")) as f:
            text = f.read()
        assert "/usr/local" not in text, text
        execs = re.findall(r"^ExecStart(?:Pre)?=(\S+)", text, re.M)
        assert execs == ["/usr/sbin/" + unit] * 2, execs
    pcdir = os.path.join(root, "usr/lib", MULTIARCH, "pkgconfig")
    with open(os.path.join(pcdir, "pod-plugin.pc")) as f:
        text = f.read()
    assert "/usr/local" not in text, text
    prefix = re.search(r"^prefix=\$\{pcfiledir\}/(\S+)$", text, re.M)
    assert prefix, text  # relative to the file: the package's /usr
    assert os.path.normpath(os.path.join(pcdir, prefix.group(1))) == \
        os.path.join(root, "usr"), text


def installable():
    """Why the install part cannot run here, or None."""
    if os.geteuid() != 0:
        return "not root"
    p = sh("dpkg-query", "-W", "-f", "${Package} ${Status}\n", *PACKAGES)
    installed = [line for line in p.stdout.splitlines()
                 if line.endswith(" installed")]
    if installed:
        return "already installed here: %s (dpkg --purge them first)" % \
            ", ".join(installed)
    there = [path for path in OURS if os.path.lexists(path)]
    if there:
        return "would replace or purge what is there: %s" % ", ".join(there)
    return None


def test_install():
    p = dpkg("-i", *[debs[n] for n in PACKAGES])
    assert p.returncode == 0, p.stdout + p.stderr
    for path in ("/usr/sbin/pod-controllerd", "/usr/sbin/pod-agentd",
                 "/usr/bin/podctl", PLUGINDIR + "/power-sim.so",
                 "/etc/pod/controller.conf", "/etc/pod/agent.conf"):
        assert os.path.exists(path), path
    # postinst: the user pod and its folders (sysusers.d, tmpfiles.d)
    pw = out("getent", "passwd", "pod").split(":")
    assert pw[5] == "/var/lib/pod", pw
    st = os.stat("/var/lib/pod")
    assert (st.st_mode & 0o7777, st.st_uid) == (0o750, int(pw[2])), st
    st = os.stat("/etc/pod/tls")
    assert (st.st_mode & 0o7777, st.st_gid) == (0o750, int(pw[3])), st


def installed(daemon, path):
    """daemon started from its installed binary, finding its plugins and
    maps where the package put them."""
    daemon.argv[0] = path
    for var in ("POD_PLUGIN_DIR", "POD_CDU_MAP_DIR"):
        daemon.env.pop(var, None)
    return daemon


def test_installed_daemons_run():
    ctl = installed(Controller(tmp), "/usr/sbin/pod-controllerd").start()
    agent = installed(Agent(tmp, ctl.url, "pod01-n001"),
                      "/usr/sbin/pod-agentd").start()
    try:
        env = dict(os.environ, POD_TOKEN=ctl.admin_token)
        env.pop("POD_SERVER", None)

        def up():
            p = sh("/usr/bin/podctl", "--server", ctl.url, "status", env=env)
            assert p.returncode == 0, p.stderr
            return re.search(r"^Nodes:\s+1 up of ", p.stdout, re.M) and \
                p.stdout
        wait_for("podctl status to show the node up", up)
        p = sh("/usr/bin/podctl", "--server", ctl.url, "node", "show",
               "pod01-n001", env=env)
        assert p.returncode == 0 and "pod01-n001" in p.stdout, p
        # the dashboard, from /usr/share/pod/web
        with urllib.request.urlopen(ctl.url + "/", timeout=10) as r:
            assert "<html" in r.read().decode().lower()
    finally:
        stopped = agent.stop(), ctl.stop()
    assert stopped == (0, 0), (stopped, agent.log(), ctl.log())


HELLO = r"""
#include <stdio.h>
#include <string.h>
#include <pod/plugin.h>
#include <pod/plugin_util.h>

static int
hello_init(const struct pod_host *host, void **ctx)
{
	double w;

	if (host->nconf > 0 && pod_parse_real(host->conf[0].value, &w) == -1)
		return -1;
	*ctx = NULL;
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
	out->domain = POD_DOMAIN_ACCEL;
	out->caps = POD_F_POWER;
	return 1;
}

static int
hello_read(void *ctx, int64_t now_ms, struct pod_sample *out, int n)
{
	memset(out, 0, sizeof(*out));
	out->valid = POD_F_POWER;
	out->power_w = 100;
	return 0;
}

static const struct pod_plugin_ops hello_ops = {
    .devices = hello_devices, .read = hello_read};

const struct pod_plugin pod_plugin = {.abi = POD_PLUGIN_ABI,
    .kind = "power", .name = "hello", .description = "out of tree",
    .init = hello_init, .fini = hello_fini, .ops = &hello_ops};
"""


def test_plugin_builds_against_installed_header():
    env = dict(os.environ)
    env.pop("PKG_CONFIG_PATH", None)
    p = sh("pkg-config", "--cflags", "--libs", "pod-plugin", env=env)
    assert p.returncode == 0, p.stderr
    assert "/usr/local" not in p.stdout, p.stdout
    p = sh("pkg-config", "--variable=plugindir", "pod-plugin", env=env)
    assert os.path.normpath(p.stdout.strip()) == PLUGINDIR, p.stdout
    plugdir = os.path.join(tmp.path, "plugins")
    os.makedirs(plugdir, exist_ok=True)
    src = tmp.file("hello.c", HELLO)
    # the header comes from /usr/include/pod, not the source tree
    p = sh("sh", "-c", "cc -Wall -Werror -shared -fPIC -H -o %s/power-hello.so"
           " %s $(pkg-config --cflags --libs pod-plugin)" % (plugdir, src),
           env=env)
    assert p.returncode == 0, p.stdout + p.stderr
    used = [os.path.realpath(h) for h in
            re.findall(r"^\. (\S+/pod/plugin\.h)$", p.stderr, re.M)]
    assert used == ["/usr/include/pod/plugin.h"], p.stderr
    conf = tmp.file("hello.conf", "[agent]\nname = pod01-n001\n"
                    "state_dir = %s\nplugin_dir = %s\n"
                    "[power]\nplugin = hello\nwatts = 12\n"
                    % (tmp.path, plugdir))
    p = sh("/usr/sbin/pod-agentd", "-n", "-c", conf, env=env)
    assert p.returncode == 0 and "configuration OK" in p.stderr, p.stderr


def test_installed_units_verify():
    units = ["/usr/lib/systemd/system/%s.service" % u
             for u in ("pod-controllerd", "pod-agentd")]
    p = sh("systemd-analyze", "verify", "--man=no", *units, timeout=60)
    assert p.returncode == 0 and "pod-" not in p.stderr, p.stderr


def test_reinstall_keeps_edited_config():
    with open("/etc/pod/controller.conf", "a") as f:
        f.write("# edited by test_packages\n")
    p = dpkg("-i", debs["superpod-controller"])
    assert p.returncode == 0, p.stdout + p.stderr
    with open("/etc/pod/controller.conf") as f:
        assert f.read().endswith("# edited by test_packages\n")


def purge():
    return dpkg("--purge", *PACKAGES)


def test_purge_leaves_nothing():
    # state the daemons would have made, which purge removes
    with open("/var/lib/pod/controller.db", "w") as f:
        f.write("x")
    os.makedirs("/var/lib/pod-agent/jobs")
    left = [path for name in PACKAGES for path in files(name)
            if not path.endswith("/")]
    p = purge()
    assert p.returncode == 0, p.stdout + p.stderr
    p = sh("dpkg-query", "-W", "-f", "${Package} ${Status}\n", *PACKAGES)
    assert " installed" not in p.stdout, p.stdout
    left = [path for path in left if os.path.lexists(path)]
    assert left == [], left
    for path in ("/etc/pod", "/var/lib/pod", "/var/lib/pod-agent",
                 "/usr/include/pod", PLUGINDIR, "/usr/share/pod",
                 "/usr/share/doc/pod"):
        assert not os.path.lexists(path), path


tests = [test_build_packages, test_files_where_they_belong,
         test_control_fields, test_texts_name_the_installed_paths]
lock = None
try:
    try:
        run(tests)
    except SystemExit as e:
        if e.code != 0:
            raise
    if os.geteuid() == 0:
        lock = open(LOCK, "w")
        fcntl.flock(lock, fcntl.LOCK_EX)  # another run's install first
    why = installable()
    if why is not None:
        print("SKIP: the install part: %s" % why)
        sys.exit(77)
    try:
        run([test_install, test_installed_daemons_run,
             test_plugin_builds_against_installed_header,
             test_installed_units_verify, test_reinstall_keeps_edited_config,
             test_purge_leaves_nothing])
    finally:
        p = purge()  # after a failure too; nothing to do after the last test
        if p.returncode != 0:
            print(p.stdout + p.stderr)
finally:
    if lock is not None:
        lock.close()
    tmp.cleanup()
