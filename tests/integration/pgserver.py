"""A throwaway PostgreSQL server for the tests, from Debian's packages
(postgresql: scripts/install-deps --test). Standard library only; psql is
the client (Python has no PostgreSQL driver here).

As a command, the way ctest runs a test that needs the server
(tests/integration/CMakeLists.txt, pg_scripts):

    python3 tests/integration/pgserver.py [--] CMD [ARG...]

starts a server, runs CMD with these in its environment, stops the server
whatever happens and exits with CMD's status (128+N when CMD died of
signal N):

    POD_TEST_PG       postgresql://pod@127.0.0.1:PORT/postgres, the
                      server's postgres database as its superuser pod
                      (trust authentication: no password)
    POD_TEST_PG_DATA  the server's data directory
    POD_TEST_PG_BIN   the folder of its binaries, /usr/lib/postgresql/N/bin

A test uses them through podtest: pg_database(prefix) makes a fresh
database and returns its URL; pg_server() returns PgServer.attach(), a
handle on the very server whose pause() stops it (fast shutdown) and
resume() starts it again on the same port and data. Without the server
binaries the command says so on stderr and runs CMD without these
variables: the test decides whether it skips (exit 77) or runs without.

As a module, PgServer is one server: start(), url(dbname),
create_database(name), drop_database(name), pause(), resume(), running(),
stop(). Its folder holds data/ (the cluster), postgres.log (the server's
stderr, each start appended) and the server's Unix socket. The settings
are in data/pod_test.conf, included from postgresql.conf, so that every
start of `postgres -D data` has the same port and settings, whoever makes
it. initdb and postgres refuse to run as root: as root (CI) they run as the
postgres user that Debian's package makes, through runuser, in a folder
that user owns.

No server is left behind. The postmaster runs in a session of its own, a
child of whoever started it (a test's resume() makes it the test's), and
the command is its descendants' subreaper, so that every server a test
started, restarted or left stays in the command's process tree. ctest's
timeout kills that tree whole (SIGKILL with CMake 3.25: the folder stays
in $TMPDIR then). When CMD is over, the command stops its server and any
other still running in its tree (a test's own PgServer it did not stop),
removing the folders PgServer made. SIGTERM, SIGINT or SIGHUP to the
command go on to CMD's process group; once that has ended, the command
stops the servers and dies of the same signal. A folder is kept, and its
path printed, when POD_KEEP_TMP is set."""

import ctypes
import glob
import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import urllib.parse

from podtest import GaveUp, free_port, wait_for

PG_ROOT = "/usr/lib/postgresql"
NEEDED = ("initdb", "postgres", "psql", "pg_isready")
SERVICE_USER = "postgres"  # made by Debian's postgresql-common
SUPERUSER = "pod"
STARTS = 5  # tries at a free port: another may take it before postgres
START_TIMEOUT_S = 60.0  # a loaded CI machine; crash recovery after a kill
STOP_TIMEOUT_S = 60.0
# The server's settings: a test server on loopback, durability traded for
# speed (its data is thrown away), room for many test clients.
SETTINGS = (("listen_addresses", "127.0.0.1"),
            ("fsync", "off"),
            ("full_page_writes", "off"),
            ("synchronous_commit", "off"),
            ("max_connections", "200"))
BIND_FAILED = re.compile(r"could not bind .*Address already in use")


class PgServerError(AssertionError):
    """The server could not be made, started or stopped; the message says
    why, with the tail of the server's log where there is one."""


class NoServer(PgServerError):
    """No PostgreSQL server binaries on this machine."""


def find_bin(root=None):
    """The bin folder of the highest PostgreSQL version installed
    (Debian's postgresql-N puts it in /usr/lib/postgresql/N/bin). Raises
    NoServer, naming the package to install, when there is none."""
    root = root or PG_ROOT
    found = []
    for d in glob.glob(os.path.join(root, "*", "bin")):
        version = os.path.basename(os.path.dirname(d))
        if re.fullmatch(r"\d+(?:\.\d+)?", version) and all(
                os.access(os.path.join(d, b), os.X_OK) for b in NEEDED):
            found.append((tuple(int(x) for x in version.split(".")), d))
    if not found:
        raise NoServer("no PostgreSQL server in %s/*/bin (%s): install "
                       "Debian's package postgresql (scripts/install-deps "
                       "--test)" % (root, ", ".join(NEEDED)))
    return max(found)[1]


