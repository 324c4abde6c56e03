"""Jobs run as the user who submitted them, on a real pod-agentd driven by
podtest's fake controller. As root, the test makes two Unix users (one in
an extra group) and checks what docs/agent-protocol.md ("Jobs") promises:
each job's processes have its user's uid, gid and supplementary groups;
its output and error files, named by patterns, are created by that user;
its environment is built clean (a marker variable in the agent's
environment does not reach it); it starts in the user's home unless it
says chdir; and an unknown user, a root job without [jobs] allow_root, a
working directory or an output file the user may not use each fail the
attempt with a reason that names what went wrong. Skipped (77) when not
root or without useradd."""

import grp
import os
import pwd
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

from podtest import (Agent, Controller, Daemon, FakeController, TempDir,
                     binary, podctl, run, wait_for)

NODE = "pod01-n001"
MARKER = "POD_TEST_AGENT_ONLY"
PREFIX = "podtest-%d" % os.getpid()
USER_A, USER_B = PREFIX + "a", PREFIX + "b"
GROUP = PREFIX + "g"
# What a job's environment may hold: its account, LANG and the protocol's.
ALLOWED_ENV = {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG",
               "POD_JOB_ID", "POD_JOB_ATTEMPT", "POD_JOB_NAME",
               "POD_NNODES", "POD_NODE_RANK", "POD_NODELIST",
               "POD_ACCELERATORS"}

CTL = FakeController(node=NODE)
TMP = TempDir("job-user")
PIDS = set()


def sh(*argv):
    subprocess.run(argv, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


class UserAgent(Daemon):
    def __init__(self, name, allow_root=True):
        self.state = os.path.join(TMP.path, name + "-state")
        conf = TMP.file(name + ".conf",
                        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                        "interval_ms = 200\nmetrics_listen = none\n"
                        "[power]\nplugin = sim\n"
                        "[cooling]\nplugin = sim\n%s"
                        % (CTL.url, NODE, self.state,
                           "[jobs]\nallow_root = true\n" if allow_root
                           else ""))
        super().__init__(name, [binary("pod-agentd"), "-c", conf], TMP,
                         env={MARKER: "leaked", "LANG": "C.UTF-8"})


def entry(id, command, user, **more):
    e = {"id": id, "attempt": 1, "name": "job%d" % id,
         "command": list(command), "nnodes": 1, "node_rank": 0,
         "nodelist": NODE, "accelerators": [], "time_limit_s": 0,
         "kill_grace_s": 1, "cancel": False, "user": user}
    e.update(more)
    return e


def ended(j):
    return j["state"] == "ended"


def running(j):
    return j["state"] == "running" and j["pid"] is not None


def status(pid):
    """Uid, Gid and Groups of a process, as /proc says."""
    out = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("Uid", "Gid", "Groups"):
                out[k] = [int(x) for x in v.split()]
    return out


def with_agent(allow_root=True):
    def deco(fn):
        def wrapper():
            CTL.set_jobs([])
            a = UserAgent(fn.__name__, allow_root).start()
            try:
                fn(a)
            finally:
                CTL.set_jobs([])
                a.stop()
                for pid in PIDS:
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except OSError:
                        pass
                PIDS.clear()
        wrapper.__name__ = fn.__name__
        return wrapper
    return deco


@with_agent()
def test_jobs_run_with_their_users_ids(a):
    CTL.set_jobs([entry(1, ["sleep", "60"], USER_A, chdir=SHARED),
                  entry(2, ["sleep", "60"], USER_B, chdir=SHARED)])
    for id, user in ((1, USER_A), (2, USER_B)):
        j = CTL.wait_job(id, running, "running")
        PIDS.add(j["pid"])
        pw = pwd.getpwnam(user)
        want_groups = sorted(os.getgrouplist(user, pw.pw_gid))
        st = wait_for("job %d's ids" % id,
                      lambda: (lambda s: s if s["Uid"][0] == pw.pw_uid
                               else None)(status(j["pid"])))
        assert st["Uid"] == [pw.pw_uid] * 4, (user, st)
        assert st["Gid"] == [pw.pw_gid] * 4, (user, st)
        assert sorted(st["Groups"]) == want_groups, (user, st, want_groups)
    # A's extra group is A's only.
    extra = grp.getgrnam(GROUP).gr_gid
    assert extra in status(CTL.job(1)["pid"])["Groups"]
    assert extra not in status(CTL.job(2)["pid"])["Groups"]


@with_agent()
def test_output_files_belong_to_the_user_and_env_is_clean(a):
    CTL.set_jobs([
        entry(3, ["env"], USER_A, chdir=SHARED, output="%u-%j-%N.out"),
        entry(4, ["sh", "-c", "env; echo to-stderr >&2"], USER_B,
              chdir=SHARED, output="%u-%j.out", error="%u-%j.err"),
        entry(5, ["pwd"], USER_A,
              output=os.path.join(SHARED, "pwd-%j-100%%.out")),
    ])
    for id in (3, 4, 5):
        j = CTL.wait_job(id, ended, "ended")
        assert j["cause"] == "exit" and j["exit_code"] == 0, j
    a_out = os.path.join(SHARED, "%s-3-%s.out" % (USER_A, NODE))
    b_out = os.path.join(SHARED, "%s-4.out" % USER_B)
    b_err = os.path.join(SHARED, "%s-4.err" % USER_B)
    assert CTL.job(3)["log"] == a_out, CTL.job(3)
    for path, user in ((a_out, USER_A), (b_out, USER_B), (b_err, USER_B)):
        st = os.stat(path)
        pw = pwd.getpwnam(user)
        assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid), (path, st)
    for path, user in ((a_out, USER_A), (b_out, USER_B)):
        with open(path) as f:
            env = dict(line.split("=", 1) for line in f.read().splitlines()
                       if "=" in line)
        assert MARKER not in env, env
        assert set(env) <= ALLOWED_ENV | {"PWD", "SHLVL", "_", "OLDPWD"}, env
        home = pwd.getpwnam(user).pw_dir
        assert env["USER"] == env["LOGNAME"] == user, env
        assert env["HOME"] == home and env["LANG"] == "C.UTF-8", env
        assert env["PATH"] == "/usr/local/bin:/usr/bin:/bin", env
        assert env["POD_JOB_ID"] in ("3", "4"), env
    with open(b_err) as f:
        assert f.read() == "to-stderr\n"
    # No chdir: the user's home.
    with open(os.path.join(SHARED, "pwd-5-100%.out")) as f:
        assert f.read().strip() == pwd.getpwnam(USER_A).pw_dir


