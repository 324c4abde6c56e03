"""The REST server holds up against clients that take too much: at the
open-file limit it pauses accepting instead of spinning and logging every
failure, and serves again once descriptors are free; connections over the
per-peer cap are turned away with a 503; a client trickling its head or body
is cut at an absolute deadline; writes over a peer's rate get 429 with
Retry-After, while reads and the agents' reports go on."""

import re
import select
import socket
import urllib.error
import urllib.request

from podtest import (Controller, TempDir, auth_header, http, node_api, run,
                     wait_for)

tmp = TempDir("limits")

# Loopback is exempt by default; this controller limits it like any peer.
ctl = Controller(tmp, extra="limit_exempt =\nmax_per_peer = 6\n"
                 "header_timeout_s = 2\nbody_timeout_s = 2\n"
                 "write_rate_per_s = 2\nwrite_burst = 3\n").start()


def addr(url):
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    return host, int(port)


def health(url, timeout=5):
    return http("GET", url + "/api/v1/health", timeout=timeout)[0]


def keepalive_request(s):
    """One GET /health on socket s, kept alive; returns the head."""
    s.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: t\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        assert chunk, "closed before a reply: %r" % data
        data += chunk
    head, body = data.split(b"\r\n\r\n", 1)
    length = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < length:
        body += s.recv(4096)
    return head.decode()


def read_to_close(s, timeout=10):
    """Everything s receives until the server closes it."""
    s.settimeout(timeout)
    out = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return out.decode(errors="replace")
            out += chunk
    except ConnectionResetError:
        return out.decode(errors="replace")


def trickle(s, pieces, every_s=0.3):
    """Sends pieces one at a time, each after every_s unless the server
    answers or closes first; returns (pieces sent, what came back)."""
    sent = 0
    for p in pieces:
        try:
            s.sendall(p)
        except (BrokenPipeError, ConnectionResetError):
            return sent, ""
        sent += 1
        ready, _, _ = select.select([s], [], [], every_s)
        if ready:
            return sent, read_to_close(s)
    return sent, None


def test_trickled_head_is_cut_with_408():
    s = socket.create_connection(addr(ctl.url))
    lines = [b"GET /api/v1/health HTTP/1.1\r\n"] + \
        [b"X-Slow-%d: x\r\n" % i for i in range(200)]
    sent, reply = trickle(s, lines)
    s.close()
    # 200 lines at 0.3 s is a minute: evhttp's idle timeout never fires
    assert reply is not None, "never cut after %d header lines" % sent
    assert reply.startswith("HTTP/1.1 408"), reply
    assert '"code":"request_timeout"' in reply, reply
    assert "header_timeout_s" in reply, reply


def test_silent_connection_is_cut():
    s = socket.create_connection(addr(ctl.url))
    reply = read_to_close(s, timeout=30)
    s.close()
    assert reply.startswith("HTTP/1.1 408"), reply


def test_trickled_body_is_cut():
    s = socket.create_connection(addr(ctl.url))
    s.sendall(b"POST /api/v1/jobs HTTP/1.1\r\nHost: t\r\n"
              b"Content-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n")
    sent, reply = trickle(s, [b" "] * 200)
    s.close()
    assert reply is not None, "never cut after %d body bytes" % sent
    assert "HTTP/1.1 2" not in reply, reply


def test_connections_over_the_per_peer_cap_get_503():
    held = []
    for _ in range(6):
        s = socket.create_connection(addr(ctl.url))
        assert " 200 " in keepalive_request(s)
        held.append(s)
    extra = socket.create_connection(addr(ctl.url))
    reply = read_to_close(extra)
    extra.close()
    assert reply.startswith("HTTP/1.1 503"), reply
    assert "Retry-After: 1" in reply, reply
    assert '"code":"too_many_connections"' in reply, reply
    assert "max_per_peer" in reply, reply
    # the held ones still work, and one closed makes room
    assert " 200 " in keepalive_request(held[0])
    held.pop().close()
    wait_for("a free slot for a new connection",
             lambda: health(ctl.url) == 200, timeout=15)
    for s in held:
        s.close()
    # closed connections stop counting at once: many in a row pass
    got = [health(ctl.url) for _ in range(20)]
    assert got == [200] * 20, got
    ctl.wait_log(r"REST: turned away \d+ connections over")


