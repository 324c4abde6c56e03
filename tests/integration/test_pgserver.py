"""The suite's throwaway PostgreSQL server (pgserver.py), which ctest runs
this script under, checked through psql:

- POD_TEST_PG answers, as the superuser pod, with the test settings;
- podtest.pg_database() gives distinct databases that work, and the
  handle drops one, sessions and all;
- podtest.pg_server() stops the very server (a connection is refused, one
  held in a transaction does not keep it up) and starts it again on the
  same port with its data;
- a port taken before postgres binds it is given up for another;
- the command stops its server and removes its folder when CMD ends and
  when the command gets SIGTERM, and exits with CMD's status; it stops a
  server CMD started and left running too.

Skips (77) without the server binaries (Debian's postgresql)."""

import os
import signal
import socket
import subprocess
import sys

from podtest import (TempDir, pg_database, pg_server, run, wait_exit,
                     wait_file, wait_for)

import pgserver

if not os.environ.get("POD_TEST_PG"):
    try:
        pgserver.find_bin()
    except pgserver.NoServer as e:
        print("SKIP: %s" % e)
        sys.exit(77)
    sys.exit("POD_TEST_PG is not set: run this test under the server, "
             "python3 tests/integration/pgserver.py -- python3 %s" %
             sys.argv[0])

SERVER = os.environ["POD_TEST_PG"]
PGSERVER = os.path.abspath(pgserver.__file__)
psql = pgserver.psql
tmp = TempDir("pgserver")
# SIGTERM (from the command, which passes its own on) unwinds: the servers
# and folders of this test's own are removed on the way out
signal.signal(signal.SIGTERM, lambda sig, frame: sys.exit(128 + sig))


def postgres_pids(data):
    """The pids of the live (not zombie) postmasters of data: the
    processes running postgres -D data."""
    found = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = f.read().split(b"\0")
            with open("/proc/%s/stat" % pid) as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if os.path.basename(argv[0]) == b"postgres" and \
                data.encode() in argv and state != "Z":
            found.add(int(pid))
    return found


def test_the_server_answers():
    out = psql(SERVER, "SELECT current_user, current_database();\n"
               "SHOW listen_addresses;\nSHOW fsync;\nSHOW synchronous_commit;"
               "\nSHOW full_page_writes;\nSHOW max_connections;\n")
    assert out.split() == ["pod|postgres", "127.0.0.1", "off", "off", "off",
                           "200"], out
    assert SERVER.startswith("postgresql://pod@127.0.0.1:"), SERVER


def test_databases_are_distinct_and_work():
    a, b = pg_database("selftest"), pg_database("selftest")
    assert a != b, a
    names = [u.rsplit("/", 1)[1] for u in (a, b)]
    for url, name in zip((a, b), names):
        assert name.startswith("selftest_"), url
        assert psql(url, "SELECT current_database();").strip() == name
    psql(a, "CREATE TABLE t (v int); INSERT INTO t VALUES (42);")
    assert psql(a, "SELECT v FROM t;").strip() == "42"
    assert psql(b, "SELECT to_regclass('t') IS NULL;").strip() == "t"
    listed = psql(SERVER, "SELECT datname FROM pg_database;").split()
    assert set(names) <= set(listed), listed
    # dropped with a session still in it
    held = subprocess.Popen([os.path.join(os.environ["POD_TEST_PG_BIN"],
                                          "psql"), "-X", "-q", "-d", b],
                            stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, text=True)
    try:
        wait_for("a session in %s" % names[1], lambda: psql(
            SERVER, "SELECT count(*) FROM pg_stat_activity WHERE datname = "
            ":'db';", {"db": names[1]}).strip() == "1")
        pg_server().drop_database(names[1])
    finally:
        held.stdin.close()
        held.wait(30)
    listed = psql(SERVER, "SELECT datname FROM pg_database;").split()
    assert names[0] in listed and names[1] not in listed, listed


