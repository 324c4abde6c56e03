"""The REST API over TLS (docs/security.md, "TLS"): a small CA made with
the openssl command, a controller with [controller] tls_cert and tls_key,
and its clients verifying it: curl with and without the CA, plain HTTP to
the same port, pod-fleetsim --ca-file, a real pod-agentd with [agent]
ca_file, one with the wrong CA that must never connect, and the
certificate rotated on SIGHUP (a bad one keeping the running one)."""

import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

from podtest import (Agent, Controller, Fleetsim, TempDir, binary, make_ca,
                     make_server_cert, run, wait_for)

if shutil.which("openssl") is None or shutil.which("curl") is None:
    print("SKIP: needs the openssl and curl commands")
    sys.exit(77)

TMP = TempDir("tls")
NODES = 4
CA = make_ca(TMP, "ca")
OTHER_CA = make_ca(TMP, "other-ca")
CERT, KEY = TMP.file("server.pem"), TMP.file("server.key")
make_server_cert(TMP, CA, "0x1001", CERT, KEY)
TLS_CONF = "tls_cert = %s\ntls_key = %s\n" % (CERT, KEY)
# loopback not exempt, so that httpcap's caps apply to this test's peers
PER_PEER = 24
ctl = Controller(TMP, extra=TLS_CONF + "limit_exempt =\nmax_per_peer = %d\n"
                 "header_timeout_s = 2\n" % PER_PEER).start()
HOSTPORT = ctl.url.split("://", 1)[1]


def auth():
    """The Authorization header of the controller's admin."""
    return {"Authorization": "Bearer " + ctl.admin_token}


def get(path):
    """GET over https, verifying the server with the CA: parsed JSON."""
    ctx = ssl.create_default_context(cafile=CA[0])
    req = urllib.request.Request(ctl.url + "/api/v1" + path,
                                 headers=auth())
    with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
        return json.loads(r.read().decode())


def curl(*args):
    hdr = []
    for kv in auth().items():
        hdr += ["-H", "%s: %s" % kv]
    return subprocess.run(["curl", "-sS", "--max-time", "10"] + hdr
                          + list(args), capture_output=True, text=True)


def tls_socket(timeout=10):
    """A TLS connection to the controller, the CA verifying it."""
    ctx = ssl.create_default_context(cafile=CA[0])
    s = socket.create_connection(("127.0.0.1", int(HOSTPORT.split(":")[1])),
                                 timeout=timeout)
    return ctx.wrap_socket(s, server_hostname="127.0.0.1")


def read_all(s):
    """What s receives until the server closes or fails it."""
    got = b""
    try:
        while True:
            b = s.recv(4096)
            if not b:
                return got
            got += b
    except (ssl.SSLError, ConnectionError):
        return got


