"""Job arrays and dependencies end to end: a controller and two real
pod-agentd processes of 32 accelerators each (64 one-accelerator slots).

A 1,000-task array with %50 is submitted by podctl in one request; while it
runs, the running tasks sampled over REST never exceed 50 and reach 50; each
task writes its own POD_ARRAY_TASK_ID to a file named with %A and %a. The
listings collapse pending tasks into one entry unless expanded; an array
over [scheduler] max_array_size is refused; the array's job id cancels every
task and A_T one. Dependencies: afterok waits (Dependency) and goes when its
job completes, afternotok on a completed job is DependencyNeverSatisfied,
one on a missing job is refused, singleton waits for its elder.
"""

import json
import os
import subprocess

from podtest import Agent, Controller, TempDir, podctl, run, wait_for

NODES = ["pod01-n001", "pod01-n002"]
TASKS = 1000
LIMIT = 50
tmp = TempDir("arrays")
out = os.path.join(tmp.path, "out")
os.makedirs(out)
ctl = Controller(tmp, heartbeat_s=6, extra="[scheduler]\nkill_grace_s = 1\n"
                 "jobs_kept = 5000\n"
                 "[fabric]\nnodes_per_pod = 2\ngroups_per_pod = 1\n"
                 "accels_per_node = 32\n").start()
agents = {n: Agent(tmp, ctl.url, n, extra="[power]\naccels = 32\n").start()
          for n in NODES}
state = {}


def job(jid):
    status, body = ctl.api("GET", "/jobs/%s" % jid)
    assert status == 200, (status, body)
    return body


def jobs(query=""):
    status, body = ctl.api("GET", "/jobs" + query)
    assert status == 200, (status, body)
    return body["jobs"]


def ok(*args):
    """Runs podctl, which must succeed; its output."""
    rc, stdout, err = podctl(ctl.url, *args)
    assert rc == 0, (args, rc, stdout, err)
    return stdout


def submit(*args):
    return int(ok("submit", "--time", "1m", "--accelerators", "1",
                  *args).strip())


def wait_state(jid, want, timeout=60):
    return wait_for("job %s %s" % (jid, want),
                    lambda: job(jid)["state"] == want and job(jid),
                    timeout=timeout)


def test_fleet_up():
    wait_for("2 nodes of 32 idle", lambda: len(ctl.api(
        "GET", "/nodes?state=idle")[1]["nodes"]) == 2, timeout=20)


def test_array_submitted_in_one_request():
    # -o json prints the reply of the one POST /jobs: its task count
    reply = json.loads(ok(
        "-o", "json", "submit", "--time", "1m", "--accelerators", "1",
        "--name", "sweep", "--array", "0-%d%%%d" % (TASKS - 1, LIMIT),
        "--output", os.path.join(out, "t-%A_%a.out"), "--",
        "sh", "-c", 'echo "$POD_ARRAY_JOB_ID $POD_ARRAY_TASK_ID '
        '$POD_JOB_ID"; sleep 1'))
    assert reply["tasks"] == TASKS, reply
    assert reply["array_job_id"] == reply["id"], reply
    state["array"] = reply["array_job_id"]


def test_listings_collapse_pending_tasks():
    aid = state["array"]
    listed = [j for j in jobs() if j["array_job_id"] == aid]
    pending = [j for j in listed if j["state"] == "pending"]
    assert len(pending) <= 1, pending
    if pending:
        entry = pending[0]
        assert entry["array"].endswith("%%%d" % LIMIT), entry
        assert entry["array_task_id"] is None, entry
        others = len(listed) - 1
        assert entry["array_tasks_pending"] + others == TASKS, (
            entry["array_tasks_pending"], others)
        text = ok("jobs", "--state", "pending")
        assert "%d_[" % aid in text, text
    expanded = [j for j in jobs("?expand=1") if j["array_job_id"] == aid]
    assert len(expanded) == TASKS, len(expanded)
    assert sorted(j["array_task_id"] for j in expanded) == list(range(TASKS))
    assert all("array" not in j for j in expanded)
    ids = sorted(j["id"] for j in expanded)
    assert ids[0] == aid, ids[:3]
    text = ok("jobs", "--array")
    assert "%d_%d" % (aid, TASKS - 1) in text, text[:2000]


def test_at_most_limit_running_and_all_done():
    aid = state["array"]
    seen = {"most": 0, "reasons": set()}

    def sample():
        """One look at the array: the most tasks seen running at once
        (checked against the limit below); done when none is left."""
        live = [j for j in jobs("?state=pending,running")
                if j["array_job_id"] == aid]
        running = sum(j["state"] == "running" for j in live)
        seen["reasons"] |= {j["reason"] for j in live
                            if j["state"] == "pending"}
        seen["most"] = max(seen["most"], running)
        return not live

    wait_for("every task of the array ended", sample, timeout=240,
             interval=0.2)
    most, reasons = seen["most"], seen["reasons"]
    assert most == LIMIT, "at most %d ran at once, never %d" % (most, LIMIT)
    # 64 accelerators: only the array's limit holds tasks back
    assert "JobArrayTaskLimit" in reasons and "Resources" not in reasons, \
        reasons
    states = [j["state"] for j in jobs("?expand=1") if j["array_job_id"] == aid]
    assert len(states) == TASKS and set(states) == {"completed"}, \
        set(states)


