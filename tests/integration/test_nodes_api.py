"""GET /api/v1/nodes at fabric size (docs/openapi.yaml, /nodes): the
filters (pod, group, state, problem), field selection, paging by limit and
after with X-Total-Count and Link rel="next", each bad parameter refused
with 400 naming it; gzip for replies of 1 KiB or more when Accept-Encoding
takes it (curl with and without it gives the same JSON; q=0 and a small
reply stay plain); /metrics without the per-accelerator families unless
[controller] metrics_accelerators = true; and podctl nodes with the same
filters. Two pods of 8 nodes from pod-fleetsim, one leaking, one never
reporting."""

import gzip
import json
import re
import subprocess

from podtest import (Controller, Fleetsim, TempDir, auth_header, http_headers,
                     podctl, run, wait_for)

LEAKY = "pod02-n003"
SILENT = "pod01-n004"  # no agent: down
tmp = TempDir("nodes-api")
ctl = Controller(tmp, extra="[fabric]\npods = 2\nnodes_per_pod = 8\n"
                 "groups_per_pod = 4\n").start()
fleet = Fleetsim(tmp, ctl.url, pods=2, nodes=8,
                 args=["--fault", LEAKY + ":leak@0", "--skip", SILENT]).start()
ALL = ["pod%02d-n%03d" % (p, n) for p in (1, 2) for n in range(1, 9)]


def get(query):
    """(status, headers, parsed JSON) of GET /nodes + query."""
    status, headers, text = http_headers("GET", ctl.url + "/api/v1/nodes" +
                                         query)
    return status, headers, json.loads(text)


def names(query):
    status, _, body = get(query)
    assert status == 200, (query, body)
    return [n["name"] for n in body["nodes"]]


