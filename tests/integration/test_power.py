"""Keep the pod inside its envelope, end to end with pod-fleetsim: a
facility cap below the draw is met within a few periods (seen with podctl
power get), a leak throttles the node, raises an alarm, drains it and
requeues its job, a job pending on PowerBudget starts when the cap rises,
and jobs are charged the energy of their accelerators."""

import json

from podtest import Controller, Fleetsim, TempDir, podctl, run, wait_for

tmp = TempDir("power")
big = Controller(tmp, name="big").start()
big_fleet = Fleetsim(tmp, big.url, args=["--load", "0.35"]).start()
small = Controller(tmp, name="small", extra="[fabric]\nnodes_per_pod = 4\n"
                   "groups_per_pod = 1\n[scheduler]\nkill_grace_s = 1\n"
                   ).start()
small_fleet = Fleetsim(tmp, small.url, nodes=4, args=[
    "--load", "0.2", "--interval-ms", "500",
    "--skip", "pod01-n003"]).start()
LEAK_AT_S = 10  # after the leaky node's own fleetsim starts
leaky = []      # that fleetsim, once started


def power(ctl):
    rc, out, err = podctl(ctl.url, "-o", "json", "power", "get")
    assert rc == 0, err
    return json.loads(out)


def ok(ctl, *args):
    """Runs podctl, which must succeed; its output."""
    rc, out, err = podctl(ctl.url, *args)
    assert rc == 0, (args, rc, out, err)
    return out


def node(ctl, name):
    return ctl.api("GET", "/nodes/" + name)[1]


def job(ctl, jid):
    return ctl.api("GET", "/jobs/%d" % jid)[1]


def test_fleets_up():
    wait_for("128 nodes", lambda: big.api("GET", "/status")[1]["nodes"][
        "up"] == 128, timeout=30)
    # pod01-n003 comes up in the leak case
    wait_for("3 nodes", lambda: small.api("GET", "/status")[1]["nodes"][
        "up"] == 3, timeout=30)


def test_facility_cap_is_met():
    before = wait_for("a steady draw", lambda: power(big)["power_w"])
    assert before > 250e3, before
    cap_kw = round(before / 1000 * 0.75)
    rc, out, err = podctl(big.url, "power", "cap", str(cap_kw))
    assert rc == 0, err
    p = power(big)
    assert p["cap_w"] == cap_kw * 1000 and p["source"] == "rest", p
    # the agents' power_cap controllers converge within a few periods
    wait_for("draw under the cap", lambda: power(big)["power_w"] <=
             cap_kw * 1000 * 1.03, timeout=30)
    capped = [n for n in big.api("GET", "/nodes")[1]["nodes"]]
    assert sum(n["power_w"] for n in capped) <= cap_kw * 1000 * 1.03
    rc, out, err = podctl(big.url, "power", "cap", "none")
    assert rc == 0, err
    assert power(big)["cap_w"] is None
    wait_for("draw back up", lambda: power(big)["power_w"] > before * 0.95,
             timeout=30)


def test_curtailment():
    base = power(big)["power_w"]
    rc, _, err = podctl(big.url, "power", "curtail", "20")
    assert rc == 0, err
    p = power(big)
    assert abs(p["curtail_target_w"] - 0.8 * base) < 0.05 * base, p
    assert p["curtail_source"] == "rest" and p["cap_source"] == "rest", p
    wait_for("curtailment met", lambda: power(big)["curtail_achieved_pct"]
             >= 18, timeout=30)
    ok(big, "power", "curtail", "0")
    assert power(big)["curtail_pct"] == 0