def _env():
    """The environment for PostgreSQL's programs: ours less the PG*
    variables (a developer's PGHOST or PGSERVICE must not redirect them),
    with a bound on connecting and messages in English (the C locale), the
    same on every machine."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env["PGCONNECT_TIMEOUT"] = "10"
    env["LC_ALL"] = "C"
    return env


def _psql_path(bin_dir):
    if bin_dir is None:
        bin_dir = os.environ.get("POD_TEST_PG_BIN")
    if bin_dir is not None:
        return os.path.join(bin_dir, "psql")
    return shutil.which("psql") or os.path.join(find_bin(), "psql")


def psql(url, sql, variables=None, bin_dir=None, timeout=30):
    """Runs sql, psql's input (statements and meta-commands, where :'name'
    and :"name" are the value of variables[name] quoted by psql as a
    literal or an identifier), on the database at url, stopping at the
    first error. Returns the output, unaligned and without headers ("a|b"
    a row). Raises PgServerError with psql's message when it fails (the
    server is down, the SQL is wrong). bin_dir: where psql is
    (POD_TEST_PG_BIN by default)."""
    argv = [_psql_path(bin_dir), "-X", "-q", "-A", "-t", "-v",
            "ON_ERROR_STOP=1", "-d", url]
    for name, value in (variables or {}).items():
        argv += ["-v", "%s=%s" % (name, value)]
    try:
        p = subprocess.run(argv, input=sql, capture_output=True, text=True,
                           env=_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise PgServerError("psql %s: no answer in %d s" % (url, timeout))
    if p.returncode != 0:
        raise PgServerError("psql %s: %s" % (url, p.stderr.strip()))
    return p.stdout


def database_url(server_url, name):
    """The URL of database name on the server of server_url."""
    return urllib.parse.urlsplit(server_url)._replace(
        path="/" + urllib.parse.quote(name, safe="")).geturl()


def create_database(server_url, name):
    """Creates database name (at most 63 bytes) on the server of
    server_url, connecting as its superuser; returns its URL."""
    if not name or len(name.encode()) > 63:
        raise ValueError("database name %r: 1 to 63 bytes" % name)
    psql(server_url, 'CREATE DATABASE :"name";\n', {"name": name})
    return database_url(server_url, name)


def drop_database(server_url, name):
    """Drops database name, if it exists, on the server of server_url,
    ending the sessions still connected to it."""
    psql(server_url, 'DROP DATABASE IF EXISTS :"name" WITH (FORCE);\n',
         {"name": name})


def _run_as():
    """The user to run initdb and postgres as: None (ourselves), or, as
    root, Debian's postgres user."""
    if os.geteuid() != 0:
        return None
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        raise PgServerError("running as root, which initdb and postgres "
                            "refuse, and there is no user %s to run them "
                            "as (Debian's package postgresql makes it)"
                            % SERVICE_USER)


def _runuser():
    return shutil.which("runuser", path=os.environ.get("PATH", "") +
                        ":/usr/sbin:/sbin") or "/usr/sbin/runuser"


