"""The packaged systemd files (packaging/systemd) are valid and say what
docs/security.md promises: the units the build generates name the
binaries of the install prefix; `systemd-analyze verify` on both (as
generated for the build tree's binaries); the controller's own user and
hardening, the agent's capabilities, and the sysusers.d and tmpfiles.d
snippets applied to a scratch root (the latter only as root: it sets
owners)."""

import os
import re
import shutil
import subprocess
import sys

from podtest import BIN, BUILD, SOURCE, TempDir, run

if shutil.which("systemd-analyze") is None:
    print("SKIP: no systemd-analyze")
    sys.exit(77)

UNITS = os.path.join(SOURCE, "packaging", "systemd")
# as installed (the prefix's sbindir), and as run from the build tree
GENERATED = os.path.join(BUILD, "packaging", "systemd")
GENERATED_BUILD = os.path.join(BUILD, "packaging", "systemd-build")
NAMES = ("pod-controllerd.service", "pod-agentd.service")
tmp = TempDir("units")


def unit(name, folder=GENERATED):
    with open(os.path.join(folder, name)) as f:
        return f.read()


def install_prefix():
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith("CMAKE_INSTALL_PREFIX:"):
                return line.split("=", 1)[1].strip()
    raise AssertionError("no CMAKE_INSTALL_PREFIX in the build's cache")


def settings(text):
    """key -> list of values, in order."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"^(\w+)=(.*)$", line)
        if m:
            out.setdefault(m.group(1), []).append(m.group(2))
    return out


def test_units_name_the_prefix():
    """Every Exec line runs the binary from the prefix's sbin, and the
    build tree's copy differs from the installed one by that folder only."""
    sbin = os.path.join(install_prefix(), "sbin")
    for name in NAMES:
        text = unit(name)
        assert re.search(r"@\w+@", text) is None, text  # all configured
        s = settings(text)
        execs = s.get("ExecStartPre", []) + s.get("ExecStart", [])
        assert len(execs) == 2, execs
        for command in execs:
            binary = command.split()[0]
            assert binary == os.path.join(sbin, name.split(".")[0]), \
                (name, binary)
        assert unit(name, GENERATED_BUILD).replace(BIN, sbin) == text, name


def test_units_verify():
    paths = [os.path.join(GENERATED_BUILD, name) for name in NAMES]
    p = subprocess.run(["systemd-analyze", "verify", "--man=no"] + paths,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "pod-" not in p.stderr, p.stderr


def test_controller_runs_as_pod_hardened():
    s = settings(unit("pod-controllerd.service"))
    want = {"User": ["pod"], "Group": ["pod"], "NoNewPrivileges": ["yes"],
            "ProtectSystem": ["strict"], "ReadWritePaths": ["/var/lib/pod"],
            "ProtectHome": ["yes"], "PrivateTmp": ["yes"],
            "PrivateDevices": ["yes"],
            "CapabilityBoundingSet": ["CAP_NET_BIND_SERVICE"],
            "AmbientCapabilities": ["CAP_NET_BIND_SERVICE"],
            "RestrictAddressFamilies": ["AF_INET AF_INET6 AF_UNIX"]}
    for k, v in want.items():
        assert s.get(k) == v, (k, s.get(k))
    assert "@system-service" in s["SystemCallFilter"], s["SystemCallFilter"]
    assert "DynamicUser" not in s, s


def test_agent_keeps_only_its_capabilities():
    s = settings(unit("pod-agentd.service"))
    caps = set(s["CapabilityBoundingSet"][0].split())
    assert caps == {"CAP_SETUID", "CAP_SETGID", "CAP_KILL", "CAP_CHOWN"}, \
        caps
    assert "User" not in s, s  # root: it starts jobs as their users


def test_sysusers_and_tmpfiles():
    root = os.path.join(tmp.path, "root")
    os.makedirs(os.path.join(root, "etc"))
    for f in ("passwd", "group", "shadow", "gshadow"):
        open(os.path.join(root, "etc", f), "w").close()
    if shutil.which("systemd-sysusers") is None:
        return
    p = subprocess.run(["systemd-sysusers", "--root", root,
                        os.path.join(UNITS, "pod.sysusers")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(root, "etc", "passwd")) as f:
        pw = [line.split(":") for line in f]
    assert [(u[0], u[5]) for u in pw] == [("pod", "/var/lib/pod")], pw
    if os.geteuid() != 0 or shutil.which("systemd-tmpfiles") is None:
        return
    p = subprocess.run(["systemd-tmpfiles", "--root", root, "--create",
                        os.path.join(UNITS, "pod.tmpfiles")],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    uid = int(pw[0][2])
    for path, mode, owner, group in (("etc/pod", 0o755, 0, 0),
                                     ("etc/pod/tls", 0o750, 0, uid),
                                     ("var/lib/pod", 0o750, uid, uid)):
        st = os.stat(os.path.join(root, path))
        assert (st.st_mode & 0o7777, st.st_uid, st.st_gid) == \
            (mode, owner, group), (path, oct(st.st_mode), st.st_uid,
                                   st.st_gid)


try:
    run([test_units_name_the_prefix, test_units_verify,
         test_controller_runs_as_pod_hardened,
         test_agent_keeps_only_its_capabilities, test_sysusers_and_tmpfiles])
finally:
    tmp.cleanup()
