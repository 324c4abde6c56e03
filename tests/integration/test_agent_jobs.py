"""Jobs on a real pod-agentd, driven by podtest's fake controller: an
http.server on 127.0.0.1:0 that answers /api/v1/agents/NODE/report with a
desired state the test sets, and keeps every report. It checks what
docs/agent-protocol.md ("Jobs") promises: the environment and output.log,
exit codes and causes, exactly-once starts across repeated replies and an
agent restart, cancel with SIGTERM then SIGKILL after kill_grace_s, time
limits, launch errors, and that jobs load their accelerators; and the same
protocol on pod-fleetsim's simulated jobs."""

import os
import pwd
import re
import signal
import subprocess

from podtest import (Daemon, FakeController, TempDir, binary, run, wait_file,
                     wait_for)

NODE = "pod01-n001"
USER = pwd.getpwuid(os.getuid()).pw_name  # jobs run as the test's user


def entry(id, command, accels=(0, 1), attempt=1, time_limit_s=0,
          kill_grace_s=2, cancel=False, nnodes=1, node_rank=0,
          nodelist=NODE):
    return {"id": id, "attempt": attempt, "name": "job%d" % id,
            "command": list(command), "nnodes": nnodes,
            "node_rank": node_rank, "nodelist": nodelist,
            "accelerators": list(accels), "time_limit_s": time_limit_s,
            "kill_grace_s": kill_grace_s, "cancel": cancel, "user": USER}


def running(j):
    return j["state"] == "running" and j["pid"] is not None


def ended(j):
    return j["state"] == "ended"


CTL = FakeController(NODE)
TMP = TempDir("agent-jobs")
PIDS = set()  # job process groups to kill at the end, whatever happens


class JobAgent(Daemon):
    def __init__(self, name="agent", state=None, interval_ms=200):
        self.state = state or os.path.join(TMP.path, name + "-state")
        conf = TMP.file(name + ".conf",
                        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                        "interval_ms = %d\n[power]\nplugin = sim\n"
                        "[cooling]\nplugin = sim\n"
                        "[jobs]\nallow_root = true\n"
                        % (CTL.url, NODE, self.state, interval_ms))
        super().__init__(name, [binary("pod-agentd"), "-c", conf], TMP)

    def jobdir(self, id, attempt=1):
        return os.path.join(self.state, "jobs", "%d.%d" % (id, attempt))


def zombies(pid):
    """The agent's children that have exited and not been reaped."""
    found = []
    for d in os.listdir("/proc"):
        try:
            with open("/proc/%s/stat" % d) as f:
                st = f.read().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if st[0] == "Z" and int(st[1]) == pid:
            found.append(int(d))
    return found


def with_agent(fn):
    """Runs fn(agent) on a fresh agent and an empty desired state; the
    agent must not leave a shepherd unreaped."""
    def wrapper():
        CTL.set_jobs([])
        a = JobAgent(fn.__name__).start()
        try:
            fn(a)
            wait_for("no zombie children",
                     lambda: not zombies(a.proc.pid), timeout=5)
        finally:
            CTL.set_jobs([])
            a.stop()
            kill_tracked()
    wrapper.__name__ = fn.__name__
    return wrapper


def kill_tracked():
    """Jobs outlive their agents by design: end the ones a test saw."""
    for pid in PIDS:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
    PIDS.clear()


def track(j):
    PIDS.add(j["pid"])
    return j


def lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except FileNotFoundError:
        return []


