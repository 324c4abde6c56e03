"""Helpers for the integration tests: real daemons on loopback ports picked
by the kernel, a temporary directory per test run, and the clients operators
use (podctl, HTTP). Standard library only, for Debian's /usr/bin/python3."""

import calendar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request

SOURCE = os.environ.get("POD_SOURCE_DIR",
                        os.path.dirname(os.path.dirname(os.path.dirname(
                            os.path.abspath(__file__)))))
BUILD = os.environ.get("POD_BUILD_DIR", os.path.join(SOURCE, "build"))
BIN = os.path.join(BUILD, "bin")


def binary(name):
    return os.path.join(BIN, name)


class TempDir:
    """A directory removed at exit unless POD_KEEP_TMP is set."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="pod-" + name + "-")

    def file(self, name, text=None):
        p = os.path.join(self.path, name)
        if text is not None:
            with open(p, "w") as f:
                f.write(text)
        return p

    def cleanup(self):
        if os.environ.get("POD_KEEP_TMP"):
            print("kept", self.path)
        else:
            shutil.rmtree(self.path, ignore_errors=True)


class GaveUp(AssertionError):
    """Raised by a condition of wait_for that can no longer come true (the
    daemon it waits on exited): wait_for passes it on at once."""


def free_port():
    """A loopback TCP port no one listens on now (another may take it)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(what, fn, timeout=30.0, interval=0.1):
    """Polls fn until it returns a true value; returns it or raises."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            last = fn()
            if last:
                return last
        except GaveUp:
            raise
        except Exception as e:  # not ready yet
            last = e
        time.sleep(interval)
    raise AssertionError("timed out after %.0f s waiting for %s (last: %r)"
                         % (timeout, what, last))


def wait_file(path, timeout=30.0):
    """Waits until path exists; returns it."""
    return wait_for("%s to appear" % path,
                    lambda: os.path.exists(path) and path, timeout=timeout,
                    interval=0.02)


def wait_exit(proc, timeout=30.0):
    """Waits until a subprocess.Popen has exited; returns its status."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError("pid %d still running after %.0f s"
                             % (proc.pid, timeout))


LOG_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z ")


def log_time(line):
    """The wall time (s since the epoch) a daemon's log line was written."""
    m = LOG_TIME.match(line)
    if m is None:
        raise AssertionError("no timestamp on log line %r" % line)
    return calendar.timegm(time.strptime(m.group(1)[:19],
                                         "%Y-%m-%dT%H:%M:%S")) \
        + int(m.group(1)[20:]) / 1000.0


