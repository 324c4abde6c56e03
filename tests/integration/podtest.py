"""Helpers for the integration tests: real daemons on loopback ports picked
by the kernel, a temporary directory per test run, waits on conditions, a
fake controller for the agent's tests, and the clients operators use
(podctl, HTTP). Standard library only, for Debian's /usr/bin/python3."""

import atexit
import calendar
import fcntl
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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
    """Scrapes a Prometheus text page: {'name{labels}': value}; with the
    admin token when url is a controller's."""
    req = urllib.request.Request(url)
    _authorize(req, url, None)
    with urllib.request.urlopen(req, timeout=10) as r:
        text = r.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            key, value = line.rsplit(" ", 1)
            out[key] = float(value)
    return out


# A report of AddressSanitizer, LeakSanitizer or UBSan (scripts/test-sanitize
# builds with them): its first line.
SANITIZER = re.compile(r"^.*(?:ERROR: [A-Za-z]+Sanitizer|"
                       r"\S+:\d+:\d+: runtime error: ).*$", re.M)
_running = set()  # Daemons started and not stopped yet


def check_sanitizer(name, output):
    """Fails, with the report, if output (a log) holds a sanitizer's."""
    m = SANITIZER.search(output)
    assert m is None, "%s: sanitizer report:\n%s" % (name,
                                                      output[m.start():])


@atexit.register
def _stop_all():
    """Stops the daemons a failed test left running."""
    for d in list(_running):
        if d.proc is not None:
            d.proc.kill()
            d.proc.wait()


class Daemon:
    """A child process whose stderr goes to a log file. stop() fails if a
    sanitizer reported an error in the log."""

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
        _running.add(self)
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
        _running.discard(self)
        self.proc = None
        check_sanitizer(self.name, self.log())
        return rc


class Controller(Daemon):
    """pod-controllerd with its own database and a kernel-picked port; a
    short fence timeout and margin (docs/fencing.md) so that a lost node's
    jobs are requeued within seconds. Its first admin token (--init-admin)
    is admin_token, which http() and podctl() send it; token() makes
    others."""

    def __init__(self, tmp, extra="", heartbeat_s=3, port=0, name="controller",
                 fence_s=5, fence_margin_s=1, database=None, standby=None):
        self.tmp = tmp
        # database: a PostgreSQL URL (pg_database()); else an SQLite file,
        # or with POD_TEST_ON_PG set a fresh database on POD_TEST_PG's
        # server, so that a test written for SQLite runs on PostgreSQL
        self.db = database or (pg_database("ctl_" + name.replace("-", "_"))
                               if os.environ.get("POD_TEST_ON_PG")
                               else tmp.file(name + ".db"))
        # standby: the Controller that leads the database (database is
        # its): this one stands by, with the leader's admin token
        self.standby = standby
        # the site secret every daemon of the test shares, wherever the
        # test moves the database (docs/security.md)
        self.conf = tmp.file(name + ".conf",
                             "[auth]\nnode_secret_file = %s\n"
                             "[controller]\nlisten = 127.0.0.1:%d\n"
                             "database = %s\nheartbeat_timeout_s = %d\n"
                             "fence_timeout_s = %d\nfence_margin_s = %d\n%s"
                             % (os.path.join(tmp.path, "node.secret"), port,
                                self.db, heartbeat_s, fence_s,
                                fence_margin_s, extra))
        self.token_file = os.path.join(tmp.path, name + ".admin-token")
        super().__init__(name, [binary("pod-controllerd"), "-c", self.conf] +
                         ([] if standby else
                          ["--init-admin", self.token_file]), tmp)
        self.url = None
        self.admin_token = None

    def start(self):
        # count earlier starts' lines before this one can write its own
        seen = (len(re.findall(r"REST API listening", self.log()))
                if os.path.exists(self.logpath) else 0)
        super().start()

        def bound():
            if not self.alive():
                raise GaveUp("pod-controllerd exited:\n" + self.log())
            found = re.findall(r"REST API listening on (https?://\S+)/api/v1",
                               self.log())
            return found[seen] if len(found) > seen else None
        self.url = wait_for("the controller to listen", bound)
        if self.standby:
            self.admin_token = self.standby.admin_token
            _tokens[self.url] = self.admin_token
            return self
        # the token file is written before the loop serves a request
        self.admin_token = wait_for(
            "the admin token", lambda: _read_token(self.token_file))
        _tokens[self.url] = self.admin_token
        # on PostgreSQL a controller leads once any earlier one's lease
        # has run out (docs/high-availability.md): a restart waits for it
        if self.db.startswith("postgresql://"):
            wait_for("the controller to lead",
                     lambda: self.role() == "active")
        return self

    def role(self):
        """What GET /health says this controller is: active, standby, …"""
        code, reply = self.api("GET", "/health")
        return reply.get("role") if code == 200 else None

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

    def api(self, method, path, body=None, raw=None, token=None):
        return http(method, self.url + "/api/v1" + path, body, raw,
                    token=token)

    def token(self, user, role, expires_s=None):
        """A new token for user with role, made by the admin over REST."""
        body = {"user": user, "role": role}
        if expires_s is not None:
            body["expires_s"] = expires_s
        code, reply = self.api("POST", "/tokens", body)
        if code != 201:
            raise AssertionError("POST /tokens: %s %s" % (code, reply))
        return reply["token"]

    def nodes_up(self):
        return self.api("GET", "/status")[1]["nodes"]["up"]

    def drain(self, node, reason="test"):
        """POST /nodes/NODE/drain: (status, headers, text)."""
        return http_headers("POST", self.url + "/api/v1/nodes/%s/drain"
                            % node, {"reason": reason}, timeout=5)