def curl(path, *args):
    """(headers text, body bytes) of curl on path."""
    p = subprocess.run(["curl", "-s", "-D", "/dev/stderr", "-H",
                        auth_header(ctl.url)] + list(args) + [ctl.url + path],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p
    return p.stderr.decode(), p.stdout


def test_up():
    wait_for("15 nodes up", lambda: ctl.nodes_up() == 15, timeout=60)
    wait_for("the leak", lambda: names("?problem=leak") == [LEAKY],
             timeout=30)


def test_filters():
    assert names("") == ALL
    assert names("?pod=pod02") == ALL[8:]
    # groups_per_pod = 4: n001..n002 in g01, n003..n004 in g02
    assert names("?group=pod01-g02,pod02-g01") == [
        "pod01-n003", "pod01-n004", "pod02-n001", "pod02-n002"]
    assert names("?group=pod01-g02&state=down") == [SILENT]
    assert names("?problem=down") == [SILENT]
    assert names("?problem=unhealthy") == [LEAKY]
    assert names("?problem=leak,down") == [SILENT, LEAKY]
    assert names("?problem=leak&pod=pod01") == []
    # nothing here is near its critical temperature
    assert names("?problem=hot") == []


def test_fields():
    status, _, body = get("?fields=name,power_w,state&pod=pod01")
    assert status == 200, body
    for n in body["nodes"]:
        assert sorted(n) == ["name", "power_w", "state"], n
    status, _, body = get("?fields=leak")
    assert [n["leak"] for n in body["nodes"]].count(True) == 1, body


def test_pages():
    seen, query, pages = [], "?limit=5&fields=name&pod=pod01,pod02", 0
    while True:
        status, headers, body = get(query)
        assert status == 200, body
        assert headers["X-Total-Count"] == "16", dict(headers)
        pages += 1
        seen += [n["name"] for n in body["nodes"]]
        link = headers.get("Link")
        if link is None:
            break
        m = re.fullmatch(r'</api/v1/nodes(\?[^>]*)>; rel="next"', link)
        assert m, link
        assert "after=" + body["nodes"][-1]["name"] in m.group(1), link
        assert "limit=5" in m.group(1) and "fields=name" in m.group(1), link
        query = m.group(1)
    assert seen == ALL and pages == 4, (pages, seen)
    # the count is of the filter's matches, whatever the page
    status, headers, body = get("?state=down&limit=1&after=pod01-n004")
    assert headers["X-Total-Count"] == "1" and body["nodes"] == [], body
    assert "Link" not in headers, dict(headers)
    # after need not be a node: it is a place in name order
    assert names("?after=pod01-n008x&limit=2") == ALL[8:10]


def test_bad_parameters():
    for query, word in [("?limit=0", "limit"), ("?limit=5001", "limit"),
                        ("?limit=ten", "limit"), ("?limit=", "limit"),
                        ("?fields=name,colour", "colour"),
                        ("?fields=", "fields"),
                        ("?problem=sad", "sad"), ("?problem=", "problem"),
                        ("?state=sleepy", "sleepy"), ("?after=", "after"),
                        ("?colour=red", "colour")]:
        status, _, body = get(query)
        assert status == 400, (query, status, body)
        assert word in body["error"]["message"], (query, body)
    for query, word in [("?pod=pod01,pod77", "pod77"),
                        ("?group=pod01-g09", "pod01-g09")]:
        status, _, body = get(query)
        assert status == 404 and word in body["error"]["message"], body


def test_gzip():
    path = "/api/v1/nodes?fields=name,pod,group,accelerators_total,drained"
    head, plain = curl(path)
    assert "content-encoding" not in head.lower(), head
    assert re.search(r"^Vary: Accept-Encoding", head, re.M | re.I), head
    assert len(plain) >= 1024, len(plain)
    head, raw = curl(path, "-H", "Accept-Encoding: gzip")
    assert re.search(r"^Content-Encoding: gzip\r?$", head, re.M | re.I), head
    assert len(raw) < len(plain) / 3, (len(raw), len(plain))
    assert json.loads(gzip.decompress(raw)) == json.loads(plain)
    # curl decoding it itself
    head, text = curl(path, "--compressed")
    assert json.loads(text) == json.loads(plain)
    # q=0 refuses it; * takes it; identity alone does not
    for accept, zipped in [("gzip;q=0", False), ("gzip; q=0.0, br", False),
                           ("deflate, *;q=0.5", True), ("identity", False),
                           ("br, GZIP;q=0.3", True), ("*;q=0, gzip", True)]:
        head, _ = curl(path, "-H", "Accept-Encoding: " + accept)
        got = bool(re.search(r"^Content-Encoding: gzip", head, re.M | re.I))
        assert got == zipped, (accept, head)
    # under 1 KiB: plain whatever is accepted
    head, small = curl("/api/v1/health", "-H", "Accept-Encoding: gzip")
    assert "content-encoding" not in head.lower(), head
    assert json.loads(small)["status"] == "ok"
    # the dashboard's files and /metrics go through the same place
    for path in ("/app.js", "/metrics"):
        head, raw = curl(path, "-H", "Accept-Encoding: gzip")
        assert re.search(r"^Content-Encoding: gzip", head, re.M | re.I), (
            path, head)
        assert gzip.decompress(raw), path


def families(text):
    return {line.split("{")[0].split(" ")[0] for line in text.splitlines()
            if line and not line.startswith("#")}


def test_metrics_accelerators_switch():
    _, text = curl("/metrics")
    have = families(text.decode())
    assert "pod_node_power_watts" in have, sorted(have)
    assert not [f for f in have if f.startswith("pod_accelerator_")], have
    with open(ctl.conf, "a") as f:
        f.write("[controller]\nmetrics_accelerators = true\n")
    ctl.proc.send_signal(1)  # SIGHUP
    ctl.wait_log("configuration reloaded", timeout=60)
    have = wait_for("the accelerator families", lambda: {
        f for f in families(curl("/metrics")[1].decode())
        if f.startswith("pod_accelerator_")}, timeout=30)
    for fam in ("pod_accelerator_power_watts",
                "pod_accelerator_temperature_celsius",
                "pod_accelerator_clock_hertz",
                "pod_accelerator_utilization_ratio"):
        assert fam in have, (fam, sorted(have))


def test_podctl_nodes():
    rc, out, err = podctl(ctl.url, "-o", "json", "nodes", "--problem",
                          "leak,down")
    assert rc == 0, err
    assert [n["name"] for n in json.loads(out)["nodes"]] == [SILENT, LEAKY]
    rc, out, err = podctl(ctl.url, "-o", "json", "nodes")
    assert rc == 0, err
    assert [n["name"] for n in json.loads(out)["nodes"]] == ALL
    rc, out, err = podctl(ctl.url, "nodes", "--group", "pod02-g04",
                          "--noheader", "-O", "NAME")
    assert rc == 0 and out.split() == ["pod02-n007", "pod02-n008"], (out, err)
    rc, out, err = podctl(ctl.url, "nodes", "--limit", "3", "--noheader",
                          "-O", "NAME")
    assert rc == 0 and out.split() == ALL[:3], (out, err)
    for args, word in [(("--limit", "0"), "--limit"),
                       (("--problem", "sad"), "sad"),
                       (("--state", "sleepy"), "sleepy")]:
        rc, out, err = podctl(ctl.url, "nodes", *args)
        assert rc != 0 and word in err, (args, rc, err)


def test_list_matches_detail():
    """The list is written without Jansson (common/jsonw.c), the detail
    with it, from one table of keys: each node's list entry has the
    detail's values, a drain reason with quotes, a backslash and
    non-ASCII text included."""
    reason = 'fan "B" \\ slot 測試 – Zoë'
    code, reply = ctl.api("POST", "/nodes/pod01-n002/drain",
                          {"reason": reason})
    assert code == 200, reply
    try:
        _, _, body = get("?pod=pod01")
        stable = ["name", "pod", "group", "state", "reason", "drained",
                  "accelerators_total", "leak", "health"]
        for n in body["nodes"]:
            code, detail = ctl.api("GET", "/nodes/" + n["name"])
            assert code == 200, detail
            assert {k: n[k] for k in stable} == {
                k: detail[k] for k in stable}, (n, detail)
            assert set(n) <= set(detail), (sorted(n), sorted(detail))
            for k in ("power_w", "hottest_c", "inlet_c", "heat_w"):
                assert n[k] is None or isinstance(n[k], float), (k, n)
        drained = [n for n in body["nodes"] if n["name"] == "pod01-n002"]
        assert drained[0]["reason"] == reason, drained
        assert [n[k] for n in body["nodes"] if n["name"] == SILENT
                for k in ("power_w", "last_seen")] == [None, None], body
    finally:
        code, reply = ctl.api("POST", "/nodes/pod01-n002/resume", {})
        assert code == 200, reply


try:
    run([test_up, test_filters, test_fields, test_pages, test_bad_parameters,
         test_gzip, test_metrics_accelerators_switch, test_podctl_nodes,
         test_list_matches_detail])
finally:
    fleet.stop()
    ctl.stop()
