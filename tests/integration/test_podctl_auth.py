"""podctl's side of authentication against a real controller: an admin
creates, lists and revokes tokens with podctl; a revoked token and no token
get podctl's "not signed in" line, a viewer that drains gets its
"forbidden" line; podctl refuses a token file others may read and takes one
only its owner may; and the token sources take precedence in their
documented order (--token, --token-file, POD_TOKEN, POD_TOKEN_FILE, the
per-user file); and over TLS podctl verifies the controller against
--cacert or POD_CACERT, and refuses one it cannot verify.

podctl runs here with an environment of the test's own making (a HOME of
its own, no POD_* variables), so that nothing but what a case gives it can
supply a token."""

import json
import os
import re
import shutil
import subprocess

from podtest import (Controller, TempDir, binary, check_sanitizer, make_ca,
                     make_server_cert, run)

TOKEN = re.compile(r"^pod_[0-9a-f]{64}$")
NOT_SIGNED_IN = ("podctl: not signed in: the server wants a token "
                 "(--token-file, POD_TOKEN or ~/.config/pod/token)\n")

tmp = TempDir("podctl-auth")
ctl = Controller(tmp).start()
HOME = os.path.join(tmp.path, "home")
os.makedirs(HOME)


def podctl(*args, env=None, server=None):
    """Runs podctl against ctl (or server) with only env's variables
    besides PATH and a HOME of its own; returns (exit code, stdout,
    stderr)."""
    e = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": HOME}
    e.update(env or {})
    p = subprocess.run([binary("podctl"), "--server", server or ctl.url]
                       + list(args),
                       capture_output=True, text=True, env=e, timeout=30)
    check_sanitizer("podctl " + " ".join(args), p.stderr)
    return p.returncode, p.stdout, p.stderr


def token_file(name, token, mode=0o600):
    """A file holding token and a newline, with mode; returns its path."""
    path = os.path.join(tmp.path, name)
    with open(path, "w") as f:
        f.write(token + "\n")
    os.chmod(path, mode)
    return path


ADMIN_FILE = token_file("admin.token", ctl.admin_token)


def as_admin(*args):
    return podctl("--token-file", ADMIN_FILE, *args)


def create(user, role, *more):
    rc, out, err = as_admin("token", "create", "--user", user, "--role",
                            role, *more)
    assert rc == 0 and err == "", (rc, out, err)
    assert TOKEN.match(out.rstrip("\n")) and out.count("\n") == 1, \
        "only the token on stdout: %r" % out
    return out.strip()


def whoami(*args, env=None):
    rc, out, err = podctl(*args, "whoami", env=env)
    assert rc == 0, (args, env, rc, out, err)
    return dict(re.findall(r"^([\w ]+):\s+(.*)$", out, re.M))


def test_token_create_list_revoke():
    tok = create("alice", "operator", "--expires", "1h", "--comment",
                 "on call")
    who = whoami("--token", tok)
    assert who["User"] == "alice" and who["Role"] == "operator", who
    assert who["Expires"] != "never", who

    rc, out, err = as_admin("token", "list")
    assert rc == 0 and err == "", (rc, out, err)
    head = out.splitlines()[0].split()
    assert head[:3] == ["ID", "USER", "ROLE"] and "REVOKED" in head, head
    row = [ln for ln in out.splitlines() if " alice " in ln]
    assert len(row) == 1 and "operator" in row[0] and "on call" in row[0], out
    assert tok not in out, "the list never shows a token"

    rc, out, err = as_admin("-o", "json", "token", "list")
    assert rc == 0, (rc, out, err)
    mine = [t for t in json.loads(out)["tokens"] if t["user"] == "alice"]
    assert len(mine) == 1 and mine[0]["role"] == "operator" and \
        mine[0]["revoked_ms"] == 0 and mine[0]["expires_ms"] > 0, mine
    tid = mine[0]["id"]
    assert int(who["Token"]) == tid, (who, tid)

    rc, out, err = as_admin("token", "revoke", str(tid))
    assert (rc, out, err) == (0, "token %d revoked\n" % tid, ""), \
        (rc, out, err)
    rc, out, err = as_admin("token", "list", "--noheader", "--format",
                            "id,revoked")
    revoked = dict(ln.split() for ln in out.splitlines())
    assert revoked[str(tid)] != "no", out

    # the revoked token is refused, in podctl's one line
    rc, out, err = podctl("--token", tok, "whoami")
    assert rc == 1 and out == "", (rc, out, err)
    assert err.startswith("podctl: not signed in: the server refused the "
                          "token from --token") and err.count("\n") == 1, err