@with_agent()
def test_default_output_is_the_users_alone(a):
    """Without --output the job writes the agent's output.log, which is
    its user's, mode 0600: another user cannot read it."""
    CTL.set_jobs([entry(60, ["echo", "private"], USER_A, chdir=SHARED)])
    j = CTL.wait_job(60, ended, "ended")
    assert j["cause"] == "exit" and j["exit_code"] == 0, j
    log = CTL.job(60)["log"]
    assert log and log.endswith("output.log"), j
    st = os.stat(log)
    pw = pwd.getpwnam(USER_A)
    assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid), st
    assert stat.S_IMODE(st.st_mode) == 0o600, oct(st.st_mode)
    with open(log) as f:
        assert "private" in f.read()


@with_agent()
def test_restarted_agent_names_the_same_log(a):
    CTL.set_jobs([entry(15, ["sleep", "60"], USER_B, chdir=SHARED,
                        output="%u-%j.log")])
    j = CTL.wait_job(15, running, "running")
    PIDS.add(j["pid"])
    want = os.path.join(SHARED, "%s-15.log" % USER_B)
    assert j["log"] == want, j
    a.stop()
    CTL.clear()
    b = UserAgent(a.name).start()
    try:
        j = CTL.wait_job(15, running, "running again")
        assert j["log"] == want, j
    finally:
        CTL.set_jobs([])
        b.stop()


def launch_error(id):
    j = CTL.wait_job(id, ended, "ended")
    assert j["cause"] == "launch_error", j
    return j["message"]


@with_agent()
def test_refusals_say_why(a):
    private = os.path.join(SHARED, "root-only")
    os.makedirs(private, mode=0o700, exist_ok=True)
    nobody = PREFIX + "x"
    CTL.set_jobs([
        entry(6, ["true"], nobody),
        entry(7, ["true"], ""),
        entry(8, ["true"], USER_A, chdir=private),
        entry(9, ["true"], USER_A, chdir=SHARED,
              output=os.path.join(private, "o")),
        entry(10, ["true"], USER_A, chdir="/nonexistent-%d" % os.getpid()),
    ])
    m = launch_error(6)
    assert m == "user '%s' is not known on %s" % (nobody, NODE), m
    m = launch_error(7)
    assert m == "the job names no user to run as", m
    m = launch_error(8)
    assert m == ("user '%s' cannot enter the working directory '%s': "
                 "Permission denied" % (USER_A, private)), m
    m = launch_error(9)
    assert m == ("user '%s' cannot open the output file '%s': "
                 "Permission denied"
                 % (USER_A, os.path.join(private, "o"))), m
    m = launch_error(10)
    assert re.fullmatch(r"user '%s' cannot enter the working directory "
                        r"'/nonexistent-\d+': No such file or directory"
                        % USER_A, m), m