def node_secret(tmp):
    """The site secret every daemon of a test shares (docs/security.md):
    TMP/node.secret, made here (64 hex digits, mode 0600) when missing, so
    that agents started before their controller have their credential; the
    controller, whose database is in TMP, reads the same file."""
    path = os.path.join(tmp.path, "node.secret")
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w") as f:
            f.write(os.urandom(32).hex() + "\n")
    return path


def node_credential(tmp, name):
    """The credential of node `name` under the test's site secret:
    hex(HMAC-SHA256(secret bytes, name)), as the controller derives it."""
    with open(node_secret(tmp)) as f:
        key = bytes.fromhex(f.read().strip())
    return hmac.new(key, name.encode(), hashlib.sha256).hexdigest()


def node_api(ctl, method, path, node, body=None, raw=None, cred=None,
             url=None, timeout=10):
    """An agent's request (report, desired) for `node` to controller ctl,
    with node's credential (cred: another one; "" none). url: another
    server's address in front of ctl (a proxy). Returns (status, parsed
    JSON or text)."""
    if cred is None:
        cred = node_credential(ctl.tmp, node)
    return http(method, (url or ctl.url) + "/api/v1" + path, body, raw,
                timeout=timeout, token=cred)


class Fleetsim(Daemon):
    """pod-fleetsim, its nodes' credentials derived from the test's site
    secret."""

    def __init__(self, tmp, server, pods=1, nodes=128, args=(),
                 name="fleetsim"):
        super().__init__(name, [binary("pod-fleetsim"), "--server",
                                      server, "--pods", str(pods),
                                      "--nodes-per-pod", str(nodes),
                                      "--node-secret-file", node_secret(tmp)]
                         + list(args), tmp)