def test_token_create_json():
    rc, out, err = as_admin("-o", "json", "token", "create", "--user", "bob",
                            "--role", "viewer")
    assert rc == 0 and err == "", (rc, out, err)
    reply = json.loads(out)
    assert TOKEN.match(reply["token"]) and reply["user"] == "bob" and \
        reply["role"] == "viewer" and reply["expires_ms"] == 0, reply


def test_token_create_checks_arguments():
    for args, want in ((["--user", "x", "--role", "boss"], "unknown --role"),
                       (["--role", "viewer"], "--user and --role"),
                       (["--user", "x", "--role", "viewer", "--expires",
                         "30"], "needs one unit")):
        rc, out, err = as_admin("token", "create", *args)
        assert rc == 2 and out == "" and want in err, (args, rc, out, err)


def test_no_token():
    rc, out, err = podctl("node", "drain", "pod01-n001", "--reason", "x")
    assert (rc, out, err) == (1, "", NOT_SIGNED_IN), (rc, out, err)


def test_viewer_forbidden():
    viewer = create("vera", "viewer")
    rc, out, err = podctl("--token", viewer, "node", "drain", "pod01-n001",
                          "--reason", "x")
    assert rc == 1 and out == "", (rc, out, err)
    assert err.startswith("podctl: forbidden: ") and \
        err.count("\n") == 1 and len(err) > len("podctl: forbidden: \n"), err
    rc, out, err = podctl("--token", viewer, "token", "list")
    assert rc == 1 and err.startswith("podctl: forbidden: "), (rc, err)
    # an operator gets past the role check (to the unknown node)
    oper = create("olga", "operator")
    rc, out, err = podctl("--token", oper, "node", "drain", "pod01-n001",
                          "--reason", "x")
    assert "forbidden" not in err and "not signed in" not in err, err


def test_token_file_modes():
    path = token_file("mode.token", ctl.admin_token, 0o644)
    rc, out, err = podctl("--token-file", path, "whoami")
    assert rc == 2 and out == "", (rc, out, err)
    assert "chmod 600 %s" % path in err and err.count("\n") == 1, err
    os.chmod(path, 0o640)
    rc, out, err = podctl("--token-file", path, "whoami")
    assert rc == 2 and "chmod 600" in err, (rc, err)
    os.chmod(path, 0o600)
    assert whoami("--token-file", path)["User"] == "root"
    os.chmod(path, 0o400)
    assert whoami("--token-file", path)["User"] == "root"
    if os.geteuid() == 0:  # a file of another user is not ours to use
        os.chown(path, 65534, 65534)
        rc, out, err = podctl("--token-file", path, "whoami")
        assert rc == 2 and "not to you" in err, (rc, err)
        os.chown(path, 0, 0)
    for name, text in (("empty.token", ""), ("junk.token", "hunter2")):
        p = token_file(name, "")
        with open(p, "w") as f:
            f.write(text)
        rc, out, err = podctl("--token-file", p, "whoami")
        assert rc == 2 and p in err, (name, rc, err)