def test_every_task_saw_its_own_id():
    aid = state["array"]
    by_task = {j["array_task_id"]: j["id"]
               for j in jobs("?expand=1") if j["array_job_id"] == aid}
    for task in range(TASKS):
        path = os.path.join(out, "t-%d_%d.out" % (aid, task))
        with open(path) as f:
            got = f.read().split()
        assert got == [str(aid), str(task), str(by_task[task])], (path, got)


def test_over_size_refused():
    rc, _, err = podctl(ctl.url, "submit", "--time", "1m", "--accelerators",
                        "1", "--array", "0-10001", "--", "true")
    assert rc != 0 and "max_array_size" in err and "10001" in err, err
    status, body = ctl.api("POST", "/jobs", {
        "command": ["true"], "accelerators": 1, "time_limit_s": 60,
        "array": "0-9x"})
    assert status == 400, (status, body)
    assert "unexpected 'x' at 4" in body["error"]["message"], body


def test_cancel_array_and_one_task():
    reply = json.loads(ok(
        "-o", "json", "submit", "--time", "1m", "--accelerators", "1",
        "--array", "0-9%2", "--", "sleep", "60"))
    aid = reply["array_job_id"]
    tasks = lambda: {j["array_task_id"]: j for j in jobs("?expand=1")
                     if j["array_job_id"] == aid}
    wait_for("two tasks running", lambda: sum(
        j["state"] == "running" for j in tasks().values()) == 2)
    text = ok("job", "show", "%d_5" % aid)
    assert "%d_5" % aid in text, text
    out_text = ok("cancel", "%d_5" % aid)
    assert "%d_5" % aid in out_text, out_text
    wait_for("task 5 cancelled", lambda: tasks()[5]["state"] == "cancelled")
    assert sum(j["state"] == "cancelled" for j in tasks().values()) == 1
    out_text = ok("cancel", str(aid))
    assert "9 tasks" in out_text, out_text
    wait_for("every task cancelled", lambda: all(
        j["state"] == "cancelled" for j in tasks().values()), timeout=30)
    rc, _, err = podctl(ctl.url, "cancel", str(aid))
    assert rc != 0 and "ended" in err, err


def test_afterok_waits_then_starts():
    first = submit("--", "sleep", "3")
    second = submit("--dependency", "afterok:%d" % first, "--", "true")
    wait_for("Dependency", lambda: job(second)["reason"] == "Dependency")
    assert job(first)["state"] in ("pending", "running")
    assert job(second)["dependency"] == "afterok:%d" % first
    text = ok("job", "show", str(second))
    assert "Dependency" in text and "afterok:%d" % first in text, text
    wait_state(first, "completed")
    j = wait_state(second, "completed", timeout=30)
    assert j["start_time"] >= job(first)["end_time"], j


def test_afternotok_on_completed_never_satisfied():
    done = submit("--", "true")
    wait_state(done, "completed")
    jid = submit("--dependency", "afternotok:%d" % done, "--", "true")
    wait_for("DependencyNeverSatisfied", lambda: job(jid)["reason"] ==
             "DependencyNeverSatisfied")
    assert job(jid)["state"] == "pending"
    ok("cancel", str(jid))
    wait_state(jid, "cancelled")


def test_missing_job_refused():
    rc, _, err = podctl(ctl.url, "submit", "--time", "1m", "--accelerators",
                        "1", "--dependency", "afterok:99999", "--", "true")
    assert rc != 0 and "dependency on job 99999: no such job" in err, err
    status, body = ctl.api("POST", "/jobs", {
        "command": ["true"], "accelerators": 1, "time_limit_s": 60,
        "dependency": "afterok:"})
    assert status == 400 and "job id expected" in body["error"]["message"], \
        body


def test_singleton():
    first = submit("--name", "only-one", "--dependency", "singleton", "--",
                   "sleep", "3")
    wait_state(first, "running")
    second = submit("--name", "only-one", "--dependency", "singleton", "--",
                    "true")
    wait_for("Dependency", lambda: job(second)["reason"] == "Dependency")
    assert job(first)["state"] == "running"
    wait_state(first, "completed")
    j = wait_state(second, "completed", timeout=30)
    assert j["start_time"] >= job(first)["end_time"], j


def test_array_dependency_means_every_task():
    reply = json.loads(ok(
        "-o", "json", "submit", "--time", "1m", "--accelerators", "1",
        "--array", "0-3", "--", "sh", "-c",
        'sleep $POD_ARRAY_TASK_ID'))
    aid = reply["array_job_id"]
    after = submit("--dependency", "afterok:%d" % aid, "--", "true")
    wait_for("task 0 done, the dependant still waits", lambda: job(
        aid)["state"] == "completed" and job(after)["reason"] == "Dependency")
    j = wait_state(after, "completed", timeout=30)
    last = max(t["end_time"] for t in jobs("?expand=1")
               if t["array_job_id"] == aid)
    assert j["start_time"] >= last, (j, last)


try:
    run([test_fleet_up, test_array_submitted_in_one_request,
         test_listings_collapse_pending_tasks,
         test_at_most_limit_running_and_all_done,
         test_every_task_saw_its_own_id, test_over_size_refused,
         test_cancel_array_and_one_task, test_afterok_waits_then_starts,
         test_afternotok_on_completed_never_satisfied,
         test_missing_job_refused, test_singleton,
         test_array_dependency_means_every_task])
finally:
    for a in agents.values():
        a.stop()
    ctl.stop()
    # processes of jobs outlive their agents by design: stop them here
    subprocess.run(["pkill", "-f", out], check=False)
    tmp.cleanup()
