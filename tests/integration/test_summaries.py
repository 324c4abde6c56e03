"""The fleet summaries a dashboard of a hundred pods reads instead of the
lists: GET /pods counts each pod's trouble and ranks it (sort=trouble),
GET /alarms lists the most severe first with a limit, filters and
X-Total-Count, GET /jobs pages (limit, after) and filters by pod. A
controller of 3 pods x 8 nodes and pod-fleetsim with a leak on
pod02-n003; pod03-n005 is the test's, reporting an accelerator near its
critical temperature; podctl alarms shows the severity first."""

import json
import time

from podtest import Controller, Fleetsim, TempDir, http_headers, node_api, \
    podctl, run, wait_for

tmp = TempDir("summaries")
ctl = Controller(tmp, heartbeat_s=3,
                 extra="[fabric]\npods = 3\nnodes_per_pod = 8\n").start()
fleet = Fleetsim(tmp, ctl.url, pods=3, nodes=8,
                 args=["--fault", "pod02-n003:leak@1",
                       "--skip", "pod03-n005"]).start()
HOT = "pod03-n005"


def get(path):
    status, headers, text = http_headers("GET", ctl.url + "/api/v1" + path)
    return status, headers, json.loads(text)


def setup():
    wait_for("23 nodes up", lambda: ctl.nodes_up() == 23)
    wait_for("the leak alarm", lambda: any(
        a["kind"] == "leak" for a in ctl.api("GET", "/alarms")[1]["alarms"]))
    for i in range(5):
        code, reply = ctl.api("POST", "/jobs", {
            "name": "s%d" % i, "command": ["sleep", "600"], "nodes": 2,
            "time_limit_s": 900})
        assert code == 201, reply
    wait_for("5 jobs running", lambda: len(ctl.api(
        "GET", "/jobs?state=running")[1]["jobs"]) == 5)


def test_pods_rank_trouble():
    setup()
    _, _, body = get("/pods?sort=trouble")
    pods = body["pods"]
    assert pods[0]["name"] == "pod02", [p["name"] for p in pods]
    p = pods[0]
    assert p["leaks"] == 1 and p["alarms"]["critical"] >= 1, p
    assert p["trouble"] > pods[1]["trouble"], [x["trouble"] for x in pods]
    assert sum(x["jobs_running"] for x in pods) >= 5, pods
    for x in pods:
        assert set(x["alarms"]) == {"critical", "warning", "info"}, x
        assert x["nodes_down"] == (x["name"] == "pod03"), x
    _, _, one = get("/pods/pod02")
    assert one["trouble"] == p["trouble"], one
    _, _, byname = get("/pods")
    assert [x["name"] for x in byname["pods"]] == ["pod01", "pod02", "pod03"]
    status, _, err = get("/pods?sort=worst")
    assert status == 400 and "sort" in err["error"]["message"], err


def hot_report(seq):
    """One report of HOT: accelerator 1 at 87 °C of its 90 (the default
    overtemp_margin_c is 5), accelerator 0 cool."""
    now = int(time.time() * 1000)
    accels = [{"index": i, "model": "T", "temp_crit_c": 90} for i in (0, 1)]
    return node_api(ctl, "POST", "/agents/%s/report" % HOT, HOT, {
        "boot_id": "00000000feedbeef", "agent_version": "test",
        "interval_ms": 500,
        "inventory": {"power_plugin": "test", "cooling_plugin": "test",
                      "accelerators": accels},
        "samples": [{"seq": seq, "t_ms": now, "power_w": 1500.0,
                     "accels": [{"temp_c": 50.0}, {"temp_c": 87.0}],
                     "loop": {"supply_c": 30.0, "return_c": 35.0,
                              "flow_lpm": 9.0, "leak": False}}]})