def test_default_token_file():
    cfg = os.path.join(tmp.path, "xdg")
    os.makedirs(os.path.join(cfg, "pod"))
    path = os.path.join(cfg, "pod", "token")
    token_file(path, ctl.admin_token, 0o600)
    env = {"XDG_CONFIG_HOME": cfg}
    assert whoami(env=env)["User"] == "root"
    assert whoami(env=env)["Token from"] == path
    os.chmod(path, 0o644)
    rc, out, err = podctl("whoami", env=env)
    assert rc == 2 and "chmod 600 %s" % path in err, (rc, err)
    # without XDG_CONFIG_HOME: ~/.config/pod/token
    home_tok = os.path.join(HOME, ".config", "pod", "token")
    os.makedirs(os.path.dirname(home_tok), exist_ok=True)
    token_file(home_tok, ctl.admin_token, 0o600)
    try:
        assert whoami()["Token from"] == home_tok
    finally:
        os.unlink(home_tok)


def test_precedence():
    viewer = create("vicky", "viewer")
    viewer_file = token_file("viewer.token", viewer)
    cfg = os.path.join(tmp.path, "xdg-bad")
    os.makedirs(os.path.join(cfg, "pod"))
    bad_default = token_file(os.path.join(cfg, "pod", "token"),
                             ctl.admin_token, 0o644)
    cases = [
        # args, env, the user podctl is
        (["--token", viewer, "--token-file", ADMIN_FILE], {}, "vicky"),
        (["--token-file", ADMIN_FILE], {"POD_TOKEN": viewer}, "root"),
        ([], {"POD_TOKEN": viewer, "POD_TOKEN_FILE": ADMIN_FILE}, "vicky"),
        ([], {"POD_TOKEN_FILE": viewer_file}, "vicky"),
        ([], {"POD_TOKEN": "", "POD_TOKEN_FILE": ADMIN_FILE}, "root"),
        # the first found wins: a bad per-user file is not even read
        ([], {"POD_TOKEN_FILE": viewer_file, "XDG_CONFIG_HOME": cfg},
         "vicky"),
        (["--token", viewer], {"XDG_CONFIG_HOME": cfg}, "vicky"),
    ]
    for args, env, user in cases:
        got = whoami(*args, env=env)
        assert got["User"] == user, (args, env, got)
    # and when it is the one found, it is refused
    rc, out, err = podctl("whoami", env={"XDG_CONFIG_HOME": cfg})
    assert rc == 2 and bad_default in err, (rc, err)


def test_cacert_checked():
    rc, out, err = podctl("--cacert", os.path.join(tmp.path, "none.pem"),
                          "whoami")
    assert rc == 2 and "none.pem" in err, (rc, err)
    rc, out, err = podctl("whoami", env={
        "POD_CACERT": os.path.join(tmp.path, "none.pem")})
    assert rc == 2 and "none.pem" in err, (rc, err)


def test_over_tls():
    if shutil.which("openssl") is None:
        print("skip test_over_tls: no openssl command")
        return
    ca, other = make_ca(tmp, "ca"), make_ca(tmp, "other-ca")
    cert, key = tmp.file("server.pem"), tmp.file("server.key")
    make_server_cert(tmp, ca, "0x1001", cert, key)
    tls = Controller(tmp, name="tls", extra="tls_cert = %s\ntls_key = %s\n"
                     % (cert, key)).start()
    try:
        assert tls.url.startswith("https://"), tls.url
        admin = token_file("tls-admin.token", tls.admin_token)
        args = ("--token-file", admin, "whoami")
        rc, out, err = podctl("--cacert", ca[0], *args, server=tls.url)
        assert rc == 0 and "root" in out, (rc, out, err)
        rc, out, err = podctl(*args, server=tls.url,
                              env={"POD_CACERT": ca[0]})
        assert rc == 0 and "root" in out, (rc, out, err)
        # the system's CAs, or another CA, do not vouch for it
        for more in ((), ("--cacert", other[0])):
            rc, out, err = podctl(*more, *args, server=tls.url)
            assert rc == 3 and out == "" and "not trusted" in err and \
                "--cacert" in err and err.count("\n") == 1, (more, rc, err)
    finally:
        tls.stop()


try:
    run([test_token_create_list_revoke, test_token_create_json,
         test_token_create_checks_arguments, test_no_token,
         test_viewer_forbidden, test_token_file_modes,
         test_default_token_file, test_precedence, test_cacert_checked,
         test_over_tls])
finally:
    ctl.stop()
    tmp.cleanup()