@with_agent
def test_env_output_and_exit_code(a):
    CTL.set_jobs([entry(1, ["sh", "-c", "echo $POD_JOB_ID $POD_NODE_RANK "
                            "$POD_NODELIST $POD_ACCELERATORS $POD_JOB_NAME "
                            "$POD_JOB_ATTEMPT $POD_NNODES; pwd; exit 3"],
                        accels=[2, 5], nnodes=2, node_rank=1,
                        nodelist="pod01-n[001-002]")])
    j = CTL.wait_job(1, ended, "ended")
    assert j["cause"] == "exit", j
    assert j["exit_code"] == 3 and j["signal"] is None, j
    assert j["message"] is None, j
    assert j["pid"] > 0 and j["started_ms"] <= j["ended_ms"], j
    log = os.path.join(os.path.realpath(a.jobdir(1)), "output.log")
    assert j["log"] == log, (j["log"], log)
    # No chdir in the entry: the job starts in its user's home.
    assert lines(log) == ["1 1 pod01-n[001-002] 2,5 job1 1 2",
                          os.path.realpath(pwd.getpwnam(USER).pw_dir)], \
        lines(log)


@with_agent
def test_repeated_replies_never_start_twice(a):
    count = os.path.join(TMP.path, "count2")
    job = entry(2, ["sh", "-c", "echo ran >> %s; sleep 0.5" % count])
    CTL.set_jobs([job])
    CTL.wait_job(2, ended, "ended")
    # Many more replies list it; then it is dropped and forgotten; then a
    # delayed reply lists it again.
    n = CTL.count()
    wait_for("more replies", lambda: CTL.count() > n + 5)
    CTL.set_jobs([])
    wait_for("job 2 forgotten", lambda: CTL.job(2) is None
             and CTL.last()["boot_id"] is not None)
    assert os.path.exists(os.path.join(a.jobdir(2), "forgotten"))
    CTL.set_jobs([job])
    n = CTL.count()
    wait_for("more replies", lambda: CTL.count() > n + 5)
    assert CTL.job(2) is None, CTL.job(2)
    assert lines(count) == ["ran"], lines(count)


def test_restart_adopts_running_job():
    CTL.set_jobs([])
    count = os.path.join(TMP.path, "count3")
    a = JobAgent("restart1").start()
    b = None
    try:
        CTL.set_jobs([entry(3, ["sh", "-c", "echo ran >> %s; sleep 3; "
                                "exit 7" % count])])
        j = track(CTL.wait_job(3, running, "running"))
        boot = CTL.last()["boot_id"]
        assert a.stop() == 0
        os.killpg(j["pid"], 0)  # still there without its agent
        b = JobAgent("restart2", state=a.state).start()
        wait_for("the new agent's report",
                 lambda: CTL.last()["boot_id"] != boot)
        k = CTL.job(3)
        assert k is not None and k["state"] == "running", k
        assert k["pid"] == j["pid"] and k["started_ms"] == j["started_ms"]
        k = CTL.wait_job(3, ended, "ended after the restart")
        assert k["cause"] == "exit" and k["exit_code"] == 7, k
        assert CTL.last()["boot_id"] != boot
        assert lines(count) == ["ran"], lines(count)
        assert "adopted 1 running" in b.log(), b.log()
    finally:
        CTL.set_jobs([])
        a.stop()
        if b is not None:
            b.stop()
        kill_tracked()


def deaf(name):
    """A shell that ignores SIGTERM, and the file it makes once it does."""
    mark = os.path.join(TMP.path, name + ".trapped")
    return ["sh", "-c", "trap '' TERM; : > %s; sleep 60" % mark], mark


def test_cancel_survives_agent_crash():
    CTL.set_jobs([])
    a = JobAgent("crash1").start()
    b = None
    try:
        command, trapped = deaf("crash")
        job = entry(14, command, kill_grace_s=2)
        CTL.set_jobs([job])
        track(CTL.wait_job(14, running, "running"))
        wait_file(trapped)
        job["cancel"] = True
        CTL.set_jobs([job])
        wait_for("the stop recorded",
                 lambda: os.path.exists(os.path.join(a.jobdir(14), "stop")))
        a.stop(signal.SIGKILL)  # before the grace period ends
        # A controller that lost the cancel still lists the job, not
        # cancelled: the recorded stop alone must finish it as cancelled.
        CTL.set_jobs([dict(job, cancel=False)])
        b = JobAgent("crash2", state=a.state).start()
        j = CTL.wait_job(14, ended, "ended after the crash", timeout=8)
        assert j["cause"] == "cancelled" and j["signal"] == 9, j
    finally:
        CTL.set_jobs([])
        a.stop()
        if b is not None:
            b.stop()
        kill_tracked()


