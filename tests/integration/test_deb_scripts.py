"""The maintainer scripts of the Debian packages (packaging/deb/*/) do what
docs/operations.md says, with systemd running and without (a container, a
chroot): the commands each runs, for each way dpkg calls it, and what a
purge removes. Each script runs in a mount namespace of its own, on
tmpfs over /run (with or without /run/systemd/system, which is how the
scripts tell whether systemd runs), /var/lib and /etc, with systemctl,
systemd-sysusers and systemd-tmpfiles stubbed to write down their
arguments: nothing of this machine is touched. Root only (unshare, mount),
else exit 77. test_packages.py runs them for real through dpkg, without
systemd."""

import os
import shutil
import subprocess
import sys

from podtest import SOURCE, TempDir, run

if os.geteuid() != 0 or shutil.which("unshare") is None:
    print("SKIP: needs root and unshare (a mount namespace)")
    sys.exit(77)
if subprocess.run(["unshare", "--mount", "true"]).returncode != 0:
    print("SKIP: unshare --mount is not allowed here")
    sys.exit(77)

DEB = os.path.join(SOURCE, "packaging", "deb")
tmp = TempDir("debscripts")
stubs = os.path.join(tmp.path, "stubs")
os.makedirs(stubs)
for name in ("systemctl", "systemd-sysusers", "systemd-tmpfiles"):
    with open(os.path.join(stubs, name), "w") as f:
        # STUB_FAIL: every stubbed command fails
        f.write("#!/bin/sh\necho \"%s $*\" >>\"$STUB_LOG\"\n"
                "[ -z \"$STUB_FAIL\" ]\n" % name)
    os.chmod(os.path.join(stubs, name), 0o755)


def script(package, name, *args, systemd=True, setup="", after="",
           fail=False):
    """Runs packaging/deb/PACKAGE/NAME ARGS in a namespace as described
    above; setup and after are shell run before and after it there.
    Returns (exit status, commands run, what `after` printed)."""
    log = os.path.join(tmp.path, "calls")
    if os.path.exists(log):
        os.unlink(log)
    snippet = ("set -e\nmount -t tmpfs tmpfs /run\n"
               "mount -t tmpfs tmpfs /var/lib\n"
               "mount -t tmpfs tmpfs /etc\n%s%s\n"
               "set +e\nsh %s %s\necho \"rc=$?\"\n%s\n"
               % ("mkdir -p /run/systemd/system\n" if systemd else "",
                  setup, os.path.join(DEB, package, name),
                  " ".join("'%s'" % a for a in args), after))
    env = dict(os.environ, STUB_LOG=log,
               PATH=stubs + ":/usr/sbin:/usr/bin:/sbin:/bin")
    if fail:
        env["STUB_FAIL"] = "1"
    p = subprocess.run(["unshare", "--mount", "sh", "-c", snippet],
                       capture_output=True, text=True, env=env, timeout=30)
    assert p.returncode == 0 and "rc=" in p.stdout, (p.stdout, p.stderr)
    head, _, printed = p.stdout.partition("rc=")
    rc, _, printed = printed.partition("\n")
    calls = []
    if os.path.exists(log):
        with open(log) as f:
            calls = f.read().splitlines()
    return int(rc), calls, head + printed


SYSUSERS = ["systemd-sysusers pod.conf", "systemd-tmpfiles --create pod.conf"]
RELOAD = ["systemctl daemon-reload"]

# package, script, arguments, systemd running?, the commands it runs
CASES = [
    ("controller", "postinst", ("configure", ""), True, SYSUSERS + RELOAD),
    ("controller", "postinst", ("configure", "0.0.9-1"), True,
     SYSUSERS + RELOAD + ["systemctl try-restart pod-controllerd.service"]),
    ("controller", "postinst", ("configure", ""), False, SYSUSERS),
    ("controller", "postinst", ("configure", "0.0.9-1"), False, SYSUSERS),
    ("controller", "postinst", ("abort-upgrade", "0.2.0-1"), True, []),
    ("controller", "prerm", ("remove",), True,
     ["systemctl stop pod-controllerd.service"]),
    ("controller", "prerm", ("remove",), False, []),
    ("controller", "prerm", ("upgrade", "0.2.0-1"), True, []),
    ("controller", "postrm", ("remove",), True, RELOAD),
    ("controller", "postrm", ("remove",), False, []),
    ("controller", "postrm", ("upgrade", "0.2.0-1"), True, []),
    ("agent", "postinst", ("configure", ""), True, RELOAD),
    ("agent", "postinst", ("configure", "0.0.9-1"), True,
     RELOAD + ["systemctl try-restart pod-agentd.service"]),
    ("agent", "postinst", ("configure", "0.0.9-1"), False, []),
    ("agent", "prerm", ("remove",), True,
     ["systemctl stop pod-agentd.service"]),
    ("agent", "prerm", ("upgrade", "0.2.0-1"), True, []),
    ("agent", "prerm", ("remove",), False, []),
    ("agent", "postrm", ("remove",), True, RELOAD),
    ("agent", "postrm", ("purge",), False, []),
]


