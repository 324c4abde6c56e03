"""The controller's live replies match docs/openapi.yaml. A controller and
pod-fleetsim (one pod of 8 nodes, a coolant leak on pod01-n008, no agent
for pod01-n007) on loopback; the test submits, runs and cancels jobs,
drains and resumes a node, acknowledges the leak alarm, sets a cap, a
curtailment and policies, asks every GET route of controllerd/api.c's
route table, and provokes the error replies (400, 404, 405, 409, 413,
431; a second agent's report for a node among them). Each reply is
recorded as it came (status, headers, text) and
tests/contract/check-replies.js (Node 18 or newer) checks every one
against the response the document gives for its path, method and status
(the schema with $ref resolved and `nullable` honoured, a member it does
not describe refused, the media type, required headers), each accepted
request against the operation's requestBody, and that the route table and
the document name the same operations. A mismatch is named by method,
path, status and the JSON pointer into the body; the last two tests feed
it broken copies of real replies and of the route table to show that it
says so."""

import copy
import http.client
import itertools
import json
import os
import re
import shutil
import subprocess

from podtest import SOURCE, Controller, Fleetsim, TempDir, node_credential, \
    npm_ci, raw_exchange, run, wait_for

CONTRACT_DIR = os.path.join(SOURCE, "tests", "contract")
DOC = os.path.join(SOURCE, "docs", "openapi.yaml")
LEAKY = "pod01-n008"
SILENT = "pod01-n007"  # no agent: never reports

tmp = TempDir("openapi-replies")
exchanges = []  # every reply, as check-replies.js reads them
runs = itertools.count()  # of check-replies.js
ctl = fleet = None