def test_leak_throttles_drains_and_requeues():
    rc, out, err = podctl(small.url, "submit", "--nodes", "4", "--time",
                          "10m", "--", "sleep", "600")
    assert rc == 0, err
    jid = int(out)
    # the leaky node comes up with its own fleetsim, which starts its
    # leak LEAK_AT_S later: the job starts on it first (a leaking node
    # takes no new work), whatever the earlier cases took
    wait_for("job waiting for the fourth node",
             lambda: job(small, jid)["reason"] == "NodesDown")
    leaky.append(Fleetsim(tmp, small.url, nodes=4, name="leaky", args=[
        "--load", "0.2", "--interval-ms", "500",
        "--skip", "pod01-n001", "--skip", "pod01-n002", "--skip",
        "pod01-n004", "--fault", "pod01-n003:leak@%d" % LEAK_AT_S]).start())
    wait_for("job running", lambda: job(small, jid)["state"] == "running")
    assert not node(small, "pod01-n003")["leak"], \
        "the leak came before the job started"
    n = wait_for("leak seen", lambda: node(small, "pod01-n003")["leak"]
                 and node(small, "pod01-n003"), timeout=30)
    wait_for("drained", lambda: node(small, "pod01-n003")["drained"])
    n = node(small, "pod01-n003")
    assert n["reason"] == "coolant leak", n
    wait_for("lowest clocks", lambda: all(
        a["clock_mhz"] is not None and a["clock_mhz"] <= 700
        for a in node(small, "pod01-n003")["accelerators"]), timeout=10)
    alarms = json.loads(ok(small, "-o", "json", "alarms"))["alarms"]
    leak = [a for a in alarms if a["kind"] == "leak"]
    assert leak and leak[0]["object"] == "pod01-n003", alarms
    assert leak[0]["severity"] == "critical"
    j = wait_for("requeued", lambda: job(small, jid)["state"] == "pending"
                 and job(small, jid), timeout=20)
    assert j["attempt"] == 1 and j["reason"] == "NodesDown", j
    status = small.api("GET", "/status")[1]
    assert status["alarms_unacked"] >= 1, status
    rc, out, err = podctl(small.url, "alarm", "ack", str(leak[0]["id"]))
    assert rc == 0, err
    after = small.api("GET", "/status")[1]
    assert after["alarms_unacked"] == status["alarms_unacked"] - 1, after
    assert after["alarms_open"] == status["alarms_open"], after
    a = [x for x in small.api("GET", "/alarms")[1]["alarms"]
         if x["id"] == leak[0]["id"]][0]
    assert a["state"] == "acked" and a["acked_by"], a
    ok(small, "cancel", str(jid))
    wait_for("cancelled", lambda: job(small, jid)["state"] == "cancelled")


def test_power_budget_admission():
    # once the cancelled job's accelerators are idle again
    draw = wait_for("idle draw", lambda: power(small)["power_w"] < 12e3 and
                    power(small)["power_w"], timeout=30)
    # room for the idle draw, not for a busy job on the three dry nodes
    rc, _, err = podctl(small.url, "power", "cap", "%.1f" % (draw / 1000 + 4))
    assert rc == 0, err
    jid = int(ok(small, "submit", "--nodes", "3", "--time", "1m", "--",
                 "sleep", "4"))
    wait_for("PowerBudget", lambda: job(small, jid)["reason"] ==
             "PowerBudget")
    # a job that accepts a cap starts anyway, and is charged its energy
    rc, out, err = podctl(small.url, "submit", "--nodes", "1", "--time",
                          "1m", "--allow-capped", "--power-per-accel",
                          "650", "--", "sleep", "2")
    assert rc == 0, err
    capped = int(out)
    wait_for("capped job ran", lambda: job(small, capped)["state"] ==
             "completed", timeout=30)
    assert job(small, capped)["allow_capped"] is True
    assert job(small, jid)["state"] == "pending"
    ok(small, "power", "cap", "none")
    j = wait_for("completed", lambda: job(small, jid)["state"] == "completed"
                 and job(small, jid), timeout=20)
    # three busy nodes of 8 accelerators for about 4 s
    assert 3 * 8 * 300 * 3 < j["energy_j"] < 3 * 8 * 800 * 6, j