@with_agent(allow_root=False)
def test_root_needs_allow_root(a):
    CTL.set_jobs([entry(11, ["true"], "root"),
                  entry(12, ["true"], USER_B, chdir=SHARED)])
    m = launch_error(11)
    assert m == ("jobs may not run as root on %s ([jobs] allow_root is "
                 "false)" % NODE), m
    j = CTL.wait_job(12, ended, "ended")
    assert j["cause"] == "exit" and j["exit_code"] == 0, j


def test_agent_not_root():
    """An agent that is not root runs its own user's jobs, and refuses
    another user's saying why."""
    pw = pwd.getpwnam(USER_A)
    home = os.path.join(TOP, "agent-as-a")
    os.mkdir(home)
    os.chown(home, pw.pw_uid, pw.pw_gid)
    conf = os.path.join(home, "agent.conf")
    with open(conf, "w") as f:
        f.write("[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                "interval_ms = 200\nmetrics_listen = none\n"
                "[power]\nplugin = sim\n[cooling]\nplugin = sim\n"
                % (CTL.url, NODE, os.path.join(home, "state")))
    # the agent and its plugins where user A can reach them: the build
    # tree may be under a home A may not enter (/root on a fresh machine)
    bindir, plugdir = os.path.join(home, "bin"), os.path.join(home, "lib")
    os.mkdir(bindir)
    os.mkdir(plugdir)
    agent = shutil.copy(binary("pod-agentd"), bindir)
    for so in ("power-sim.so", "cooling-sim.so"):
        shutil.copy(os.path.join(os.environ["POD_PLUGIN_DIR"], so), plugdir)
    CTL.set_jobs([])
    a = Daemon("agent-as-a", ["setpriv", "--reuid", str(pw.pw_uid),
                              "--regid", str(pw.pw_gid), "--init-groups",
                              agent, "-c", conf], TMP,
               env={"POD_PLUGIN_DIR": plugdir})
    a.start()
    try:
        CTL.set_jobs([entry(13, ["id", "-u"], USER_A, chdir=SHARED,
                            output="as-a-%j.out"),
                      entry(14, ["true"], USER_B, chdir=SHARED)])
        j = CTL.wait_job(13, ended, "ended")
        assert j["cause"] == "exit" and j["exit_code"] == 0, (j, a.log())
        path = os.path.join(SHARED, "as-a-13.out")
        assert os.stat(path).st_uid == pw.pw_uid
        with open(path) as f:
            assert f.read() == "%d\n" % pw.pw_uid
        m = launch_error(14)
        assert m == ("pod-agentd on %s is not root (uid %d): it runs jobs "
                     "only as its own user, not as '%s'"
                     % (NODE, pw.pw_uid, USER_B)), m
    finally:
        CTL.set_jobs([])
        a.stop()