def address():
    host, port = ctl.url.rsplit("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def call(method, path, body=None, raw=None, expect=200, token=None):
    """One request to /api/v1 + path, with the admin token unless token is
    given ("" for none), or for an agent's request its node's credential;
    records the reply and checks its status. Returns (status, parsed JSON
    or None)."""
    conn = http.client.HTTPConnection(*address(), timeout=10)
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    hdrs = {"Content-Type": "application/json"} if data is not None else {}
    agent = re.match(r"/agents/([^/?]+)/", path)
    if token is None:
        token = (node_credential(tmp, agent.group(1)) if agent
                 else ctl.admin_token)
    if token:
        hdrs["Authorization"] = "Bearer " + token
    try:
        conn.request(method, "/api/v1" + path, body=data, headers=hdrs)
        r = conn.getresponse()
        text = r.read().decode()
        status = r.status
        got = {k.lower(): v for k, v in r.getheaders()}
    finally:
        conn.close()
    x = {"method": method, "path": path, "status": status, "headers": got,
         "body": text}
    if data is not None:
        x["request"] = data.decode()
    exchanges.append(x)
    assert status == expect, "%s %s: status %d, expected %d: %s" \
        % (method, path, status, expect, text[:300])
    try:
        return status, json.loads(text)
    except ValueError:
        return status, None


def call_raw(method, path, request):
    """Sends raw bytes (a request the server refuses and answers with a
    close); records the reply. Returns its status."""
    head, _, text = raw_exchange(ctl.url, request).partition("\r\n\r\n")
    lines = head.split("\r\n")
    got = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        got[k.strip().lower()] = v.strip()
    status = int(lines[0].split()[1])
    exchanges.append({"method": method, "path": path, "status": status,
                      "headers": got, "body": text})
    return status


def check_replies(doc, records, routes=None):
    """Runs check-replies.js on records; returns (exit code, output)."""
    data = {"exchanges": records}
    if routes is not None:
        data["routes"] = routes
    path = tmp.file("exchanges-%d.json" % next(runs), json.dumps(data))
    p = subprocess.run(["node", os.path.join(CONTRACT_DIR,
                                             "check-replies.js"), doc, path],
                       capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def route_table():
    """[[METHOD, "/path/*"]] of the routes[] table in controllerd/api.c."""
    with open(os.path.join(SOURCE, "controllerd", "api.c")) as f:
        text = f.read()
    table = text[text.index("} routes[] = {"):]
    table = table[:table.index("};")]
    routes = [[m, p] for m, p in re.findall(
        r'\{EVHTTP_REQ_(\w+),\s*"([^"]+)"', table)]
    assert len(routes) >= 20, routes
    return routes


def job(jid):
    return call("GET", "/jobs/%d" % jid)[1]


def test_tools_and_fleet():
    for tool in ("node", "npm"):
        assert shutil.which(tool), \
            "%s not found: run scripts/install-deps --test" % tool
    npm_ci(CONTRACT_DIR)
    global ctl, fleet
    ctl = Controller(tmp, heartbeat_s=5, extra="store_interval_s = 1\n"
                     "[fabric]\nnodes_per_pod = 8\ngroups_per_pod = 2\n"
                     "[scheduler]\nkill_grace_s = 1\n").start()
    fleet = Fleetsim(tmp, ctl.url, pods=1, nodes=8,
                     args=["--fault", LEAKY + ":leak@2",
                           "--skip", SILENT]).start()
    wait_for("7 nodes up", lambda: ctl.api("GET", "/status")[1]["nodes"][
        "up"] == 7, timeout=30)
    wait_for("the leak alarm on " + LEAKY, lambda: any(
        a["kind"] == "leak" and a["object"] == LEAKY
        for a in ctl.api("GET", "/alarms")[1]["alarms"]), timeout=30)
    wait_for("a stored sample of pod01-n001", lambda: any(
        p["power_w"] is not None for p in ctl.api(
            "GET", "/telemetry?node=pod01-n001&step=1")[1]["points"]),
        timeout=30)


def test_jobs():
    # one that ends, one that runs with its own policy, one that waits for
    # nodes it cannot get (the leaking node takes no work, the silent one
    # is down)
    done = call("POST", "/jobs", {"name": "short", "command": ["sleep", "1"],
                                  "nodes": 2, "time_limit_s": 60},
                expect=201)[1]["id"]
    wait_for("job %d completed" % done, lambda: ctl.api(
        "GET", "/jobs/%d" % done)[1]["state"] == "completed", timeout=30)
    running = call("POST", "/jobs", {"command": ["sleep", "600"],
                                     "accelerators": 4, "time_limit_s": 900,
                                     "within": "group", "policy": "powersave"},
                   expect=201)[1]["id"]
    wait_for("job %d running" % running, lambda: ctl.api(
        "GET", "/jobs/%d" % running)[1]["state"] == "running", timeout=30)
    pending = call("POST", "/jobs", {"name": "all", "command": ["true"],
                                     "nodes": 8, "time_limit_s": 60},
                   expect=201)[1]["id"]
    wait_for("job %d pending with a reason" % pending, lambda: ctl.api(
        "GET", "/jobs/%d" % pending)[1]["reason"], timeout=30)
    for jid in (done, running, pending):
        job(jid)
    call("GET", "/jobs")
    call("GET", "/jobs?state=pending,running")
    call("GET", "/jobs/%d/priority" % pending)
    call("GET", "/priority")
    call("GET", "/priority?user=nobody")
    call("GET", "/jobs/999999/priority", expect=404)
    call("GET", "/nodes/" + job(done)["nodes"][0])  # with its attempt
    call("GET", "/nodes/" + job(running)["nodes"][0])
    effective = call("GET", "/policy?node=" + job(running)["nodes"][0])[1][
        "effective"]
    assert effective["source"] == "job %d" % running, effective
    # an array, waiting as `pending` does: its pending tasks as one entry,
    # or one each; a task by ARRAY_TASK; one task, then the rest, cancelled
    array = call("POST", "/jobs", {"name": "sweep", "command": ["true"],
                                   "nodes": 8, "time_limit_s": 60,
                                   "array": "0-3%2"}, expect=201)[1]
    aid = array["array_job_id"]
    assert array["tasks"] == 4 and array["id"] == aid, array
    call("POST", "/jobs", {"command": ["true"], "nodes": 1,
                           "array": "0-20000"}, expect=400)
    call("POST", "/jobs", {"command": ["true"], "nodes": 1,
                           "dependency": "afterok:999999"}, expect=400)
    listed = call("GET", "/jobs?state=pending")[1]["jobs"]
    assert [j["array"] for j in listed if j["array_job_id"] == aid] == [
        "0-3%2"], listed
    call("GET", "/jobs?expand=1")
    call("GET", "/jobs?expand=2", expect=400)
    call("GET", "/jobs/%d_1" % aid)
    call("GET", "/jobs/%d_9" % aid, expect=404)
    call("DELETE", "/jobs/%d_1" % aid)
    call("DELETE", "/jobs/%d" % aid)
    call("DELETE", "/jobs/%d" % aid, expect=409)
    # cancels: a pending job at once, a running one asked to stop
    call("DELETE", "/jobs/%d" % pending)
    call("DELETE", "/jobs/%d" % running)
    wait_for("job %d cancelled" % running, lambda: ctl.api(
        "GET", "/jobs/%d" % running)[1]["state"] == "cancelled", timeout=30)
    job(running)
    call("DELETE", "/jobs/%d" % running, expect=409)
    call("DELETE", "/jobs/%d" % done, expect=409)
    call("GET", "/jobs/999999", expect=404)
    call("DELETE", "/jobs/999999", expect=404)
    call("POST", "/jobs", {"command": ["true"], "nodes": 1, "colour": "red"},
         expect=400)
    call("POST", "/jobs", raw=b'{"command": ["true"],\n "nodes": }',
         expect=400)
    call("POST", "/jobs", {"command": ["true"], "nodes": 9,
                           "time_limit_s": 60}, expect=400)
    call("GET", "/jobs?state=sleepy", expect=400)


def test_nodes_and_drain():
    call("GET", "/health")
    call("GET", "/status")
    call("GET", "/pods")
    call("GET", "/pods/pod01")
    call("GET", "/pods/pod09", expect=404)
    call("GET", "/nodes")
    call("GET", "/nodes/pod01-n001")
    node = "pod01-n003"
    reply = call("POST", "/nodes/%s/drain" % node, {"reason": "fan check"})[1]
    assert reply["replaced"] is None and reply["unchanged"] is False, reply
    reply = call("POST", "/nodes/%s/drain" % node, {"reason": "fan check"})[1]
    assert reply["unchanged"] is True, reply
    reply = call("POST", "/nodes/%s/drain" % node,
                 {"reason": "fan swap"})[1]
    assert reply["replaced"]["reason"] == "fan check", reply
    call("GET", "/nodes?state=drained,draining&pod=pod01")
    # a page with a Link to the next, field selection, the problems
    call("GET", "/nodes?fields=name,state,power_w&limit=3&after=pod01-n001")
    call("GET", "/nodes?problem=leak,down&group=pod01-g01")
    call("GET", "/nodes?limit=0", expect=400)
    call("GET", "/nodes?fields=colour", expect=400)
    call("GET", "/nodes?group=pod01-g99", expect=404)
    call("GET", "/nodes/" + node)
    call("GET", "/nodes/" + LEAKY)
    call("GET", "/nodes/" + SILENT)
    call("POST", "/nodes/%s/resume" % node)
    call("POST", "/nodes/%s/resume" % node, expect=409)
    call("POST", "/nodes/%s/drain" % node, {"reason": ""}, expect=400)
    call("POST", "/nodes/pod01-n999/drain", {"reason": "x"}, expect=404)
    call("POST", "/nodes/pod01-n999/resume", expect=404)
    call("GET", "/nodes/pod01-n999", expect=404)
    call("GET", "/nodes?state=sleepy", expect=400)
    call("GET", "/nodes?pod=pod77", expect=404)
    call("GET", "/nodes?colour=red", expect=400)


def test_alarms():
    alarms = call("GET", "/alarms")[1]["alarms"]
    leak = [a for a in alarms if a["kind"] == "leak"][0]
    call("POST", "/alarms/%d/ack" % leak["id"])
    call("POST", "/alarms/%d/ack" % leak["id"], expect=409)
    call("POST", "/alarms/999999/ack", expect=404)
    call("GET", "/alarms?state=all")
    call("GET", "/alarms?state=acked")
    call("GET", "/alarms?state=sleepy", expect=400)


def test_power_and_policy():
    call("GET", "/power")
    call("PUT", "/power", {"cap_w": 5000})
    call("PUT", "/power", {"curtail_pct": 10})
    call("GET", "/power")
    call("PUT", "/power", {"cap_w": None, "curtail_pct": 0})
    call("PUT", "/power", {"cap_w": 5}, expect=400)
    call("PUT", "/power", {"watts": 5}, expect=400)
    call("GET", "/policy")
    call("PUT", "/policy", {"scope": "pod", "target": "pod01",
                            "name": "powersave"})
    call("PUT", "/policy", {"scope": "node", "target": "pod01-n002",
                            "name": "thermal", "params": {"target_c": 75}})
    call("PUT", "/policy", {"scope": "fleet", "name": "energy"})
    call("GET", "/policy")
    call("GET", "/policy?pod=pod01")
    call("GET", "/policy?node=pod01-n002")
    call("GET", "/policy?node=pod01-n001")
    call("PUT", "/policy", {"scope": "node", "target": "pod01-n002",
                            "name": "inherit"})
    call("PUT", "/policy", {"scope": "fleet", "name": "warp"}, expect=400)
    call("PUT", "/policy", {"scope": "pod", "target": "pod09",
                            "name": "powersave"}, expect=404)
    call("GET", "/policy?pod=pod09", expect=404)
    call("GET", "/policy?pod=pod01&node=pod01-n001", expect=400)


def test_telemetry_audit_agents():
    call("GET", "/telemetry?node=pod01-n001&step=1")
    call("GET", "/telemetry?node=pod01-n001&from=2026-01-01T00:00:00.250Z"
         "&to=2026-01-01T02:00:00%2B01:00")
    call("GET", "/telemetry?node=" + SILENT)
    call("GET", "/telemetry", expect=400)
    call("GET", "/telemetry?node=pod01-n999", expect=404)
    call("GET", "/telemetry?node=pod01-n001&from=yesterday", expect=400)
    call("GET", "/audit")
    call("GET", "/audit?action=drain&limit=5")
    call("GET", "/audit?limit=0", expect=400)
    call("GET", "/acct")
    call("GET", "/acct?state=completed,cancelled&limit=5")
    call("GET", "/acct?state=sleeping", expect=400)
    call("GET", "/usage?by=user")
    call("GET", "/usage?by=team", expect=400)
    call("GET", "/agents/pod01-n001/desired")
    call("GET", "/agents/pod01-n001/desired?version=x", expect=400)
    call("GET", "/agents/pod09-n001/desired", expect=404)
    call("POST", "/agents/pod09-n001/report",
         {"boot_id": "ab", "samples": []}, expect=404)
    call("POST", "/agents/pod01-n001/report", raw=b'{"boot_id": 7}',
         expect=400)
    # a second agent for a node whose own agent reports: refused
    call("POST", "/agents/pod01-n001/report",
         {"boot_id": "ab", "samples": []}, expect=409)
    call("GET", "/agents/pod01-n001/desired?boot_id=ab", expect=409)
    call("GET", "/agents/pod01-n001/desired?boot_id=xyz", expect=400)
    # without its node's credential, or with another node's: refused
    call("POST", "/agents/pod01-n001/report",
         {"boot_id": "ab", "samples": []}, expect=401, token="")
    call("GET", "/agents/pod01-n001/desired", expect=403,
         token=node_credential(tmp, "pod01-n002"))
    status, body = call("GET", "/nodes/pod01-n001/credential")
    assert body["credential"] == node_credential(tmp, "pod01-n001"), body
    call("GET", "/nodes/pod09-n001/credential", expect=404)


def test_tokens_and_who():
    call("GET", "/whoami")
    _, made = call("POST", "/tokens", {"user": "alice", "role": "viewer",
                                       "expires_s": 3600,
                                       "comment": "contract"}, expect=201)
    call("GET", "/tokens")
    call("GET", "/whoami", token=made["token"])
    call("PUT", "/power", {"cap_kw": 100}, token=made["token"], expect=403)
    call("GET", "/pods", token="", expect=401)
    call("GET", "/pods", token="pod_" + "0" * 64, expect=401)
    call("DELETE", "/tokens/%d" % made["id"])
    call("GET", "/pods", token=made["token"], expect=401)
    call("DELETE", "/tokens/999999", expect=404)


def test_organisation():
    """Accounts, users, QOS, partitions and reservations (test_org has the
    behaviour; here, the shape of every reply)."""
    call("GET", "/accounts")
    call("POST", "/accounts", {"name": "physics", "shares": 2,
                               "description": "contract"}, expect=201)
    call("POST", "/accounts", {"name": "physics"}, expect=409)
    call("POST", "/accounts", {"name": "x", "parent": "nope"}, expect=400)
    call("GET", "/accounts/physics")
    call("GET", "/accounts/nope", expect=404)
    call("PATCH", "/accounts/physics", {"shares": 3})
    call("PATCH", "/accounts/nope", {"shares": 3}, expect=404)
    call("POST", "/users", {"name": "alice", "accounts": ["physics"]},
         expect=201)
    call("POST", "/users", {"name": "bob", "accounts": ["nope"]},
         expect=400)
    call("GET", "/users")
    call("GET", "/users/alice")
    call("GET", "/users/nope", expect=404)
    call("PATCH", "/users/alice", {"default_account": "physics"})
    call("GET", "/qos")
    call("GET", "/partitions")
    call("POST", "/reservations", {"name": "m1", "duration_s": 3600,
                                   "start": "2099-01-01T00:00:00Z",
                                   "pods": ["pod01"], "maint": True},
         expect=201)
    call("POST", "/reservations", {"name": "m2", "duration_s": 3600,
                                   "nodes": "pod01-n001",
                                   "account": "physics",
                                   "start": "2099-01-01T00:30:00Z"},
         expect=409)
    call("GET", "/reservations")
    call("DELETE", "/reservations/m1")
    call("DELETE", "/reservations/m1", expect=404)


def test_refused_requests():
    call("GET", "/no/such/route", expect=404)
    call("GET", "/nodes/pod01-n001/fans", expect=404)
    for method, path in (("PATCH", "/nodes"), ("DELETE", "/health"),
                         ("PUT", "/jobs"), ("GET", "/nodes/pod01-n001/drain"),
                         ("POST", "/alarms"), ("HEAD", "/health")):
        call(method, path, expect=405)
    status = call_raw("POST", "/jobs",
                      b"POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\n"
                      b"Content-Type: application/json\r\n"
                      b"Content-Length: 5242881\r\n\r\n{")
    assert status == 413, exchanges[-1]
    status = call_raw("GET", "/health",
                      b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n"
                      b"X-Pad: " + b"a" * 20000 + b"\r\n\r\n")
    assert status == 431, exchanges[-1]


def test_wrong_methods_beside_the_api_say_allow():
    """/metrics and the dashboard's files answer a wrong method as the API
    does: the JSON error and the Allow header a 405 must carry."""
    for path, allow in (("/metrics", "GET"), ("/index.html", "GET, HEAD")):
        conn = http.client.HTTPConnection(*address(), timeout=10)
        try:
            conn.request("POST", path, body=b"{}")
            r = conn.getresponse()
            body = json.loads(r.read().decode())
        finally:
            conn.close()
        assert r.status == 405, (path, r.status)
        assert r.getheader("Allow") == allow, (path, r.getheaders())
        assert body["error"]["code"] == "method_not_allowed", body


def test_every_reply_matches_the_contract():
    rc, out = check_replies(DOC, exchanges, route_table())
    print(out, end="")
    assert rc == 0, "replies that do not match docs/openapi.yaml:\n" + out


def find(method, path, status):
    for x in exchanges:
        if (x["method"], x["path"], x["status"]) == (method, path, status):
            return copy.deepcopy(x)
    raise AssertionError("no reply of %s %s %d" % (method, path, status))


def with_body(x, edit):
    body = json.loads(x["body"])
    edit(body)
    x["body"] = json.dumps(body)
    return x


def test_a_broken_reply_is_named():
    """Copies of real replies, each broken once, and what the checker must
    say of each: method, path, status and the JSON pointer."""
    node = "/nodes/pod01-n001"
    cases = [
        (with_body(find("GET", node, 200),
                   lambda b: b.update(power_w="350 W")),
         "GET %s 200: body /power_w must be number" % node),
        (with_body(find("GET", node, 200), lambda b: b.pop("last_seen")),
         "GET %s 200: body / lacks the required member 'last_seen'" % node),
        (with_body(find("GET", node, 200),
                   lambda b: b["accelerators"][0].update(temp_c=True)),
         "GET %s 200: body /accelerators/0/temp_c must be number" % node),
        (with_body(find("GET", node, 200), lambda b: b.update(name=None)),
         "GET %s 200: body /name must be string" % node),
        (with_body(find("GET", "/nodes", 200),
                   lambda b: b["nodes"][2].update(state="asleep")),
         "GET /nodes 200: body /nodes/2/state is the string \"asleep\", not"
         " one of"),
        (with_body(find("GET", "/pods", 200),
                   lambda b: b["pods"][0].update(colour="red")),
         "GET /pods 200: body /pods/0/colour is not in the contract"),
        (dict(find("GET", "/pods", 200), status=418),
         "GET /pods 418: status 418 is not listed for GET /pods"),
        (dict(find("DELETE", "/health", 405), headers={
            "content-type": "application/json"}),
         "DELETE /health 405: lacks the header Allow"),
        (dict(find("POST", "/jobs", 201), request=json.dumps(
            {"command": ["true"], "nodes": "2"})),
         "POST /jobs 201: request body /nodes must be integer, is the string"
         " \"2\""),
        (with_body(find("GET", "/jobs/999999", 404),
                   lambda b: b["error"].update(code="gone")),
         "GET /jobs/999999 404: body /error/code is the string \"gone\", not"
         " one of"),
    ]
    # nullable is honoured: null where the document allows it is no
    # mismatch
    fine = [with_body(find("GET", node, 200),
                      lambda b: b.update(reason=None, power_w=None,
                                         last_seen=None))]
    rc, out = check_replies(DOC, [x for x, _ in cases] + fine)
    print(out, end="")
    assert rc == 1, "broken replies accepted:\n" + out
    lines = [line for line in out.splitlines()
             if not re.match(r"\d+ replies checked", line)]
    for x, said in cases:
        assert any(line.startswith(said) for line in lines), \
            "not said: %r\n%s" % (said, out)
    assert len(lines) == len(cases), \
        "%d mismatches for %d broken replies:\n%s" \
        % (len(lines), len(cases), out)


def test_route_table_and_document_must_agree():
    """A route the document lacks, and an operation no route serves, are
    each named."""
    routes = [r for r in route_table() if r != ["DELETE", "/jobs/*"]]
    routes.append(["GET", "/nodes/*/fans"])
    rc, out = check_replies(DOC, exchanges, routes)
    print(out, end="")
    lines = [line for line in out.splitlines()
             if not re.match(r"\d+ replies checked", line)]
    assert rc == 1 and lines == [
        "route GET /nodes/*/fans (controllerd/api.c) is not in the contract",
        "the contract has DELETE /jobs/{id}, which no route of "
        "controllerd/api.c serves"], out


try:
    run([test_tools_and_fleet, test_jobs, test_nodes_and_drain, test_alarms,
         test_power_and_policy, test_telemetry_audit_agents,
         test_tokens_and_who, test_organisation, test_refused_requests, test_wrong_methods_beside_the_api_say_allow,
         test_every_reply_matches_the_contract,
         test_a_broken_reply_is_named,
         test_route_table_and_document_must_agree])
finally:
    for d in (fleet, ctl):
        if d is not None:
            d.stop()
    tmp.cleanup()