class Agent(Daemon):
    """A real pod-agentd for one node, on the sim plugins, with its
    credential (derived from the site secret of `site`, by default tmp's;
    `credential`: another text) in NAME.cred, mode 0600; sampling every
    interval_ms."""

    def __init__(self, tmp, server, name, extra="", credential=None,
                 site=None, interval_ms=500):
        state = os.path.join(tmp.path, name + "-state")
        os.makedirs(state, exist_ok=True)
        self.credential_file = os.path.join(tmp.path, name + ".cred")
        fd = os.open(self.credential_file,
                     os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write((node_credential(site or tmp, name) if credential is None
                     else credential) + "\n")
        conf = tmp.file(name + ".conf",
                        "[agent]\nserver = %s\nname = %s\nstate_dir = %s\n"
                        "interval_ms = %d\nmetrics_listen = 127.0.0.1:0\n"
                        "credential_file = %s\n"
                        "[jobs]\nallow_root = true\n"
                        "[power]\nplugin = sim\n"
                        "[cooling]\nplugin = sim\n%s"
                        % (server, name, state, interval_ms,
                           self.credential_file, extra))
        super().__init__(name, [binary("pod-agentd"), "-c", conf], tmp)

    def metrics_url(self):
        return metrics_url(self)


class Proxy:
    """A TCP proxy on 127.0.0.1:0 to `upstream` (host, port), its address in
    `url`: a network between an agent and its controller. cut() closes every
    connection and refuses new ones until restore(); a connection that ends
    is closed on both sides."""

    def __init__(self, upstream):
        self.upstream = upstream
        self.cutting = False
        self.lock = threading.Lock()
        self.socks = []
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", 0))
        self.lsock.listen(64)
        self.port = self.lsock.getsockname()[1]
        self.url = "http://127.0.0.1:%d" % self.port
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.lsock.accept()
            except OSError:
                return
            if self.cutting:
                c.close()
                continue
            try:
                u = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                c.close()
                continue
            pair = [c, u, 2]  # the sockets, and pumps still running
            with self.lock:
                self.socks += [c, u]
            for a, b in ((c, u), (u, c)):
                threading.Thread(target=self._pump, args=(a, b, pair),
                                 daemon=True).start()

    def _pump(self, src, dst, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data or self.cutting:
                    break
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        with self.lock:  # the last pump of a connection closes it
            pair[2] -= 1
            if pair[2] > 0:
                return
            for s in pair[:2]:
                if s in self.socks:
                    self.socks.remove(s)
        for s in pair[:2]:
            s.close()

    def cut(self):
        self.cutting = True
        with self.lock:
            socks, self.socks = self.socks, []
        for s in socks:  # wakes the pumps, which close them
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def restore(self):
        self.cutting = False


class FakeController:
    """The controller's side of docs/agent-protocol.md, for tests of a real
    pod-agentd or pod-fleetsim: an http.server on 127.0.0.1:0 (its address in
    `url`) that answers POST /api/v1/agents/NAME/report with ack_seq (the
    highest seq of that boot so far) and the desired state the test sets
    (jobs, power), and keeps every report with the monotonic time it came.
    node: the one name it answers, 404 for others (None: any name).
    set_down(True) makes it answer 503 to everything, as a dead controller
    behind a proxy; answered_wall is the wall time of the last 200;
    ask_ms, when set, goes in every reply as report_interval_ms
    (back-pressure); want_inventory, when not None, goes in every reply
    (unsaid, the agent sends its inventory every time)."""

    def __init__(self, node=None):
        self.node = node
        self.lock = threading.Lock()
        self.version = 1
        self.jobs = []
        self.power = None
        self.down = False
        self.reports = []  # (monotonic s, report)
        self.answered_wall = None  # wall time of the last 200, s
        self.acks = {}  # boot_id -> highest seq
        self.ask_ms = 0  # report_interval_ms to send; 0: none
        self.want_inventory = None  # True/False to send; None: unsaid
        ctl = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                m = re.fullmatch(r"/api/v1/agents/([^/]+)/report", self.path)
                body = self.rfile.read(
                    int(self.headers.get("Content-Length", 0)))
                if m is None or ctl.node not in (None, m.group(1)):
                    self.send_error(404)
                    return
                try:
                    rep = json.loads(body)
                except ValueError:
                    self.send_error(400)
                    return
                with ctl.lock:
                    if ctl.down:
                        self.send_error(503)
                        return
                    ctl.reports.append((time.monotonic(), rep))
                    ack = ctl.acks.get(rep["boot_id"], 0)
                    for s in rep["samples"]:
                        ack = max(ack, s["seq"])
                    ctl.acks[rep["boot_id"]] = ack
                    desired = {"version": ctl.version, "jobs": ctl.jobs}
                    if ctl.power is not None:
                        desired["power"] = ctl.power
                    reply = {"ack_seq": ack, "desired": desired}
                    if ctl.ask_ms:
                        reply["report_interval_ms"] = ctl.ask_ms
                    if ctl.want_inventory is not None:
                        reply["want_inventory"] = ctl.want_inventory
                    ctl.answered_wall = time.time()
                out = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(out)))
                self.end_headers()
                self.wfile.write(out)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()

    def stop(self):
        self.server.shutdown()

    def set_jobs(self, jobs):
        """Desires exactly `jobs` (entries as the protocol has them)."""
        self.set(jobs, self.power)

    def set(self, jobs=None, power=None):
        """Desires `jobs` (None: the same as now) and `power` (None: no
        power member)."""
        with self.lock:
            if jobs is not None:
                self.jobs = [dict(j) for j in jobs]
            self.power = power
            self.version += 1

    def set_down(self, down):
        with self.lock:
            self.down = down

    def reset(self):
        """Back to an empty desired state, answering, no report kept."""
        with self.lock:
            self.jobs, self.power, self.down = [], None, False
            self.reports = []
            self.version += 1

    def clear(self):
        """Forgets the reports received so far."""
        with self.lock:
            self.reports = []

    def count(self):
        """How many reports came so far."""
        with self.lock:
            return len(self.reports)

    def last(self):
        """The newest report, or None."""
        with self.lock:
            return self.reports[-1][1] if self.reports else None

    def since(self, n):
        """Reports from the n-th on."""
        with self.lock:
            return [r for _, r in self.reports[n:]]

    def samples(self, boot_id=None):
        """Every sample received (of one boot, if given), by seq."""
        seen = {}
        for r in self.since(0):
            if boot_id is None or r["boot_id"] == boot_id:
                for s in r["samples"]:
                    seen[s["seq"]] = s
        return [seen[k] for k in sorted(seen)]

    def samples_since(self, n):
        """Every sample of the reports from the n-th on, by seq."""
        seen = {}
        for r in self.since(n):
            for s in r["samples"]:
                seen[s["seq"]] = s
        return [seen[k] for k in sorted(seen)]

    def last_sample(self):
        s = self.samples()
        return s[-1] if s else None

    def pids(self):
        """The pids of every job any report listed."""
        with self.lock:
            return {j["pid"] for _, r in self.reports for j in r["jobs"]
                    if j.get("pid")}

    def job(self, id, attempt=1, report=None):
        """The job's entry in the newest report (or `report`), or None."""
        rep = report or self.last()
        for j in (rep or {}).get("jobs", []):
            if j["id"] == id and j["attempt"] == attempt:
                return j
        return None

    def wait_job(self, id, pred, what, timeout=15.0, attempt=1):
        """Waits until the newest report's entry of the job satisfies
        pred; returns it."""
        def check():
            j = self.job(id, attempt)
            return j if j is not None and pred(j) else None
        return wait_for("job %d.%d %s" % (id, attempt, what), check,
                        timeout=timeout, interval=0.02)

    def first_report(self, id, pred, attempt=1):
        """The first report where pred(job) held, or None."""
        for rep in self.since(0):
            j = self.job(id, attempt, rep)
            if j is not None and pred(j):
                return rep
        return None