def test_pods_count_hot_nodes():
    """A pod's nodes_hot counts its nodes up with an accelerator in the
    overtemp margin, as GET /nodes?problem=hot lists them."""
    seq = [0]

    def hot():
        seq[0] += 1
        status, reply = hot_report(seq[0])
        assert status == 200, reply
        return {x["name"]: x["nodes_hot"] for x in get("/pods")[2]["pods"]}
    wait_for("pod03 counts its hot node", lambda: hot()["pod03"] == 1)
    assert hot() == {"pod01": 0, "pod02": 0, "pod03": 1}, hot()
    _, headers, body = get("/nodes?problem=hot&fields=name")
    assert [n["name"] for n in body["nodes"]] == [HOT], body


def test_alarms_severity_first_and_limited():
    # a report with a wrong credential: a major alarm, newer than the leak
    node_api(ctl, "POST", "/agents/pod03-n008/report", "pod03-n008",
             {"boot_id": "0123456789abcdef"}, cred="0" * 64)
    wait_for("the node_auth alarm", lambda: any(
        a["kind"] == "node_auth" for a in ctl.api("GET", "/alarms")[1][
            "alarms"]))
    _, _, body = get("/alarms?state=all")
    sev = [a["severity"] for a in body["alarms"]]
    rank = {"critical": 0, "major": 1, "info": 2}
    assert sev == sorted(sev, key=lambda s: rank[s]), sev
    assert body["alarms"][0]["kind"] == "leak", body["alarms"][0]
    assert "major" in sev, sev
    status, headers, body = get("/alarms?limit=1&state=all")
    assert status == 200 and len(body["alarms"]) == 1, body
    assert int(headers["X-Total-Count"]) >= 1, headers
    assert body["summary"]["critical"] >= 1, body["summary"]
    assert body["summary"]["kinds"]["leak"]["nodes"] == 1, body["summary"]
    _, headers, body = get("/alarms?severity=info")
    assert body["alarms"] == [] and headers["X-Total-Count"] == "0", body
    _, _, body = get("/alarms?pod=pod01,pod03")
    assert all(not a["object"].startswith("pod02")
               for a in body["alarms"]), body
    for q, name in (("limit=0", "limit"), ("limit=5001", "limit"),
                    ("limit=x", "limit"), ("severity=bad", "severity"),
                    ("pod=pod09", "pod"), ("state=gone", "state")):
        status, _, err = get("/alarms?" + q)
        assert status == 400 and name in err["error"]["message"], (q, err)


def test_jobs_page():
    status, headers, body = get("/jobs")
    ids = [j["id"] for j in body["jobs"]]
    total = int(headers["X-Total-Count"])
    assert total == len(ids) >= 5, (total, ids)
    seen, after = [], None
    while True:
        q = "/jobs?limit=2" + ("&after=%d" % after if after else "")
        status, headers, page = get(q)
        assert status == 200 and int(headers["X-Total-Count"]) == total
        if not page["jobs"]:
            break
        assert len(page["jobs"]) <= 2
        seen += [j["id"] for j in page["jobs"]]
        after = page["jobs"][-1]["id"]
    assert seen == ids, (seen, ids)
    status, _, err = get("/jobs?after=987654")
    assert status == 400 and "after" in err["error"]["message"], err
    status, _, err = get("/jobs?limit=0")
    assert status == 400 and "limit" in err["error"]["message"], err
    _, _, mine = get("/jobs?state=running&pod=pod03")
    for j in mine["jobs"]:
        assert any(n.startswith("pod03-") for n in j["nodes"]), j
    status, _, err = get("/jobs?pod=pod09")
    assert status == 400 and "pod" in err["error"]["message"], err


def test_podctl_alarms_severity_first():
    rc, out, err = podctl(ctl.url, "alarms")
    assert rc == 0, err
    head = out.splitlines()[0].split()
    assert head[0] == "SEVERITY", head
    assert out.splitlines()[1].split()[0] == "critical", out


try:
    run([test_pods_rank_trouble, test_pods_count_hot_nodes,
         test_alarms_severity_first_and_limited,
         test_jobs_page, test_podctl_alarms_severity_first])
finally:
    fleet.stop()
    ctl.stop()
    tmp.cleanup()
