"""Who may do what on the REST API (docs/security.md): the route table
walked with no token, a wrong token and each role; tokens made, listed,
expired and revoked; a user's own jobs; the first admin from --init-admin;
tokens kept hashed across a restart."""

import os
import sqlite3
import stat
import subprocess

from podtest import (Controller, TempDir, binary, http, http_headers, metrics,
                     run, wait_for)

tmp = TempDir("auth")
ctl = Controller(tmp).start()
ROLES = ("viewer", "operator", "admin")
RANK = {"anonymous": 0, "viewer": 1, "operator": 2, "admin": 3}
LEAST = {"public": 0, "read": 1, "user": 1, "operator": 2, "admin": 3}
# a value for each "*" of a path; unknown objects are fine: a 404 shows the
# request got past the rule
FILL = {"nodes": "pod01-n001", "jobs": "999999", "alarms": "999999",
        "tokens": "999999", "pods": "pod01", "agents": "pod01-n001"}


def routes():
    out = subprocess.run([binary("pod-controllerd"), "--routes"],
                         capture_output=True, text=True, check=True).stdout
    table = [line.split() for line in out.splitlines()]
    assert len(table) > 20 and all(len(r) == 4 for r in table), out
    return table


def concrete(path):
    parts = path.split("/")
    return "/".join(FILL.get(parts[i - 1], "x") if p == "*" else p
                    for i, p in enumerate(parts))


def call(c, method, path, token):
    body = {} if method in ("POST", "PUT") else None
    return http_headers(method, c.url + concrete(path), body,
                        token=token)[0]


def expected(rule, role, anonymous_read):
    """401, 403, or None when the rule lets the caller through."""
    if rule == "public":
        return None
    if role == "anonymous":
        return None if rule == "read" and anonymous_read else 401
    return None if RANK[role] >= LEAST[rule] else 403


def walk(c, tokens, anonymous_read):
    wrong = "pod_" + "ab" * 32
    bad = []
    for method, path, rule, _ in routes():
        if rule == "node":
            # no token, or any token that is not the node's credential (the
            # node's own: test_node_auth)
            for who, tok in [("anonymous", "")] + list(tokens.items()) + \
                    [("wrong token", wrong)]:
                got = call(c, method, path, tok)
                if got != (401 if who == "anonymous" else 403):
                    bad.append((method, path, rule, who, got))
            continue
        for who, tok in [("anonymous", "")] + list(tokens.items()):
            got = call(c, method, path, tok)
            want = expected(rule, who, anonymous_read)
            if (want is None and got in (401, 403)) or \
                    (want is not None and got != want):
                bad.append((method, path, rule, who, got, want))
        if rule != "public":
            got = call(c, method, path, wrong)
            if got != 401:
                bad.append((method, path, rule, "wrong token", got, 401))
    return bad


def test_every_route_with_every_role():
    tokens = {r: ctl.token("walk-" + r, r) for r in ROLES}
    bad = walk(ctl, tokens, anonymous_read=False)
    assert not bad, "\n".join(map(str, bad))


def test_anonymous_reads_when_allowed():
    c = Controller(tmp, name="open", extra="[auth]\nanonymous_read = true\n")
    c.start()
    try:
        tokens = {"viewer": c.token("v", "viewer")}
        bad = walk(c, tokens, anonymous_read=True)
        assert not bad, "\n".join(map(str, bad))
        code, who = http("GET", c.url + "/api/v1/whoami", token="")
        assert code == 200 and who == {"user": None, "role": "anonymous"}, \
            who
    finally:
        c.stop()


def refused():
    """/metrics' counts of REST requests refused: (401s, 403s)."""
    m = metrics(ctl.url + "/metrics")
    return (m['pod_api_auth_refused_total{code="401"}'],
            m['pod_api_auth_refused_total{code="403"}'])


def test_401_and_403_say_why():
    before = refused()
    code, headers, text = http_headers("GET", ctl.url + "/api/v1/pods",
                                       token="")
    assert code == 401 and headers["WWW-Authenticate"].startswith("Bearer")
    assert "needs a token" in text and "/api/v1/pods" in text, text
    viewer = ctl.token("vera", "viewer")
    code, body = http("POST", ctl.url + "/api/v1/nodes/pod01-n001/drain",
                      {"reason": "x"}, token=viewer)
    assert code == 403 and body["error"]["code"] == "forbidden", body
    msg = body["error"]["message"]
    assert "operator" in msg and "vera is viewer" in msg, msg
    assert refused() == (before[0] + 1, before[1] + 1), (before, refused())