def test_writes_over_the_rate_get_429():
    # the burst is 3; unknown nodes answer 404 but count as writes
    got = [ctl.api("POST", "/nodes/nosuch/drain", {})[0] for _ in range(3)]
    assert got == [404, 404, 404], got
    status, body, retry = 0, None, None
    url = ctl.url + "/api/v1/nodes/nosuch/drain"
    req = urllib.request.Request(url, data=b"{}", method="POST")
    req.add_header(*auth_header(url).split(": ", 1))
    try:
        urllib.request.urlopen(req, timeout=10)
    except urllib.error.HTTPError as e:
        status, retry = e.code, e.headers.get("Retry-After")
        body = e.read().decode()
    assert status == 429, (status, body)
    assert retry is not None and int(retry) >= 1, retry
    assert '"code":"too_many_requests"' in body, body
    assert "write_rate_per_s" in body, body
    # reads and the agents' reports are not writes of the operator
    assert health(ctl.url) == 200
    for _ in range(10):  # a fleet behind one address reports at once
        status, _ = node_api(ctl, "POST", "/agents/nosuch/report",
                             "nosuch", {"boot_id": "x", "samples": []})
        assert status == 404, status
    # the bucket refills: a write goes through again
    wait_for("the bucket to refill",
             lambda: ctl.api("POST", "/nodes/nosuch/drain", {})[0] == 404,
             timeout=15, interval=0.2)


def cpu_ticks(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def sleeps(pid):
    """How often the process has gone to sleep waiting (voluntary context
    switches): an event loop idling in epoll_wait adds one per wakeup, one
    spinning adds none."""
    with open("/proc/%d/status" % pid) as f:
        return int(re.search(r"voluntary_ctxt_switches:\s+(\d+)",
                             f.read()).group(1))


def test_out_of_descriptors_pauses_accepting():
    low = Controller(tmp, name="lowfd",
                     extra="max_connections = 1000\nheader_timeout_s = 600\n")
    low.argv = ["prlimit", "--nofile=64", "--"] + low.argv
    low.start()
    low.wait_log(r"open-file limit 64 ")
    pid = low.proc.pid
    host, port = addr(low.url)
    clients = []
    try:
        for _ in range(90):  # more than the 64 descriptors it may have
            clients.append(socket.create_connection((host, port)))
        low.wait_log(r"REST: cannot accept connections: Too many open files")
        lines = len(low.log().splitlines())
        cpu = cpu_ticks(pid)
        # A waiting period of 12 trips of the loop through epoll_wait: a
        # paused listener sleeps between ticks and retries, a spinning one
        # never sleeps and never gets here.
        start = sleeps(pid)
        for _ in range(20):  # further connection attempts, queued
            clients.append(socket.create_connection((host, port)))
        wait_for("the controller to sleep 12 times",
                 lambda: sleeps(pid) >= start + 12, timeout=60)
        used = cpu_ticks(pid) - cpu
        grown = len(low.log().splitlines()) - lines
        assert used < 50, "%d ticks of CPU while out of descriptors" % used
        assert grown <= 3, "log grew %d lines:\n%s" % (
            grown, "\n".join(low.log().splitlines()[-10:]))
    finally:
        for s in clients:
            s.close()
    wait_for("/health served again",
             lambda: health(low.url, timeout=2) == 200, timeout=30)
    low.wait_log(r"REST: accepting connections again after")
    assert low.stop() == 0


if __name__ == "__main__":
    try:
        run([test_trickled_head_is_cut_with_408, test_silent_connection_is_cut,
             test_trickled_body_is_cut,
             test_connections_over_the_per_peer_cap_get_503,
             test_writes_over_the_rate_get_429,
             test_out_of_descriptors_pauses_accepting])
    finally:
        ctl.stop()
        tmp.cleanup()