def test_pause_and_resume():
    srv = pg_server()
    db = pg_database("pause")
    assert srv.url() == SERVER and srv.running()
    psql(db, "CREATE TABLE t (v text); INSERT INTO t VALUES ('kept');")
    # a session in an open transaction: a fast shutdown ends it
    held = subprocess.Popen(
        [os.path.join(srv.bin, "psql"), "-X", "-q", "-d",
         db + "?application_name=holder"], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
    try:
        held.stdin.write("BEGIN; INSERT INTO t VALUES ('lost');\n")
        held.stdin.flush()
        wait_for("the held session's open transaction", lambda: psql(
            SERVER, "SELECT state FROM pg_stat_activity WHERE "
            "application_name = 'holder';").strip() ==
            "idle in transaction")
        srv.pause()
    finally:
        held.stdin.close()
        held.wait(30)
    assert not srv.running()
    with open(srv.log) as f:
        log = f.read()
    assert "received fast shutdown request" in log, log
    try:
        psql(SERVER, "SELECT 1;")
        refused = None
    except pgserver.PgServerError as e:
        refused = str(e)
    assert refused is not None and "Connection refused" in refused, refused
    srv.resume()
    assert srv.running()
    assert psql(db, "SELECT v FROM t ORDER BY v;").split() == ["kept"]
    # and again: the handle works more than once
    srv.pause()
    srv.resume()
    assert psql(SERVER, "SELECT 1;").strip() == "1"


def test_a_taken_port_is_given_up():
    """A server of this test's own: its first port is taken (a listening
    socket, as another process that bound it first), so it starts on the
    next; stop() leaves no process and no folder."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    picks = [taken.getsockname()[1]]
    real = pgserver.free_port
    pgserver.free_port = lambda: picks.pop() if picks else real()
    srv = pgserver.PgServer()
    try:
        srv.start()
        assert srv.port != taken.getsockname()[1]
        with open(srv.log) as f:
            assert "Address already in use" in f.read()
        assert psql(srv.url(), "SELECT 1;").strip() == "1"
        folder, data = srv.dir, srv.data
        assert postgres_pids(data), "no postgres process for %s" % data
    finally:
        pgserver.free_port = real
        taken.close()
        srv.stop()
    assert not os.path.exists(folder), folder
    assert not postgres_pids(data), postgres_pids(data)


def wrapped(*cmd, **kw):
    """The command pgserver.py running cmd."""
    return subprocess.Popen([sys.executable, PGSERVER, "--"] + list(cmd),
                            **kw)


def test_the_command_passes_the_status_and_cleans_up():
    out = tmp.file("env")
    p = wrapped("/bin/sh", "-c", 'echo "$POD_TEST_PG_DATA" > "$1"; '
                'psql -X -d "$POD_TEST_PG" -c "SELECT 1" >/dev/null && '
                'exit 3', "sh", out, env=dict(
                    os.environ, PATH=os.environ["POD_TEST_PG_BIN"] + ":" +
                    os.environ["PATH"]))
    assert wait_exit(p, 120) == 3
    with open(out) as f:
        data = f.read().strip()
    assert data and data != os.environ["POD_TEST_PG_DATA"], data
    assert not os.path.exists(os.path.dirname(data)), data
    assert not postgres_pids(data)


def test_the_command_stops_a_server_cmd_left():
    """CMD starts a server of its own and exits without stopping it, as
    a test that failed or was killed would: the command stops it."""
    out = tmp.file("left")
    # (SIGTERM unwinds it as it does this test, should it come mid-start)
    p = wrapped(sys.executable, "-c", "import signal, sys; "
                "signal.signal(signal.SIGTERM, lambda *a: sys.exit(143)); "
                "sys.path.insert(0, %r); import pgserver; "
                "s = pgserver.PgServer().start(); open(%r, 'w').write(s.data)"
                % (os.path.dirname(PGSERVER), out), stderr=subprocess.PIPE,
                text=True)
    _, err = p.communicate(timeout=120)
    assert p.returncode == 0, err
    with open(out) as f:
        data = f.read()
    assert "left PostgreSQL running in %s" % data in err, err
    assert not postgres_pids(data), postgres_pids(data)
    assert not os.path.exists(os.path.dirname(data)), data


def test_sigterm_to_the_command_stops_its_server():
    """Mid-way: CMD blocks (cat on a pipe we hold) while its server runs;
    SIGTERM to the command ends CMD, then the server, then itself."""
    out = tmp.file("env-term")
    p = wrapped("/bin/sh", "-c", 'echo "$POD_TEST_PG_DATA" > "$1.new"; '
                'mv "$1.new" "$1"; exec cat', "sh", out,
                stdin=subprocess.PIPE)
    try:
        wait_file(out, timeout=120)
        with open(out) as f:
            data = f.read().strip()
        assert postgres_pids(data), "no server for %s" % data
        p.send_signal(signal.SIGTERM)
        assert wait_exit(p, 120) == -signal.SIGTERM
    finally:
        p.stdin.close()
        if p.poll() is None:  # failed, or unwinding: let it clean up
            p.terminate()
            wait_exit(p, 120)
    assert not os.path.exists(os.path.dirname(data)), data
    assert not postgres_pids(data), postgres_pids(data)


try:
    run([test_the_server_answers, test_databases_are_distinct_and_work,
         test_pause_and_resume, test_a_taken_port_is_given_up,
         test_the_command_passes_the_status_and_cleans_up,
         test_the_command_stops_a_server_cmd_left,
         test_sigterm_to_the_command_stops_its_server])
finally:
    tmp.cleanup()