def test_whoami_and_token_lifecycle():
    made_code, made = ctl.api("POST", "/tokens", {
        "user": "otto", "role": "operator", "comment": "night shift"})
    assert made_code == 201 and made["token"].startswith("pod_"), made
    code, who = ctl.api("GET", "/whoami", token=made["token"])
    assert who == {"user": "otto", "role": "operator",
                   "token_id": made["id"], "expires_ms": 0}, who
    listed = {t["id"]: t for t in ctl.api("GET", "/tokens")[1]["tokens"]}
    t = listed[made["id"]]
    assert (t["user"], t["role"], t["comment"]) == \
        ("otto", "operator", "night shift"), t
    assert t["last_used_ms"] > 0 and "token" not in t and "hash" not in t
    assert ctl.api("DELETE", "/tokens/%d" % made["id"])[0] == 200
    code, body = ctl.api("GET", "/pods", token=made["token"])
    assert code == 401 and "revoked" in body["error"]["message"], body
    # revoking again changes nothing
    assert ctl.api("DELETE", "/tokens/%d" % made["id"])[0] == 200
    assert ctl.api("GET", "/audit?action=token%20revoke")[1]["audit"][-1][
        "object"] == "token %d" % made["id"]


def test_tokens_expire():
    short = ctl.token("brief", "viewer", expires_s=1)
    assert ctl.api("GET", "/whoami", token=short)[0] == 200
    wait_for("the token to expire", lambda: ctl.api(
        "GET", "/whoami", token=short)[0] == 401, timeout=10)
    body = ctl.api("GET", "/whoami", token=short)[1]
    assert "expired" in body["error"]["message"], body


def test_bad_token_requests_are_refused():
    for body, word in (({"user": "x"}, "role"),
                       ({"user": "-x", "role": "viewer"}, "user"),
                       ({"user": "a b", "role": "viewer"}, "user"),
                       ({"user": "x", "role": "root"}, "role"),
                       ({"user": "x", "role": "viewer", "expires_s": -1},
                        "expires_s"),
                       ({"user": "x", "role": "viewer", "colour": 1},
                        "colour"),
                       ({"user": "x", "role": "viewer",
                         "comment": "a\u0007"}, "comment")):
        code, reply = ctl.api("POST", "/tokens", body)
        assert code == 400 and word in reply["error"]["message"], \
            (body, reply)
    assert ctl.api("DELETE", "/tokens/abc")[0] == 404


def test_the_last_admin_stays():
    ids = [t["id"] for t in ctl.api("GET", "/tokens")[1]["tokens"]
           if t["role"] == "admin" and not t["revoked_ms"]]
    other = [i for i in ids if i != 1]
    second = ctl.token("ada", "admin")
    for i in other:
        assert ctl.api("DELETE", "/tokens/%d" % i, token=second)[0] == 200
    # the first admin, then the one left, which may not go
    assert ctl.api("DELETE", "/tokens/1", token=second)[0] == 200
    second_id = ctl.api("GET", "/whoami", token=second)[1]["token_id"]
    code, body = ctl.api("DELETE", "/tokens/%d" % second_id, token=second)
    assert code == 409 and "last usable admin" in body["error"]["message"]
    assert ctl.api("GET", "/tokens", token=ctl.admin_token)[0] == 401
    ctl.admin_token = second  # for the cases after this one


def test_users_cancel_only_their_own_jobs():
    alice, bob = ctl.token("alice", "viewer"), ctl.token("bob", "viewer")
    op = ctl.token("opal", "operator")
    job = {"command": ["sleep", "600"], "nodes": 1, "time_limit_s": 600}
    code, a = ctl.api("POST", "/jobs", job, token=alice)
    assert code == 201, a
    code, b = ctl.api("POST", "/jobs", job, token=bob)
    assert code == 201, b
    assert ctl.api("GET", "/jobs/%d" % a["id"])[1]["submitted_by"] == "alice"
    code, body = ctl.api("DELETE", "/jobs/%d" % a["id"], token=bob)
    assert code == 403 and "alice" in body["error"]["message"], body
    assert ctl.api("DELETE", "/jobs/%d" % a["id"], token=alice)[0] == 200
    assert ctl.api("DELETE", "/jobs/%d" % b["id"], token=op)[0] == 200


def test_tokens_survive_a_restart_hashed():
    keep = ctl.token("kept", "operator")
    ctl.restart()
    assert ctl.api("GET", "/whoami", token=keep)[1]["user"] == "kept"
    db = sqlite3.connect(ctl.db)
    try:
        rows = db.execute("SELECT hash FROM tokens").fetchall()
    finally:
        db.close()
    assert rows and all(len(h) == 64 for (h,) in rows), rows
    with open(ctl.db, "rb") as f:
        assert keep.encode() not in f.read(), "the token itself is stored"


def test_init_admin_file():
    mode = stat.S_IMODE(os.stat(ctl.token_file).st_mode)
    assert mode == 0o600, oct(mode)
    before = open(ctl.token_file).read()
    ctl.restart()  # the file exists: no new token
    assert open(ctl.token_file).read() == before
    assert "exists; no token made" in ctl.log()


try:
    run([test_every_route_with_every_role, test_anonymous_reads_when_allowed,
         test_401_and_403_say_why, test_whoami_and_token_lifecycle,
         test_tokens_expire, test_bad_token_requests_are_refused,
         test_users_cancel_only_their_own_jobs,
         test_tokens_survive_a_restart_hashed, test_init_admin_file,
         test_the_last_admin_stays])
finally:
    ctl.stop()
    tmp.cleanup()