def test_through_the_controller():
    """podctl submit to a real controller and agent: the job runs as the
    token's user (root for podtest's admin token, then two users with
    their own tokens), its chdir and output patterns reach the node, and
    its files are the user's."""
    ctl = Controller(TMP, name="ctl", extra="[fabric]\nnodes_per_pod = 2\n"
                     "groups_per_pod = 1\n").start()
    agent = Agent(TMP, ctl.url, NODE).start()
    me = pwd.getpwuid(os.geteuid())
    try:
        wait_for("the node idle", lambda: ctl.api(
            "GET", "/nodes/%s" % NODE)[1].get("state") == "idle",
            timeout=20)
        rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "1m",
                              "--chdir", SHARED, "--output",
                              "ctl-%u-%j-%N.out", "-e", "ctl-%j.err", "--",
                              "sh", "-c", "id -un; pwd; echo e >&2")
        assert rc == 0, (rc, out, err)
        jid = int(out.strip())
        j = wait_for("job %d completed" % jid, lambda: (
            lambda b: b if b["state"] in ("completed", "failed") else None)(
                ctl.api("GET", "/jobs/%d" % jid)[1]), timeout=30)
        assert j["state"] == "completed", j
        assert (j["user"], j["chdir"], j["output"], j["error"]) == \
            (me.pw_name, SHARED, "ctl-%u-%j-%N.out", "ctl-%j.err"), j
        path = os.path.join(SHARED, "ctl-%s-%d-%s.out"
                            % (me.pw_name, jid, NODE))
        assert j["log"] == path, j
        with open(path) as f:
            assert f.read() == "%s\n%s\n" % (me.pw_name, SHARED)
        st = os.stat(os.path.join(SHARED, "ctl-%d.err" % jid))
        assert st.st_uid == me.pw_uid, st
        rc, out, err = podctl(ctl.url, "job", "show", str(jid))
        assert rc == 0 and me.pw_name in out, (rc, out, err)
        # Two users, each with a token of their own.
        for user in (USER_A, USER_B):
            pw = pwd.getpwnam(user)
            tok = ctl.token(user, "viewer")
            rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "1m",
                                  "--chdir", SHARED, "-o", "tok-%u-%j.out",
                                  "--", "sh", "-c", "id -u; id -G",
                                  env={"POD_TOKEN": tok})
            assert rc == 0, (rc, out, err)
            jid = int(out.strip())
            j = wait_for("job %d completed" % jid, lambda: (
                lambda b: b if b["state"] in ("completed", "failed")
                else None)(ctl.api("GET", "/jobs/%d" % jid)[1]), timeout=30)
            assert j["state"] == "completed" and j["user"] == user, j
            path = os.path.join(SHARED, "tok-%s-%d.out" % (user, jid))
            st = os.stat(path)
            assert (st.st_uid, st.st_gid) == (pw.pw_uid, pw.pw_gid), st
            with open(path) as f:
                uid, gids = f.read().splitlines()
            assert int(uid) == pw.pw_uid, (uid, user)
            assert sorted(map(int, gids.split())) == \
                sorted(os.getgrouplist(user, pw.pw_gid)), (gids, user)
        # A rank that cannot start: the agent's reason is the job's.
        bad = "/nonexistent-%d" % os.getpid()
        rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "1m",
                              "--chdir", bad, "--", "true")
        assert rc == 0, (rc, out, err)
        jid = int(out.strip())
        j = wait_for("job %d failed" % jid, lambda: (
            lambda b: b if b["state"] == "failed" else None)(
                ctl.api("GET", "/jobs/%d" % jid)[1]), timeout=30)
        want = ("user '%s' cannot enter the working directory '%s': "
                "No such file or directory" % (me.pw_name, bad))
        assert j["reason"] == want, j
        assert j["ranks"][0]["message"] == want, j
        # A path with a control character is refused at submission.
        rc, out, err = podctl(ctl.url, "submit", "-N", "1", "-t", "1m",
                              "--output", "a\tb", "--", "true")
        assert rc != 0 and "--output must be a path" in err, (rc, out, err)
    finally:
        agent.stop()
        ctl.stop()


def main():
    global SHARED, TOP
    if os.geteuid() != 0 or shutil.which("useradd") is None:
        print("skip: needs root and useradd")
        sys.exit(77)
    top = TOP = tempfile.mkdtemp(prefix="podtest-users-")
    made = []
    try:
        os.chmod(top, 0o755)
        SHARED = os.path.join(top, "shared")
        os.mkdir(SHARED)
        os.chmod(SHARED, 0o1777)
        sh("groupadd", GROUP)
        made.append(("groupdel", GROUP))
        for user, extra in ((USER_A, ["-G", GROUP]), (USER_B, [])):
            sh("useradd", "-m", "-d", os.path.join(top, user),
               "-s", "/bin/sh", *extra, user)
            made.append(("userdel", user))
        run([test_jobs_run_with_their_users_ids,
             test_output_files_belong_to_the_user_and_env_is_clean,
             test_refusals_say_why,
             test_default_output_is_the_users_alone,
             test_restarted_agent_names_the_same_log,
             test_root_needs_allow_root,
             test_agent_not_root,
             test_through_the_controller])
    finally:
        for cmd in reversed(made):
            subprocess.run(cmd, stderr=subprocess.DEVNULL)
        shutil.rmtree(top, ignore_errors=True)
        CTL.stop()
        TMP.cleanup()


if __name__ == "__main__":
    main()