@with_agent
def test_cancel_sends_sigterm(a):
    job = entry(4, ["sleep", "60"], kill_grace_s=5)
    CTL.set_jobs([job])
    track(CTL.wait_job(4, running, "running"))
    job["cancel"] = True
    CTL.set_jobs([job])
    j = CTL.wait_job(4, ended, "ended", timeout=4)
    assert j["cause"] == "cancelled" and j["signal"] == 15, j
    assert j["exit_code"] is None, j


@with_agent
def test_sigterm_ignored_means_sigkill(a):
    command, trapped = deaf("sigkill")
    job = entry(5, command, kill_grace_s=1)
    CTL.set_jobs([job])
    track(CTL.wait_job(5, running, "running"))
    wait_file(trapped)
    job["cancel"] = True
    CTL.set_jobs([job])
    j = CTL.wait_job(5, ended, "ended", timeout=6)
    assert j["cause"] == "cancelled" and j["signal"] == 9, j
    assert "SIGKILL" in a.log(), a.log()


@with_agent
def test_time_limit(a):
    CTL.set_jobs([entry(6, ["sleep", "60"], time_limit_s=1, kill_grace_s=1)])
    track(CTL.wait_job(6, running, "running"))
    j = CTL.wait_job(6, ended, "ended", timeout=6)
    assert j["cause"] == "timeout" and j["signal"] == 15, j
    assert j["ended_ms"] - j["started_ms"] >= 900, j


@with_agent
def test_launch_errors(a):
    CTL.set_jobs([entry(7, ["/nonexistent/command"]),
                  entry(8, ["no-such-command-on-path"]),
                  entry(9, ["sh", "-c", "exit 0"], accels=[99]),
                  dict(entry(10, ["true"]), command="sleep 5"),
                  {"attempt": 1, "command": ["true"]}])
    for id, words in ((7, "cannot execute '/nonexistent/command': No such"),
                      (8, "cannot execute 'no-such-command-on-path'"),
                      (9, "'accelerators[0]' must be an integer"),
                      (10, "'command' must be a non-empty array")):
        j = CTL.wait_job(id, ended, "ended")
        assert j["cause"] == "launch_error", j
        assert j["message"].startswith(words), (words, j)
        assert j["exit_code"] is None and j["signal"] is None, j
    assert a.alive()
    assert "jobs[4] ignored: 'id' must be an integer" in a.log(), a.log()


@with_agent
def test_absent_job_is_killed_then_forgotten(a):
    CTL.set_jobs([entry(11, ["sleep", "60"])])
    track(CTL.wait_job(11, running, "running"))
    CTL.set_jobs([])
    j = CTL.wait_job(11, ended, "ended", timeout=4)
    assert j["cause"] == "cancelled" and j["signal"] == 15, j
    wait_for("job 11 forgotten", lambda: CTL.job(11) is None)


@with_agent
def test_job_loads_its_accelerators(a):
    CTL.set_jobs([entry(12, ["sleep", "60"], accels=[0, 1])])
    track(CTL.wait_job(12, running, "running"))

    def loaded():
        rep = CTL.last()
        for s in rep["samples"]:
            acc = s["accels"]
            if acc[0]["util_pct"] > 80 and acc[1]["util_pct"] > 80 \
                    and acc[5]["util_pct"] < 20:
                return s
        return None
    wait_for("accelerators 0 and 1 busy, 5 idle", loaded)