def metrics(url):
    """Scrapes a Prometheus text page: {'name{labels}': value}."""
    with urllib.request.urlopen(url, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


class Daemon:
    """A child process whose stderr goes to a log file."""

    def __init__(self, name, argv, tmp, env=None):
        self.name = name
        self.argv = argv
        self.logpath = tmp.file(name + ".log")
        self.env = dict(os.environ, **(env or {}))
        self.proc = None

    def start(self):
        self.logf = open(self.logpath, "a")
        self.proc = subprocess.Popen(self.argv, stdout=self.logf,
                                     stderr=subprocess.STDOUT, env=self.env)
        return self

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def log_lines(self, pattern):
        """The lines of the log that match the regular expression."""
        return [line for line in self.log().splitlines()
                if re.search(pattern, line)]

    def wait_log(self, pattern, timeout=30.0, count=1):
        """Waits for the count-th log line matching pattern; returns it.
        Fails at once if the daemon exits first."""
        def seen():
            found = self.log_lines(pattern)
            if len(found) >= count:
                return found[count - 1]
            if not self.alive():
                raise GaveUp("%s exited before logging %r:\n%s"
                             % (self.name, pattern, self.log()))
            return None
        return wait_for("%s to log %r" % (self.name, pattern), seen,
                        timeout=timeout, interval=0.05)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.logf.close()
        rc = self.proc.returncode
        self.proc = None
        return rc


class Controller(Daemon):
    """pod-controllerd with its own database and a kernel-picked port."""

    def __init__(self, tmp, extra="", heartbeat_s=3, port=0, name="controller"):
        self.tmp = tmp
        self.db = tmp.file(name + ".db")
        self.conf = tmp.file(name + ".conf",
                             "[controller]\nlisten = 127.0.0.1:%d\n"
                             "database = %s\nheartbeat_timeout_s = %d\n%s"
                             % (port, self.db, heartbeat_s, extra))
        super().__init__(name, [binary("pod-controllerd"), "-c", self.conf],
                         tmp)
        self.url = None

    def start(self):
        # count earlier starts' lines before this one can write its own
        seen = (len(re.findall(r"REST API listening", self.log()))
                if os.path.exists(self.logpath) else 0)
        super().start()

        def bound():
            if not self.alive():
                raise GaveUp("pod-controllerd exited:\n" + self.log())
            found = re.findall(r"REST API listening on (http://\S+)/api/v1",
                               self.log())
            return found[seen] if len(found) > seen else None
        self.url = wait_for("the controller to listen", bound)
        return self

    def restart(self):
        """Stops and starts again on the same port and database."""
        port = int(self.url.rsplit(":", 1)[1])
        self.stop()
        with open(self.conf) as f:
            text = f.read()
        with open(self.conf, "w") as f:
            f.write(re.sub(r"listen = 127.0.0.1:\d+",
                           "listen = 127.0.0.1:%d" % port, text))
        return self.start()

    def api(self, method, path, body=None, raw=None):
        return http(method, self.url + "/api/v1" + path, body, raw)


class Fleetsim(Daemon):
    def __init__(self, tmp, server, pods=1, nodes=128, args=()):
        super().__init__("fleetsim", [binary("pod-fleetsim"), "--server",
                                      server, "--pods", str(pods),
                                      "--nodes-per-pod", str(nodes)]
                         + list(args), tmp)


class Agent(Daemon):
    """A real pod-agentd for one node, on the sim plugins."""

    def __init__(self, tmp, server, name, extra=""):
        state = os.path.join(tmp.path, name + "-state")
        os.makedirs(state, exist_ok=True)
        conf = tmp.file(name + ".conf",
                        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                        "interval_ms = 500\nmetrics_listen = 127.0.0.1:0\n"
                        "[power]\nplugin = sim\n"
                        "[cooling]\nplugin = sim\n%s"
                        % (server, name, state, extra))
        super().__init__(name, [binary("pod-agentd"), "-c", conf], tmp)

    def metrics_url(self):
        return metrics_url(self)


def metrics_url(daemon):
    """The /metrics address an agent logged, or None yet."""
    found = re.findall(r"metrics on (http://\S+/metrics)", daemon.log())
    return found[-1] if found else None


def http(method, url, body=None, raw=None, timeout=10):
    """Returns (status, parsed JSON or text)."""
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def raw_exchange(url, data, timeout=10):
    """Sends raw bytes on one connection to the server at url
    ("http://HOST:PORT") and returns, decoded, all it sends back until it
    closes the connection (so the last request must be one it answers with
    a close)."""
    host, port = url.split("//", 1)[1].rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=timeout)
    s.sendall(data)
    out = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        out += chunk
    s.close()
    return out.decode()


def podctl(server, *args, env=None):
    """Runs podctl; returns (exit code, stdout, stderr)."""
    e = dict(os.environ)
    e.pop("POD_SERVER", None)
    e.update(env or {})
    argv = [binary("podctl")] + (["--server", server] if server else []) \
        + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, env=e,
                       timeout=30)
    return p.returncode, p.stdout, p.stderr


def run(tests):
    """Runs test functions in order; prints 'N passed, M failed'. A run
    of no test at all fails: a script that lost its list tests nothing."""
    passed = failed = 0
    if not tests:
        print("FAIL no test to run")
        sys.exit(1)
    for t in tests:
        start = time.monotonic()
        try:
            t()
            passed += 1
            print("ok   %s (%.1f s)" % (t.__name__, time.monotonic() - start),
                  flush=True)
        except Exception:
            failed += 1
            print("FAIL %s" % t.__name__, flush=True)
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed else 0)


def npm_ci(folder, env=None):
    """Installs the npm packages of folder (a package.json with its
    package-lock.json) with npm ci, unless node_modules is as new as the
    lockfile. Raises AssertionError saying what failed."""
    marker = os.path.join(folder, "node_modules", ".package-lock.json")
    lock = os.path.join(folder, "package-lock.json")
    if os.path.exists(marker) and \
            os.path.getmtime(marker) >= os.path.getmtime(lock):
        return
    if shutil.which("npm") is None:
        raise AssertionError("npm not found: run scripts/install-deps --test"
                             " (npm)")
    p = subprocess.run(["npm", "ci", "--prefix", folder, "--no-audit",
                        "--no-fund"], env=dict(os.environ, **(env or {})),
                       capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("npm ci --prefix %s failed:\n%s%s"
                             % (os.path.relpath(folder, SOURCE), p.stdout,
                                p.stderr))
