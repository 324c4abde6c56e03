"""Bad input gets a clear error and loses nothing: unknown agents, malformed
JSON, oversized bodies, bad members, bad routes and queries, bad config
files. The daemon keeps serving and acknowledged state stays."""

import json
import os
import socket
import subprocess

from podtest import (Controller, TempDir, auth_header, binary, node_api,
                     raw_exchange, run)

tmp = TempDir("badinput")
ctl = Controller(tmp).start()


def report(name, raw):
    return node_api(ctl, "POST", "/agents/%s/report" % name, name, raw=raw)


def test_drain_before_everything():
    status, body = ctl.api("POST", "/nodes/pod01-n042/drain",
                           {"reason": "kept across bad input"})
    assert status == 200 and body["drained"] is True, body


def test_unknown_node_is_404_and_logged_once():
    good = b'{"boot_id":"ab","samples":[]}'
    for _ in range(3):
        status, body = report("pod09-n001", good)
        assert status == 404, (status, body)
        assert body["error"]["code"] == "not_found"
        assert "pod09-n001" in body["error"]["message"]
    assert ctl.log().count("unknown node 'pod09-n001'") == 1, ctl.log()


def test_malformed_json_says_line_and_column():
    status, body = report("pod01-n001", b'{"boot_id": "ab",\n "samples": [}')
    assert status == 400, body
    msg = body["error"]["message"]
    assert "line 2 column" in msg, msg


def test_bad_member_is_named():
    status, body = report("pod01-n001", b'{"boot_id":"ab","samples":'
                          b'[{"seq":1,"t_ms":1,"accels":[{"temp_c":"x"}]}]}')
    assert status == 400
    assert "samples[0].accels[0].temp_c" in body["error"]["message"], body


def test_oversized_body_is_413():
    big = tmp.file("big.json", '{"boot_id":"ab","pad":"%s"}'
                   % ("x" * (5 * 1024 * 1024)))
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "-H", "Content-Type: application/json",
                        "--data-binary", "@" + big,
                        ctl.url + "/api/v1/agents/pod01-n001/report"],
                       capture_output=True, text=True, timeout=30)
    assert p.stdout == "413", (p.stdout, p.stderr)
    assert ctl.alive()


def curl(*args):
    """curl's reply as (status, headers text, body JSON); curl must run."""
    p = subprocess.run(["curl", "-s", "-i", "-H", auth_header(ctl.url)]
                       + list(args), capture_output=True, timeout=30)
    assert p.returncode == 0, (args, p.returncode, p.stderr)
    head, _, body = p.stdout.decode().replace(
        "HTTP/1.1 100 Continue\r\n\r\n", "").partition("\r\n\r\n")
    return int(head.split()[1]), head, json.loads(body)


def test_oversized_body_is_json_413():
    big = tmp.file("big.txt", "x" * (5 * 1024 * 1024))
    for extra in ([], ["-H", "Expect:"]):  # with and without 100-continue
        status, head, body = curl(*extra, "--data-binary", "@" + big,
                                  ctl.url + "/api/v1/jobs")
        assert status == 413, (status, head)
        assert "application/json" in head, head
        assert body["error"]["code"] == "payload_too_large", body
        assert str(5 * 1024 * 1024) in body["error"]["message"], body
    assert ctl.alive()


def test_oversized_head_is_json_431():
    reply = raw_exchange(ctl.url, b"GET /api/v1/health HTTP/1.1\r\n"
                         b"Host: x\r\nX-Pad: " + b"a" * 20000 +
                         b"\r\n\r\n")
    assert reply.startswith("HTTP/1.1 431"), reply[:200]
    assert '"code":"header_too_large"' in reply, reply
    reply = raw_exchange(ctl.url, b"GET /api/v1/health?" + b"a" * 20000 +
                         b" HTTP/1.1\r\n\r\n")
    assert reply.startswith("HTTP/1.1 431"), reply[:200]


def test_pipelined_requests_around_a_refused_one():
    """Requests before a refused one on the same connection are answered;
    the refused one gets its JSON 413 and the connection closes."""
    reply = raw_exchange(
        ctl.url,
        b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        + auth_header(ctl.url).encode() + b"\r\n\r\n{}"
        b"POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\n"
        b"Content-Length: 99999999999\r\n\r\nabc")
    statuses = [line.split()[1] for line in reply.splitlines()
                if line.startswith("HTTP/1.1 ")]
    assert statuses == ["200", "400", "413"], reply
    assert "99999999999 bytes" in reply, reply


def test_connection_close_replies_arrive():
    """HTTP/1.0 and Connection: close get their whole reply."""
    for req in (b"GET /api/v1/health HTTP/1.0\r\n\r\n",
                b"GET /api/v1/health HTTP/1.1\r\nConnection: close\r\n\r\n"):
        reply = raw_exchange(ctl.url, req)
        assert reply.split()[1] == "200", reply
        assert json.loads(reply.partition("\r\n\r\n")[2])["status"] == "ok"