def metrics_url(daemon):
    """The /metrics address an agent logged, or None yet."""
    found = re.findall(r"metrics on (http://\S+/metrics)", daemon.log())
    return found[-1] if found else None


# The admin token of each controller started, by its URL: http() and
# podctl() send it to that controller unless told otherwise.
_tokens = {}


def _read_token(path):
    try:
        with open(path) as f:
            return f.read().strip() or None
    except FileNotFoundError:
        return None


def token_for(url):
    """The admin token of the controller whose URL starts url (of the first
    of a comma-separated list of controllers), or None."""
    url = url.split(",")[0]
    for base, tok in _tokens.items():
        if url == base or url.startswith(base + "/"):
            return tok
    return None


def auth_header(url):
    """The header that carries the admin token of the controller at url,
    as "Authorization: Bearer TOKEN" (for curl -H and raw requests)."""
    return "Authorization: Bearer %s" % token_for(url)


def _authorize(req, url, token):
    """Adds the bearer header: token, else the admin token of the
    controller at url; token="" sends none."""
    tok = token_for(url) if token is None else token
    if tok:
        req.add_header("Authorization", "Bearer " + tok)


def http(method, url, body=None, raw=None, timeout=10, token=None):
    """Returns (status, parsed JSON or text). Sends the admin token of the
    controller at url unless token is given ("" for none)."""
    data = raw if raw is not None else (
        json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    _authorize(req, url, token)
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


def http_headers(method, url, body=None, timeout=10, token=None):
    """Returns (status, headers, text) of one request with a JSON body;
    the token as http() sends it."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    _authorize(req, url, token)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read().decode()


def health_answers(ctl, timeout=2):
    """Whether the controller answers /health within timeout seconds (a
    loop held by a blocking call does not)."""
    return http_headers("GET", ctl.url + "/api/v1/health",
                        timeout=timeout)[0] == 200


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



def openssl(*args):
    """Runs the openssl command; fails the test when it fails."""
    r = subprocess.run(("openssl",) + args, capture_output=True, text=True)
    assert r.returncode == 0, (args, r.stdout, r.stderr)


def make_ca(tmp, name):
    """A CA key and self-signed certificate in tmp: (cert path, key
    path)."""
    cert, key = tmp.file(name + ".pem"), tmp.file(name + ".key")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out",
            cert, "-days", "2", "-subj", "/CN=" + name,
            "-addext", "basicConstraints=critical,CA:TRUE",
            "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    return cert, key


def make_server_cert(tmp, ca, serial, cert, key):
    """A server key (mode 0600) and a certificate for 127.0.0.1 (IP SAN)
    signed by ca, written to temporary names then renamed over cert and
    key, as a renewal would be."""
    csr, ext = tmp.file("server.csr"), tmp.file(
        "server.ext", "subjectAltName=IP:127.0.0.1\n"
        "extendedKeyUsage=serverAuth\n")
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key + ".new", "-out", csr,
            "-subj", "/CN=pod-controller")
    os.chmod(key + ".new", 0o600)
    openssl("x509", "-req", "-in", csr, "-CA", ca[0], "-CAkey", ca[1],
            "-set_serial", serial, "-days", "2", "-extfile", ext,
            "-out", cert + ".new")
    os.rename(key + ".new", key)
    os.rename(cert + ".new", cert)

def podctl(server, *args, env=None):
    """Runs podctl; returns (exit code, stdout, stderr). POD_TOKEN is the
    admin token of the controller at server unless env gives one."""
    e = dict(os.environ)
    e.pop("POD_SERVER", None)
    e.pop("POD_TOKEN", None)
    # the server podctl will talk to: the argument, --server, POD_SERVER
    named = [args[i + 1] for i in range(len(args) - 1)
             if args[i] == "--server"]
    target = server or (named[-1] if named else None) \
        or (env or {}).get("POD_SERVER")
    if target and token_for(target):
        e["POD_TOKEN"] = token_for(target)
    e.update(env or {})
    argv = [binary("podctl")] + (["--server", server] if server else []) \
        + list(args)
    p = subprocess.run(argv, capture_output=True, text=True, env=e,
                       timeout=30)
    check_sanitizer("podctl " + " ".join(args), p.stderr)
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
    lockfile. Tests running at once share one install: a lock file beside
    the manifest makes the others wait for it. Raises AssertionError
    saying what failed."""
    marker = os.path.join(folder, "node_modules", ".package-lock.json")
    lock = os.path.join(folder, "package-lock.json")

    def current():
        return os.path.exists(marker) and \
            os.path.getmtime(marker) >= os.path.getmtime(lock)

    if current():
        return
    if shutil.which("npm") is None:
        raise AssertionError("npm not found: run scripts/install-deps --test"
                             " (npm)")
    with open(os.path.join(folder, ".npm-ci.lock"), "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # released when the file closes
        if current():  # another test installed them while we waited
            return
        p = subprocess.run(["npm", "ci", "--prefix", folder, "--no-audit",
                            "--no-fund"], env=dict(os.environ, **(env or {})),
                           capture_output=True, text=True, timeout=300)
    if p.returncode != 0:
        raise AssertionError("npm ci --prefix %s failed:\n%s%s"
                             % (os.path.relpath(folder, SOURCE), p.stdout,
                                p.stderr))


def pg_database(prefix):
    """A fresh database on the server of POD_TEST_PG, named
    PREFIX_PID_RANDOM (prefix: lower-case letters, digits and _): its URL,
    postgresql://pod@127.0.0.1:PORT/NAME, for the superuser pod, no
    password. None when POD_TEST_PG is not set (no server: the test skips
    or runs without). A test that needs a server runs under pgserver.py,
    which starts a throwaway one and sets POD_TEST_PG (ctest does so for
    the scripts of pg_scripts in CMakeLists.txt); the database goes with
    that server."""
    url = os.environ.get("POD_TEST_PG")
    if not url:
        return None
    if not re.fullmatch(r"[a-z][a-z0-9_]*", prefix):
        raise ValueError("database prefix %r: [a-z][a-z0-9_]*" % prefix)
    import pgserver  # here: it imports this module
    name = "%s_%d_%s" % (prefix[:40], os.getpid(), os.urandom(4).hex())
    return pgserver.create_database(url, name)


def pg_server():
    """A handle on the test's PostgreSQL server (pgserver.PgServer.attach):
    its pause() stops it with a fast shutdown, resume() starts it again on
    the same port and data and waits until it accepts connections,
    running() says which; url(dbname), create_database(name) and
    drop_database(name) as any PgServer's. None when POD_TEST_PG is not
    set. Raises AssertionError when POD_TEST_PG names a server pgserver.py
    did not start (this test could not restart it)."""
    if not os.environ.get("POD_TEST_PG"):
        return None
    import pgserver
    return pgserver.PgServer.attach()


def modbus_tcp_client():
    """pymodbus' ModbusTcpClient. Debian's pymodbus imports its serial
    client, whose modules Debian lacks; the TCP client does not use them,
    so they are stood in for when missing."""
    import types
    for name in ("serial_asyncio", "serial"):
        try:
            __import__(name)
        except ImportError:
            stub = types.ModuleType(name)
            stub.create_serial_connection = None
            sys.modules[name] = stub
    from pymodbus.client import ModbusTcpClient
    return ModbusTcpClient
