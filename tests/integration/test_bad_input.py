"""Bad input gets a clear error and loses nothing: unknown agents, malformed
JSON, oversized bodies, bad members, bad routes and queries, bad config
files. The daemon keeps serving and acknowledged state stays."""

import subprocess

from podtest import Controller, TempDir, binary, run

tmp = TempDir("badinput")
ctl = Controller(tmp).start()


def report(name, raw):
    return ctl.api("POST", "/agents/%s/report" % name, raw=raw)


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
    assert p.returncode != 0
    assert "bad.conf:3: heartbeat_timeout_s" in p.stderr, p.stderr
    p = subprocess.run([binary("pod-controllerd"), "-n", "-c", ctl.conf],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode == 0, p.stderr


def test_bad_agent_config_refused_with_file_and_line():
    bad = tmp.file("agent.conf", "[agent]\nname = pod01-n001\n"
                   "[power]\nplugin = sim\nwarp = 9\n")
    p = subprocess.run([binary("pod-agentd"), "-n", "-c", bad],
                       capture_output=True, text=True, timeout=10)
    assert p.returncode != 0
    assert "agent.conf:5" in p.stderr and "warp" in p.stderr, p.stderr


try:
    run([test_drain_before_everything, test_unknown_node_is_404_and_logged_once,
         test_malformed_json_says_line_and_column, test_bad_member_is_named,
         test_oversized_body_is_413, test_bad_requests,
         test_still_serving_and_state_kept,
         test_bad_config_refused_with_file_and_line,
         test_bad_agent_config_refused_with_file_and_line])
finally:
    ctl.stop()
    tmp.cleanup()