def power_table(ctl):
    """podctl power get as people see it: (first lines by label, the pods'
    rows as dicts by column title)."""
    rc, out, err = podctl(ctl.url, "power", "get", env={"COLUMNS": "300"})
    assert rc == 0, err
    head, _, table = out.partition("\n\n")
    lines = dict(l.split(":", 1) for l in head.splitlines())
    rows = [l.split() for l in table.splitlines()]
    # CAPPED_BY may be two words ("facility cap")
    titles = rows[0]
    pods = []
    for r in rows[1:]:
        if len(r) == len(titles) + 1:
            i = titles.index("CAPPED_BY")
            r[i:i + 2] = [r[i] + " " + r[i + 1]]
        assert len(r) == len(titles), (titles, r)
        pods.append(dict(zip(titles, r)))
    return {k: v.strip() for k, v in lines.items()}, pods


def test_power_get_shows_effective_budgets():
    # a cap well below the pod's configured 850 kW: the pod's budget is
    # the cap, and its headroom is counted from it
    draw = wait_for("a steady draw", lambda: power(big)["power_w"])
    cap_kw = round(draw / 1000 * 0.9)
    rc, _, err = podctl(big.url, "power", "cap", str(cap_kw))
    assert rc == 0, err
    p = power(big)
    pod = p["pods"][0]
    assert pod["configured_budget_w"] == 850e3, pod
    assert pod["budget_w"] == cap_kw * 1000 == pod["allocated_w"], pod
    assert pod["budget_capped_by"] == "facility_cap", pod
    assert abs(pod["power_headroom_w"] - (pod["budget_w"] - pod["power_w"])
               ) < 0.2, pod
    assert pod["power_headroom_w"] < 0.2 * cap_kw * 1000, pod
    assert p["budget_w"] == cap_kw * 1000, p
    assert p["configured_budget_w"] == 850e3, p
    assert p["budget_capped_by"] == "facility_cap", p
    lines, rows = power_table(big)
    assert lines["IT power"].endswith(
        "of %.1f kW budget, capped by the facility cap (850.0 kW configured)"
        % cap_kw), lines
    assert rows[0]["NAME"] == "pod01", rows
    assert float(rows[0]["BUDGET_KW"]) == cap_kw, rows
    assert rows[0]["CAPPED_BY"] == "facility cap", rows
    assert float(rows[0]["CONFIGURED_KW"]) == 850.0, rows
    assert float(rows[0]["HEADROOM_KW"]) < 0.2 * cap_kw, rows

    # a curtailment below the cap binds instead
    rc, _, err = podctl(big.url, "power", "curtail", "20")
    assert rc == 0, err
    p = power(big)
    pod = p["pods"][0]
    assert p["curtail_target_w"] < cap_kw * 1000, p
    assert abs(pod["budget_w"] - p["curtail_target_w"]) < 1, p
    assert pod["budget_capped_by"] == "curtailment", pod
    assert p["budget_capped_by"] == "curtailment", p
    _, rows = power_table(big)
    assert rows[0]["CAPPED_BY"] == "curtailment", rows
    assert float(rows[0]["BUDGET_KW"]) == round(
        p["curtail_target_w"] / 1000, 1), rows

    # with neither, the budget is the configured one again
    for args in (["curtail", "0"], ["cap", "none"]):
        rc, _, err = podctl(big.url, "power", *args)
        assert rc == 0, err
    p = power(big)
    pod = p["pods"][0]
    assert pod["budget_w"] == pod["configured_budget_w"] == 850e3, pod
    assert pod["budget_capped_by"] is None and p["budget_capped_by"] is None
    lines, rows = power_table(big)
    assert lines["IT power"].endswith("of 850.0 kW budget"), lines
    assert rows[0]["CAPPED_BY"] == "-" and rows[0]["BUDGET_KW"] == "850.0"


try:
    run([test_fleets_up, test_facility_cap_is_met, test_curtailment,
         test_leak_throttles_drains_and_requeues,
         test_power_budget_admission,
         test_power_get_shows_effective_budgets])
finally:
    for d in leaky + [big_fleet, small_fleet, big, small]:
        d.stop()
    tmp.cleanup()