def test_end_reported_without_waiting_for_a_tick():
    CTL.set_jobs([])
    a = JobAgent("slow", interval_ms=4000).start()
    try:
        CTL.set_jobs([entry(13, ["sleep", "0.5"])])
        j = CTL.wait_job(13, ended, "ended", timeout=20)
        # Both the start and the end were reported on their own: a report
        # sent at a tick would carry that tick's sample, taken after them.
        for pred, at in ((running, j["started_ms"]), (ended, j["ended_ms"])):
            rep = CTL.first_report(13, pred)
            assert rep is not None and all(
                s["t_ms"] <= at for s in rep["samples"]), (at, rep)
    finally:
        CTL.set_jobs([])
        a.stop()


def test_fleetsim_simulates_jobs():
    CTL.set_jobs([])
    f = Daemon("fleetsim", [binary("pod-fleetsim"), "--server", CTL.url,
                            "--pods", "1", "--nodes-per-pod", "1",
                            "--interval-ms", "200", "--load", "0.3"], TMP)
    f.start()
    try:
        short = entry(21, ["sh", "-c", "sleep 1"], accels=[0])
        other = entry(22, ["python3", "train.py"], accels=[1])
        limited = entry(23, ["sleep", "60"], accels=[2], time_limit_s=1)
        CTL.set_jobs([short, other, limited])
        j = CTL.wait_job(21, lambda j: j["state"] == "running", "running")
        assert j["pid"] is None and j["log"] is None, j

        def busy():
            for s in CTL.last()["samples"]:
                if s["accels"][0]["util_pct"] > 80 \
                        and s["accels"][5]["util_pct"] < 60:
                    return s
            return None
        wait_for("accelerator 0 busy", busy)
        j = CTL.wait_job(21, ended, "ended", timeout=5)
        assert j["cause"] == "exit" and j["exit_code"] == 0, j
        assert 900 <= j["ended_ms"] - j["started_ms"] < 2500, j
        j = CTL.wait_job(23, ended, "ended", timeout=5)
        assert j["cause"] == "timeout" and j["signal"] == 15, j
        assert CTL.job(22)["state"] == "running"
        other["cancel"] = True
        CTL.set_jobs([short, other, limited])
        j = CTL.wait_job(22, ended, "ended", timeout=3)
        assert j["cause"] == "cancelled" and j["signal"] == 15, j
        # Forgotten, then listed again by a stale reply: never rerun.
        CTL.set_jobs([])
        wait_for("all forgotten", lambda: CTL.last()["jobs"] == [])
        CTL.set_jobs([dict(short, cancel=False)])
        n = CTL.count()
        wait_for("more replies", lambda: CTL.count() > n + 5)
        assert CTL.last()["jobs"] == [], CTL.last()["jobs"]
    finally:
        CTL.set_jobs([])
        assert f.stop() == 0, f.log()


def test_unusable_state_dir_is_refused():
    blocker = TMP.file("not-a-dir", "")
    a = JobAgent("baddir", state=os.path.join(blocker, "state"))
    a.start()
    rc = a.proc.wait(10)
    a.stop()
    assert rc == 1, rc
    assert re.search(r"state_dir .*not-a-dir/state: cannot create it",
                     a.log()), a.log()


def main():
    try:
        run([test_env_output_and_exit_code,
             test_repeated_replies_never_start_twice,
             test_restart_adopts_running_job,
             test_cancel_survives_agent_crash,
             test_cancel_sends_sigterm,
             test_sigterm_ignored_means_sigkill,
             test_time_limit,
             test_launch_errors,
             test_absent_job_is_killed_then_forgotten,
             test_job_loads_its_accelerators,
             test_end_reported_without_waiting_for_a_tick,
             test_fleetsim_simulates_jobs,
             test_unusable_state_dir_is_refused])
    finally:
        CTL.stop()
        TMP.cleanup()


if __name__ == "__main__":
    main()
