"""podctl's contract with a person at a terminal and with scripts: exit 0 on
success; one clear line on stderr and a distinct non-zero status for an
unreachable server (3), an API error (1) and bad arguments (2); POD_SERVER
picks the server."""

import socket

from podtest import Controller, TempDir, podctl, run

tmp = TempDir("podctl")
ctl = Controller(tmp).start()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def one_line(err):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    return lines[0]


def test_unreachable_server():
    url = "http://127.0.0.1:%d" % free_port()
    rc, out, err = podctl(url, "status")
    assert rc == 3, (rc, err)
    line = one_line(err)
    assert "127.0.0.1" in line and ("reach" in line or "connect" in line), line


def test_unknown_node():
    rc, out, err = podctl(ctl.url, "node", "show", "pod01-n999")
    assert rc == 1, (rc, err)
    assert "pod01-n999" in one_line(err)


def test_bad_arguments():
    for args in (("frobnicate",), ("nodes", "--state", "sleepy"),
                 ("node", "drain", "pod01-n001"), ("node",),
                 ("-o", "yaml", "pods")):
        rc, out, err = podctl(ctl.url, *args)
        assert rc == 2, (args, rc, err)
        one_line(err)


def test_pod_server_environment():
    rc, out, err = podctl(None, "pods", env={"POD_SERVER": ctl.url})
    assert rc == 0 and "pod01" in out, (rc, out, err)


def test_help_and_version():
    rc, out, err = podctl(None, "help")
    assert rc == 0 and "node" in out and "status" in out, (out, err)
    rc, out, err = podctl(None, "--version")
    assert rc == 0 and out.strip(), (out, err)


try:
    run([test_unreachable_server, test_unknown_node, test_bad_arguments,
         test_pod_server_environment, test_help_and_version])
finally:
    ctl.stop()
    tmp.cleanup()