def test_commands_per_call():
    for package, name, args, systemd, want in CASES:
        rc, calls, _ = script(package, name, *args, systemd=systemd)
        assert (rc, calls) == (0, want), (package, name, args, systemd, rc,
                                          calls)


def test_a_failing_stop_does_not_block_removal():
    for package in ("controller", "agent"):
        rc, calls, _ = script(package, "prerm", "remove", fail=True)
        assert rc == 0 and len(calls) == 1, (package, rc, calls)
    # but a user that cannot be made fails the installation
    rc, calls, _ = script("controller", "postinst", "configure", "",
                          fail=True)
    assert rc != 0 and calls == SYSUSERS[:1], (rc, calls)


STATE = ("mkdir -p /var/lib/pod /var/lib/pod-agent/jobs/1.1 /etc/pod/tls "
         "/etc/systemd/system/multi-user.target.wants\n"
         "touch /var/lib/pod/controller.db /var/lib/pod/node.secret "
         "/var/lib/pod-agent/jobs/1.1/output.log\n"
         "for u in pod-controllerd pod-agentd; do ln -s /usr/lib/systemd/"
         "system/$u.service /etc/systemd/system/multi-user.target.wants/; "
         "done\n")
LEFT = ("for p in /var/lib/pod /var/lib/pod-agent /etc/pod /etc/pod/tls "
        "/etc/pod/tls/server.key /etc/pod/agent.conf "
        "/etc/systemd/system/multi-user.target.wants/pod-controllerd.service "
        "/etc/systemd/system/multi-user.target.wants/pod-agentd.service; "
        "do if [ -e $p ] || [ -L $p ]; then echo \"left $p\"; fi; done")


def left(text):
    return sorted(line[5:] for line in text.splitlines()
                  if line.startswith("left "))


def test_purge_removes_state_remove_keeps_it():
    wants = "/etc/systemd/system/multi-user.target.wants/"
    all_state = ["/etc/pod", "/etc/pod/tls", "/var/lib/pod",
                 "/var/lib/pod-agent", wants + "pod-agentd.service",
                 wants + "pod-controllerd.service"]
    for package in ("controller", "agent"):
        rc, _, out = script(package, "postrm", "remove", setup=STATE,
                            after=LEFT)
        assert rc == 0 and left(out) == sorted(all_state), (package, out)
    rc, _, out = script("controller", "postrm", "purge", setup=STATE,
                        after=LEFT)
    assert rc == 0 and left(out) == sorted(
        ["/var/lib/pod-agent", wants + "pod-agentd.service"]), out
    rc, _, out = script("agent", "postrm", "purge", setup=STATE, after=LEFT)
    assert rc == 0 and left(out) == sorted(
        ["/var/lib/pod", "/etc/pod", "/etc/pod/tls",
         wants + "pod-controllerd.service"]), out
    # what the operator put in /etc/pod, and the other package's config,
    # stay
    rc, _, out = script("controller", "postrm", "purge", setup=STATE +
                        "touch /etc/pod/tls/server.key /etc/pod/agent.conf\n",
                        after=LEFT)
    assert rc == 0 and left(out) == sorted(
        ["/etc/pod", "/etc/pod/tls", "/etc/pod/tls/server.key",
         "/etc/pod/agent.conf", "/var/lib/pod-agent",
         wants + "pod-agentd.service"]), out


try:
    run([test_commands_per_call, test_a_failing_stop_does_not_block_removal,
         test_purge_removes_state_remove_keeps_it])
finally:
    tmp.cleanup()
