"""Telemetry rollups, end to end: a real controller fed reports whose samples
are dated in the past (as an agent sends its buffer after an outage), so
that minutes and hours close at once instead of in real time.

GET /api/v1/telemetry answers at each resolution (raw, 1m, 1h) with the
mean, minimum and maximum of what was sent, an hour weighting each minute
by its samples; it picks raw for an hour's range, minutes for days, hours
beyond, says which and with what step, and refuses bad parameters with a
400 naming them. Retention drops each resolution's old partitions on its
own: after a restart (expiry runs at the first tick), samples ten days old
are gone from raw and minutes but still in the hours, and the restart
counted no period twice.
"""

import time
import urllib.parse

from podtest import Controller, TempDir, node_api, run, wait_for

NODE = "pod01-n001"
HOUR_MS = 3600 * 1000
DAY_MS = 24 * HOUR_MS
tmp = TempDir("rollups")
# retention long enough at first that the expiry of the first tick cannot
# race the old samples; test_retention shortens it and restarts
ctl = Controller(tmp, extra="store_interval_s = 1\nretention_days = 30\n"
                 "retention_1m_days = 30\nretention_1h_days = 40\n"
                 "[fabric]\nnodes_per_pod = 4\ngroups_per_pod = 2\n").start()
NOW_MS = int(time.time() * 1000)
# an hour three hours ago, and one ten days ago, both closed long since
H_MS = NOW_MS - NOW_MS % HOUR_MS - 3 * HOUR_MS
OLD_MS = H_MS - 10 * DAY_MS
seq = [0]
# node power by offset in the hour, s: minute 0 has three, minute 1 one
POWER = {5: 1000.0, 15: 2000.0, 25: 6000.0, 65: 5000.0}


def report(samples):
    """One report of NODE with samples [(t_ms, power_w)]: accelerator 0
    draws a tenth of the node at 40 °C + power / 100."""
    body = {"boot_id": "00000000feedbeef", "agent_version": "test",
            "interval_ms": 1000, "samples": []}
    for t, p in samples:
        seq[0] += 1
        body["samples"].append({
            "seq": seq[0], "t_ms": t, "power_w": p,
            "accels": [{"power_w": p / 10, "temp_c": 40 + p / 100,
                        "clock_mhz": 1980, "util_pct": 90}],
            "loop": {"supply_c": 30.0, "return_c": 35.0, "flow_lpm": 9.0,
                     "leak": False}})
    status, reply = node_api(ctl, "POST", "/agents/%s/report" % NODE, NODE,
                             body)
    assert status == 200, (status, reply)


def telemetry(**q):
    q.setdefault("node", NODE)
    status, body = ctl.api("GET", "/telemetry?" + urllib.parse.urlencode(q))
    assert status == 200, (q, status, body)
    return body


def hour(start_ms, **q):
    return telemetry(**{"from": start_ms, "to": start_ms + HOUR_MS - 1}, **q)


def test_feed():
    report([(H_MS + s * 1000, p) for s, p in sorted(POWER.items())])
    report([(OLD_MS + 5000, 700.0), (OLD_MS + 15000, 900.0)])
    # the writer rolls closed periods up within a pass (10 s when idle)
    wait_for("the hours rolled up", lambda: hour(
        H_MS, resolution="1h")["points"] and hour(
        OLD_MS, resolution="1h")["points"], timeout=40)


def test_minutes():
    body = hour(H_MS, resolution="1m", step=60)
    assert body["resolution"] == "1m" and body["step_s"] == 60, body
    assert body["stored_every_s"] == 60, body
    m0, m1 = body["points"]
    assert (m0["power_w"], m0["power_w_min"], m0["power_w_max"],
            m0["samples"]) == (3000, 1000, 6000, 3), m0
    assert (m1["power_w"], m1["power_w_min"], m1["power_w_max"],
            m1["samples"]) == (5000, 5000, 5000, 1), m1
    # the hottest accelerator: 40 + power / 100 °C
    assert (m0["hottest_c"], m0["hottest_c_min"],
            m0["hottest_c_mean"]) == (100, 50, 70), m0
    assert m0["inlet_c"] == 30 and m0["flow_lpm_max"] == 9, m0
    a0 = hour(H_MS, resolution="1m", step=60, accel=0)
    assert a0["accel"] == 0, a0
    assert (a0["points"][0]["power_w"], a0["points"][0]["power_w_max"],
            a0["points"][0]["temp_c_min"]) == (300, 600, 50), a0