def test_wrong_methods_are_json_405():
    for method in ("PATCH", "OPTIONS", "PUT", "DELETE"):
        status, head, body = curl("-X", method, ctl.url + "/api/v1/jobs")
        assert status == 405, (method, status, head)
        assert "Allow: GET, POST" in head, head
        assert body["error"]["code"] == "method_not_allowed", body
    status, head, body = curl("-X", "POST", ctl.url + "/metrics")
    assert status == 405 and body["error"]["code"] == "method_not_allowed"


def test_unknown_routes_are_json_404():
    for path in ("/api/v1/no/such/route", "/api/v2/pods", "/api",
                 "/no-such-file.html"):
        status, head, body = curl(ctl.url + path)
        assert status == 404, (path, status)
        assert body["error"]["code"] == "not_found", body


def test_bad_requests():
    cases = [
        ("POST", "/nodes/pod01-n001/drain", {}, 400),
        ("POST", "/nodes/pod01-n001/drain", {"reason": ""}, 400),
        ("POST", "/nodes/pod01-n001/drain", {"reason": 7}, 400),
        ("POST", "/nodes/pod01-n999/drain", {"reason": "x"}, 404),
        ("GET", "/nodes?state=sleepy", None, 400),
        ("GET", "/nodes?colour=red", None, 400),
        ("GET", "/nodes?pod=pod77", None, 404),
        ("GET", "/nodes/pod01-n999", None, 404),
        ("GET", "/no/such/route", None, 404),
        ("DELETE", "/nodes/pod01-n001", None, 405),
    ]
    for method, path, body, want in cases:
        status, reply = ctl.api(method, path, body)
        assert status == want, (method, path, status, reply)
        assert set(reply["error"]) == {"code", "message"}, reply


def test_still_serving_and_state_kept():
    assert ctl.alive()
    status, body = ctl.api("GET", "/health")
    assert status == 200 and body["status"] == "ok"
    ctl.restart()
    _, n = ctl.api("GET", "/nodes/pod01-n042")
    assert n["drained"] and n["reason"] == "kept across bad input", n


def test_bad_config_refused_with_file_and_line():
    bad = tmp.file("bad.conf", "[controller]\nlisten = 127.0.0.1:0\n"
                   "heartbeat_timeout_s = soon\n")
    p = subprocess.run([binary("pod-controllerd"), "-c", bad],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "bad.conf:3: heartbeat_timeout_s" in p.stderr, p.stderr
    p = subprocess.run([binary("pod-controllerd"), "-n", "-c", ctl.conf],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr


def taken_port_refused(section_key):
    """Start-up with a taken port: one clear line, exit 1, and no database
    or state folder left behind."""
    busy = socket.socket()
    busy.bind(("127.0.0.1", 0))
    busy.listen(1)
    port = busy.getsockname()[1]
    state = os.path.join(tmp.path, "fresh-state")
    db = os.path.join(state, "controller.db")
    listen = {"rest": "[controller]\nlisten = 127.0.0.1:%d\n" % port,
              "modbus": "[controller]\nlisten = 127.0.0.1:0\n"
                        "[modbus]\nlisten = 127.0.0.1:%d\n" % port}
    conf = tmp.file("taken.conf", listen[section_key].replace(
        "[controller]\n", "[controller]\ndatabase = %s\n" % db))
    try:
        p = subprocess.run([binary("pod-controllerd"), "-c", conf],
                           capture_output=True, text=True, timeout=10)
    finally:
        busy.close()
    assert p.returncode == 1, (p.returncode, p.stderr)
    lines = [ln for ln in p.stderr.splitlines() if " info: " not in ln]
    assert len(lines) == 1, p.stderr
    assert "cannot listen on 127.0.0.1:%d" % port in lines[0], lines
    assert "Address already in use" in lines[0], lines
    assert not os.path.exists(state), os.listdir(state)


def test_taken_rest_port_leaves_nothing_behind():
    taken_port_refused("rest")


def test_taken_modbus_port_leaves_nothing_behind():
    taken_port_refused("modbus")


def test_bad_agent_config_refused_with_file_and_line():
    bad = tmp.file("agent.conf", "[agent]\nname = pod01-n001\n"
                   "[power]\nplugin = sim\nwarp = 9\n")
    p = subprocess.run([binary("pod-agentd"), "-n", "-c", bad],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "agent.conf:5" in p.stderr and "warp" in p.stderr, p.stderr


try:
    run([test_drain_before_everything, test_unknown_node_is_404_and_logged_once,
         test_malformed_json_says_line_and_column, test_bad_member_is_named,
         test_oversized_body_is_413, test_oversized_body_is_json_413,
         test_oversized_head_is_json_431,
         test_pipelined_requests_around_a_refused_one,
         test_connection_close_replies_arrive, test_wrong_methods_are_json_405,
         test_unknown_routes_are_json_404, test_bad_requests,
         test_still_serving_and_state_kept,
         test_bad_config_refused_with_file_and_line,
         test_taken_rest_port_leaves_nothing_behind,
         test_taken_modbus_port_leaves_nothing_behind,
         test_bad_agent_config_refused_with_file_and_line])
finally:
    ctl.stop()
    tmp.cleanup()