def peer_serial():
    """The serial (hex) of the certificate a new connection is served."""
    ctx = ssl.create_default_context(cafile=CA[0])
    with socket.create_connection(("127.0.0.1", int(HOSTPORT.split(":")[1])),
                                  timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
            return t.getpeercert()["serialNumber"]


def node_up(name):
    """Whether the controller counts the node as reporting (idle when it
    has no job)."""
    return get("/nodes/" + name)["state"] == "idle"


def test_https_with_the_ca():
    assert ctl.url.startswith("https://127.0.0.1:"), ctl.url
    assert ctl.log_lines(r"REST API listening on https://"), ctl.log()
    r = curl("--cacert", CA[0], ctl.url + "/api/v1/health")
    assert r.returncode == 0, (r.returncode, r.stderr)
    assert json.loads(r.stdout)["status"] == "ok", r.stdout
    assert get("/status")["nodes"]["total"] > 0
    if auth():  # tokens are checked over TLS as over plain HTTP
        r = subprocess.run(["curl", "-sS", "-o", "/dev/null", "-w",
                            "%{http_code}", "--cacert", CA[0],
                            ctl.url + "/api/v1/status"],
                           capture_output=True, text=True, timeout=30)
        assert r.stdout == "401", (r.stdout, r.stderr)


def test_plain_http_and_unverified_clients_fail():
    r = curl("http://%s/api/v1/health" % HOSTPORT)
    assert r.returncode != 0 and r.stdout == "", (r.returncode, r.stdout)
    r = curl("-o", "/dev/null", "-w", "%{http_code}",
             "http://%s/api/v1/health" % HOSTPORT)
    assert r.stdout in ("", "000"), r.stdout  # no HTTP reply at all
    # curl's own CA store does not know ours: 60, verification failed
    r = curl("--capath", TMP.path, "--cacert", OTHER_CA[0],
             ctl.url + "/api/v1/health")
    assert r.returncode == 60, (r.returncode, r.stderr)
    r = curl(ctl.url + "/api/v1/health")
    assert r.returncode == 60, (r.returncode, r.stderr)
    # still serving
    assert get("/health")["status"] == "ok"


def test_limits_hold_over_tls():
    """httpcap's deadlines and caps under TLS: a connection that never
    starts its handshake is cut at the head deadline; one with a head
    unfinished at it gets the API's 408 over TLS; past max_per_peer a
    connection is cut; the server serves again once they are gone."""
    raw = socket.create_connection(("127.0.0.1", int(HOSTPORT.split(":")[1])),
                                   timeout=15)
    assert raw.recv(100) == b""  # cut, nothing sent in the clear
    raw.close()
    t = tls_socket(timeout=15)
    t.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
    reply = read_all(t).decode(errors="replace")
    t.close()
    assert reply.startswith("HTTP/1.1 408 "), reply
    # connections held by a body still to come (body_timeout_s, 30 s)
    held = []
    for i in range(PER_PEER):
        h = tls_socket()
        h.sendall(b"POST /api/v1/jobs HTTP/1.1\r\nHost: x\r\n"
                  b"Content-Type: application/json\r\n"
                  b"Content-Length: 100\r\n\r\n")
        held.append(h)
    try:
        refused = False
        try:
            over = tls_socket()
            over.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
            refused = read_all(over) == b""
            over.close()
        except (ssl.SSLError, ConnectionError):
            refused = True
        assert refused, "a connection over max_per_peer was served"
    finally:
        for h in held:
            h.close()
    wait_for("served again", lambda: curl(
        "--cacert", CA[0], ctl.url + "/api/v1/health").returncode == 0)


def check(text):
    """pod-controllerd -n on a config holding text: (rc, its output)."""
    conf = TMP.file("check.conf", "[controller]\nlisten = 127.0.0.1:0\n"
                    "database = %s\n%s" % (TMP.file("check.db"), text))
    r = subprocess.run([binary("pod-controllerd"), "-n", "-c", conf],
                       capture_output=True, text=True)
    return r.returncode, r.stdout + r.stderr


def test_config_checks_the_files():
    rc, out = check(TLS_CONF)
    assert rc == 0, out
    rc, out = check("tls_cert = %s\n" % CERT)
    assert rc != 0 and "check.conf:4: [controller] tls_cert and tls_key " \
        "go together" in out, out
    rc, out = check("tls_cert = %s\ntls_key = %s\n" % (CERT, KEY + ".none"))
    assert rc != 0 and "check.conf:5: tls_key: cannot read" in out, out
    loose = TMP.file("loose.key")
    shutil.copy(KEY, loose)
    os.chmod(loose, 0o644)
    rc, out = check("tls_cert = %s\ntls_key = %s\n" % (CERT, loose))
    assert rc != 0 and "readable or writable by others" in out, out
    # a key that is not the certificate's, and a file that is no PEM
    rc, out = check("tls_cert = %s\ntls_key = %s\n" % (CERT, CA[1]))
    assert rc != 0 and CA[1] in out, out
    junk = TMP.file("junk.pem", "not a certificate\n")
    rc, out = check("tls_cert = %s\ntls_key = %s\n" % (junk, KEY))
    assert rc != 0 and junk in out, out


def test_clients_check_the_ca_file():
    conf = TMP.file("nocafile.conf", "[agent]\nname = pod01-n099\n"
                    "state_dir = %s\nca_file = %s\n[power]\nplugin = sim\n"
                    % (TMP.path, TMP.file("none.pem")))
    r = subprocess.run([binary("pod-agentd"), "-n", "-c", conf],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "nocafile.conf:4: ca_file: cannot read" \
        in r.stderr, (r.returncode, r.stderr)
    r = subprocess.run([binary("pod-fleetsim"), "--server", ctl.url,
                        "--ca-file", TMP.file("none.pem")],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0 and "--ca-file" in r.stderr, r.stderr


def test_fleet_over_tls():
    fleet = Fleetsim(TMP, ctl.url, nodes=NODES,
                     args=["--ca-file", CA[0], "--interval-ms", "500"])
    fleet.start()
    wait_for("the fleet up over TLS",
             lambda: get("/status")["nodes"]["up"] >= NODES, timeout=60)
    assert fleet.alive(), fleet.log()


def test_agent_over_tls():
    agent = Agent(TMP, ctl.url, "pod01-n010",
                  extra="[agent]\nca_file = %s\n" % CA[0]).start()
    agent.wait_log(r"controller https://\S+ accepts reports")
    wait_for("pod01-n010 up", lambda: node_up("pod01-n010"))


def test_agent_with_the_wrong_ca_never_connects():
    agent = Agent(TMP, ctl.url, "pod01-n011",
                  extra="[agent]\nca_file = %s\n" % OTHER_CA[0]).start()
    line = agent.wait_log(r"pod01-n011: controller \S+ unreachable")
    assert "certificate" in line.lower(), line
    # never seen by the controller
    assert not agent.log_lines(r"accepts reports"), agent.log()
    assert get("/nodes/pod01-n011")["state"] == "down"


def test_certificate_rotates_on_sighup():
    assert peer_serial() == "1001", peer_serial()
    make_server_cert(TMP, CA, "0x2002", CERT, KEY)
    ctl.proc.send_signal(1)  # SIGHUP
    ctl.wait_log(r"TLS certificate \S+: .*serial 2002")
    assert peer_serial() == "2002", peer_serial()
    # a broken renewal keeps the running certificate
    with open(CERT, "w") as f:
        f.write("not a certificate\n")
    ctl.proc.send_signal(1)
    ctl.wait_log(r"TLS: keeping the running certificate \(.*serial 2002")
    assert peer_serial() == "2002", peer_serial()
    assert get("/health")["status"] == "ok"
    # the agents reconnect to the new certificate and stay up
    wait_for("pod01-n010 still up",
             lambda: node_up("pod01-n010"))
    assert get("/status")["nodes"]["up"] >= NODES + 1


try:
    run([test_https_with_the_ca, test_plain_http_and_unverified_clients_fail,
         test_limits_hold_over_tls, test_config_checks_the_files,
         test_clients_check_the_ca_file, test_fleet_over_tls,
         test_agent_over_tls,
         test_agent_with_the_wrong_ca_never_connects,
         test_certificate_rotates_on_sighup])
finally:
    TMP.cleanup()