def test_hours():
    body = hour(H_MS, resolution="1h")
    assert body["resolution"] == "1h" and body["step_s"] == 3600, body
    [p] = body["points"]
    # each minute weighted by its samples: 14000 / 4, not (3000 + 5000) / 2
    assert (p["power_w"], p["power_w_min"], p["power_w_max"],
            p["samples"]) == (3500, 1000, 6000, 4), p


def test_raw_and_auto():
    # an hour's range: raw samples, their own spacing
    body = hour(H_MS, step=60)
    assert body["resolution"] == "raw" and body["stored_every_s"] == 1, body
    assert [p["power_w"] for p in body["points"]] == [3000, 5000], body
    assert body["points"][0]["power_w_max"] == 6000, body
    # two and a half days: minutes, a step that keeps the reply short
    body = telemetry(**{"from": NOW_MS - 60 * HOUR_MS, "to": NOW_MS})
    assert (body["resolution"], body["step_s"]) == ("1m", 300), body
    # a step of an hour over two days: hours
    body = telemetry(**{"from": NOW_MS - 2 * DAY_MS, "to": NOW_MS,
                        "step": 3600})
    assert body["resolution"] == "1h", body
    # twelve days: hours, and the old hour is there
    body = telemetry(**{"from": NOW_MS - 12 * DAY_MS, "to": NOW_MS})
    assert body["resolution"] == "1h", body
    assert [p["samples"] for p in body["points"]] == [2, 4], body
    # an explicit resolution wins, its step rounded up to whole periods
    body = hour(H_MS, resolution="1h", step=60)
    assert (body["resolution"], body["step_s"]) == ("1h", 3600), body


def test_bad_params():
    for q, word in (({"resolution": "5m"}, "resolution"),
                    ({"step": "abc"}, "step"),
                    ({"step": "0"}, "step"),
                    ({"accel": "99"}, "accel"),
                    ({"from": NOW_MS, "to": NOW_MS - 1}, "from"),
                    ({"from": NOW_MS - 40 * DAY_MS, "resolution": "raw"},
                     "to")):
        q["node"] = NODE
        status, body = ctl.api("GET", "/telemetry?" +
                               urllib.parse.urlencode(q))
        assert status == 400 and word in body["error"]["message"], (q, body)
        assert body["error"]["code"] == "bad_request", body


def test_retention():
    with open(ctl.conf) as f:
        text = f.read()
    with open(ctl.conf, "w") as f:
        f.write(text.replace("retention_days = 30\nretention_1m_days = 30",
                             "retention_days = 2\nretention_1m_days = 3"))
    ctl.restart()
    ctl.wait_log(r"dropped \d+ days of samples older than 2 days")
    ctl.wait_log(r"dropped 1 days of 1m rollups")
    assert hour(OLD_MS, resolution="raw")["points"] == []
    assert hour(OLD_MS, resolution="1m")["points"] == []
    [p] = hour(OLD_MS, resolution="1h")["points"]
    assert (p["power_w"], p["samples"]) == (800, 2), p
    # the recent hour keeps every resolution, none counted twice by the
    # restart
    assert len(hour(H_MS, resolution="raw", step=60)["points"]) == 2
    assert [p["samples"] for p in hour(H_MS, resolution="1m")[
        "points"]] == [3, 1]
    [p] = hour(H_MS, resolution="1h")["points"]
    assert (p["power_w"], p["samples"]) == (3500, 4), p


try:
    run([test_feed, test_minutes, test_hours, test_raw_and_auto,
         test_bad_params, test_retention])
finally:
    ctl.stop()
    tmp.cleanup()