def _stat(pid):
    """(state, parent pid, process group) of process pid, or None when it
    is gone."""
    try:
        with open("/proc/%s/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[1]), int(fields[2])


def _alive(pid):
    """Whether process pid runs (a zombie does not)."""
    st = _stat(pid)
    return st is not None and st[0] != "Z"


def _processes():
    """{pid: (state, parent pid, process group)} of every process."""
    out = {}
    for name in os.listdir("/proc"):
        st = _stat(name) if name.isdigit() else None
        if st is not None:
            out[int(name)] = st
    return out


class PgServer:
    """One PostgreSQL server in a temporary folder, on a loopback port the
    kernel picked, its superuser pod with trust authentication. start()
    makes it; stop() ends it and removes the folder; pause() and resume()
    stop and start it on the same port and data. attach() gives the same
    handle on the server the pgserver.py command started for a test."""

    def __init__(self, bin_dir=None):
        self.bin = bin_dir or find_bin()
        self.user = _run_as()  # a passwd entry, or None: ourselves
        self.dir = None  # the folder; None until start()
        self.port = None
        self.owned = True  # stop() may end it and remove the folder
        self.proc = None  # the postgres (or runuser) this object started

    @classmethod
    def attach(cls, env=None):
        """The server the pgserver.py command started, from the variables
        it sets (POD_TEST_PG, POD_TEST_PG_DATA, POD_TEST_PG_BIN) in env
        (os.environ by default). Its pause() and resume() act on that very
        server; stop() is the command's own. Raises PgServerError when a
        variable is missing."""
        env = os.environ if env is None else env
        missing = [v for v in ("POD_TEST_PG", "POD_TEST_PG_DATA",
                               "POD_TEST_PG_BIN") if not env.get(v)]
        if missing:
            raise PgServerError(
                "%s not set: POD_TEST_PG names no server that pgserver.py "
                "started (run the test under tests/integration/pgserver.py)"
                % ", ".join(missing))
        srv = cls(env["POD_TEST_PG_BIN"])
        srv.dir = os.path.dirname(env["POD_TEST_PG_DATA"])
        srv.port = urllib.parse.urlsplit(env["POD_TEST_PG"]).port
        srv.owned = False
        return srv

    @property
    def data(self):
        return os.path.join(self.dir, "data")

    @property
    def log(self):
        return os.path.join(self.dir, "postgres.log")

    def url(self, dbname="postgres"):
        """postgresql://pod@127.0.0.1:PORT/DBNAME: libpq's URL of a
        database, as the superuser."""
        return database_url("postgresql://%s@127.0.0.1:%d/"
                            % (SUPERUSER, self.port), dbname)

    def environ(self):
        """The variables the command gives CMD (see the module's text)."""
        return {"POD_TEST_PG": self.url(), "POD_TEST_PG_DATA": self.data,
                "POD_TEST_PG_BIN": self.bin}

    def create_database(self, name):
        """Creates database name; returns its URL."""
        return create_database(self.url(), name)

    def drop_database(self, name):
        """Drops database name, ending its sessions."""
        drop_database(self.url(), name)

    def start(self):
        """Makes the folder and the cluster, starts the server on a free
        port (another port when one is taken before the server binds it)
        and waits until it accepts connections. Returns self. Raises
        NoServer without the binaries, PgServerError when the server does
        not come up (with the tail of its log); the folder is removed
        then."""
        if self.dir is not None:
            raise PgServerError("start(): already started; resume() after "
                                "a pause()")
        self.dir = tempfile.mkdtemp(prefix="pod-pg-")
        try:
            if self.user is not None:
                os.chown(self.dir, self.user.pw_uid, self.user.pw_gid)
            self._initdb()
            failed = None
            for _ in range(STARTS):
                self.port = free_port()
                self._configure()
                failed = self._launch()
                if failed is None:
                    return self
            raise PgServerError("postgres could not bind a port in %d tries;"
                                " its log:\n%s" % (STARTS, failed))
        except BaseException:
            self.stop()
            raise

    def pause(self):
        """Stops the server with a fast shutdown (its sessions ended,
        their transactions rolled back), keeping its data and port for
        resume()."""
        pid = self._postmaster()
        if pid is None:
            raise PgServerError("pause(): the server in %s is not running"
                                % self.data)
        self._shutdown(pid)

    def resume(self):
        """Starts the paused server again, on the same port and data, and
        waits until it accepts connections. Raises PgServerError (with the
        log's tail) when it does not come up, say because another took
        its port meanwhile."""
        if self._postmaster() is not None:
            raise PgServerError("resume(): the server in %s is running"
                                % self.data)
        failed = self._launch()
        if failed is not None:
            raise PgServerError("postgres could not bind port %d again; its"
                                " log:\n%s" % (self.port, failed))

    def running(self):
        """Whether the server's postmaster runs."""
        return self._postmaster() is not None

    def stop(self):
        """Ends the server, if it runs, with a fast shutdown and removes
        its folder. Only for a server this object started (not attach()'s).
        """
        if not self.owned:
            raise PgServerError("stop(): the server belongs to the "
                                "pgserver.py command; pause() it instead")
        if self.dir is None:
            return
        try:
            pid = self._postmaster()
            if pid is not None:
                self._shutdown(pid)
            self._reap()
        finally:
            if os.environ.get("POD_KEEP_TMP"):
                _say("kept " + self.dir)
            else:
                shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    # --- the rest is this module's own

    def _as_user(self, argv):
        if self.user is None:
            return argv
        return [_runuser(), "-u", self.user.pw_name, "--"] + argv

    def _chown(self, path):
        if self.user is not None:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def _initdb(self):
        p = subprocess.run(self._as_user(
            [os.path.join(self.bin, "initdb"), "-D", self.data,
             "--auth=trust", "-U", SUPERUSER, "--encoding=UTF8",
             "--locale=C", "--no-sync"]), cwd=self.dir, env=_env(),
            stdin=subprocess.DEVNULL, capture_output=True, text=True,
            timeout=300)
        if p.returncode != 0:
            raise PgServerError("initdb -D %s failed (%d):\n%s%s"
                                % (self.data, p.returncode, p.stdout,
                                   p.stderr))
        conf = os.path.join(self.data, "postgresql.conf")
        with open(conf, "a") as f:
            f.write("\n# the test server's settings (pgserver.py)\n"
                    "include 'pod_test.conf'\n")

    def _configure(self):
        """Writes data/pod_test.conf for self.port."""
        path = os.path.join(self.data, "pod_test.conf")
        settings = SETTINGS + (("port", str(self.port)),
                               ("unix_socket_directories", self.dir))
        with open(path, "w") as f:
            for name, value in settings:
                quoted = value.replace("'", "''")
                f.write("%s = '%s'\n" % (name, quoted))
        self._chown(path)

    def _postmaster(self):
        """The pid of the server's postmaster if it runs, else None."""
        try:
            with open(os.path.join(self.data, "postmaster.pid")) as f:
                pid = int(f.readline())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _alive(pid) else None

    def _tail(self, since=0, lines=40):
        try:
            with open(self.log, errors="replace") as f:
                f.seek(since)
                text = f.read()
        except FileNotFoundError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def _ready(self, host):
        return subprocess.run(
            [os.path.join(self.bin, "pg_isready"), "-q", "-h", host, "-p",
             str(self.port), "-U", SUPERUSER, "-d", "postgres", "-t", "5"],
            env=_env(), stdin=subprocess.DEVNULL, timeout=30).returncode == 0

    def _launch(self):
        """Starts postgres and waits until it accepts connections. Returns
        None, or the log of a start that lost its port to another
        process. Raises PgServerError on any other failure."""
        since = os.path.getsize(self.log) if os.path.exists(self.log) else 0
        with open(self.log, "a") as logf:
            self._chown(self.log)
            # a session of its own: a terminal's ^C or a signal to the
            # test's process group does not reach it, its owner stops it
            self.proc = subprocess.Popen(
                self._as_user([os.path.join(self.bin, "postgres"), "-D",
                               self.data]),
                cwd=self.dir, env=_env(), stdin=subprocess.DEVNULL,
                stdout=logf, stderr=subprocess.STDOUT,
                start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise GaveUp("postgres exited (%d)" % self.proc.returncode)
            # on the socket in our folder, which only our server can
            # answer: another server that took our port cannot pass for
            # it (postgres binds its TCP port before it makes the socket)
            return self._ready(self.dir)
        try:
            wait_for("PostgreSQL in %s to accept connections" % self.dir,
                     up, timeout=START_TIMEOUT_S, interval=0.05)
            if not self._ready("127.0.0.1"):
                raise PgServerError("PostgreSQL answers on its socket, not "
                                    "on 127.0.0.1:%d" % self.port)
        except AssertionError as e:
            if self.proc.poll() is None:  # up, or hung: not left running
                self._shutdown(self._postmaster())
            self._reap()
            log = self._tail(since)
            if isinstance(e, GaveUp) and BIND_FAILED.search(log):
                return log
            raise PgServerError("%s; the end of %s:\n%s"
                                % (e, self.log, log))
        return None

    def _shutdown(self, pid, data=None):
        """Fast shutdown of postmaster pid (None: none found, end our
        child) of data (by default ours): SIGINT, then waits until it is
        gone and has removed its pid file. One that hangs gets SIGQUIT
        (immediate shutdown), then SIGKILL."""
        if pid is None:  # it has written no pid file yet
            if self.proc is not None and self.proc.poll() is None:
                # postgres (and runuser) are alone in their group
                os.killpg(self.proc.pid, signal.SIGKILL)
            return

        pidfile = os.path.join(data or self.data, "postmaster.pid")

        def gone():
            return not _alive(pid) and not os.path.exists(pidfile)
        for sig, timeout in ((signal.SIGINT, STOP_TIMEOUT_S),
                             (signal.SIGQUIT, 10.0), (signal.SIGKILL, 10.0)):
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
            try:
                wait_for("postmaster %d to stop" % pid, gone,
                         timeout=timeout, interval=0.02)
                return
            except AssertionError:
                if sig == signal.SIGKILL and not _alive(pid):
                    # killed: a stale pid file, which the next start
                    # overrides
                    return
        raise PgServerError("postmaster %d of %s does not stop"
                            % (pid, data or self.data))

    def _reap(self):
        """Waits for the process this object started (runuser outlives
        its postgres by a moment)."""
        if self.proc is None:
            return
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


class _Interrupted(Exception):
    """A signal to the command while it waits on CMD."""

    def __init__(self, sig):
        super().__init__(sig)
        self.sig = sig


HANDLED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
CMD_STOP_TIMEOUT_S = 10.0


def _become_subreaper():
    """Makes this process the reaper of its descendants' orphans (Linux's
    PR_SET_CHILD_SUBREAPER), so that a postmaster a test restarted and left
    behind stays in our process tree (where ctest's timeout finds it)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _say(text):
    """One line on stderr, which may be a pipe whose reader is gone (a
    killed parent): a message must not stop a cleanup."""
    try:
        print("pgserver: " + text, file=sys.stderr, flush=True)
    except OSError:
        pass


def main(argv):
    args = argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    if not args or args[0] in ("-h", "--help"):
        print("usage: pgserver.py [--] CMD [ARG...]\nRuns CMD with "
              "POD_TEST_PG, POD_TEST_PG_DATA and POD_TEST_PG_BIN naming a "
              "throwaway PostgreSQL server.", file=sys.stderr)
        return 2
    caught = []  # the signals received
    raising = [False]  # whether a signal interrupts the wait on CMD

    def on_signal(sig, frame):
        caught.append(sig)
        if raising[0]:
            raising[0] = False
            raise _Interrupted(sig)
    for sig in HANDLED:
        signal.signal(sig, on_signal)
    _become_subreaper()
    server = None
    status = 1
    try:
        env = dict(os.environ)
        try:
            server = PgServer().start()
            env.update(server.environ())
        except NoServer as e:
            _say("%s; running %s without POD_TEST_PG" % (e, args[0]))
        if not caught:  # a signal during the start: CMD is not run
            status = _run(args, env, caught, raising)
    except PgServerError as e:
        _say(str(e))
        status = 1
    finally:
        raising[0] = False
        try:
            if server is not None:
                server.stop()
            _stop_strays()
        except PgServerError as e:
            _say(str(e))
            status = status or 1
    if caught:  # die of it, as a shell expects of a killed command
        signal.signal(caught[0], signal.SIG_DFL)
        os.kill(os.getpid(), caught[0])
    return status


def _run(args, env, caught, raising):
    """Runs CMD and returns its exit status (128+N if signal N killed
    it). A signal to us interrupts the wait: it goes on to CMD's process
    group, which gets CMD_STOP_TIMEOUT_S to end before SIGKILL."""
    try:
        # a process group of its own: a signal to us goes to all of
        # CMD's processes (a test's daemons too), not to the server
        child = subprocess.Popen(args, env=env, start_new_session=True)
    except OSError as e:
        _say("%s: %s" % (args[0], e))
        return 127
    try:
        raising[0] = True
        if caught:
            raising[0] = False
            raise _Interrupted(caught[0])
        rc = child.wait()
        raising[0] = False
    except _Interrupted as e:
        rc = _stop_group(child, e.sig)
    return rc if rc >= 0 else 128 - rc


def _stop_group(child, sig):
    """Sends sig to CMD's process group and waits until every process of
    it has ended (an initdb of a test's own server, say); SIGKILL after
    CMD_STOP_TIMEOUT_S. Returns CMD's status as Popen has it."""
    def group():
        return [pid for pid, (state, _, pgrp) in _processes().items()
                if pgrp == child.pid and state != "Z"]
    try:
        os.killpg(child.pid, sig)
    except ProcessLookupError:
        pass
    try:
        rc = child.wait(CMD_STOP_TIMEOUT_S)
        wait_for("CMD's processes to end", lambda: not group(),
                 timeout=CMD_STOP_TIMEOUT_S, interval=0.05)
    except (subprocess.TimeoutExpired, AssertionError):
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        rc = child.wait()
    return rc


def _stop_strays():
    """Stops the PostgreSQL servers still running in our process tree when
    CMD is over (a test's own PgServer it did not stop, or could not when
    it was killed: the orphans come to us, the subreaper), and removes
    their folders when PgServer made them, saying so on stderr."""
    procs = _processes()
    children = {}
    for pid, (_, ppid, _) in procs.items():
        children.setdefault(ppid, []).append(pid)
    todo, tree = [os.getpid()], []
    while todo:
        for pid in children.get(todo.pop(), []):
            tree.append(pid)
            todo.append(pid)
    for pid in tree:
        try:
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                prog = f.read().split(b"\0")[0].decode(errors="replace")
            data = os.readlink("/proc/%d/cwd" % pid)  # a postmaster's
        except OSError:
            continue
        # a postmaster: a backend's command line is "postgres: ..."
        if os.path.basename(prog) != "postgres" or not _alive(pid):
            continue
        _say("CMD left PostgreSQL running in %s: stopping it" % data)
        srv = PgServer(os.path.dirname(prog))
        srv.dir = os.path.dirname(data)
        if os.path.basename(data) == "data" and \
                os.path.basename(srv.dir).startswith("pod-pg-"):
            srv.stop()  # one of ours: its folder goes too
        else:
            srv._shutdown(pid, data)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
