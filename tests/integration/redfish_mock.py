"""A Redfish service for the tests of the Redfish plugins
(test_redfish_plugins.py): serves a mockup tree the way DMTF's mockups are
laid out (tests/integration/data/redfish/MOCKUP/redfish/v1/.../index.json)
over HTTPS on 127.0.0.1, standard library only (http.server, ssl), one
thread per connection.

    redfish_mock.py --mockup DIR --cert PEM --key PEM [--user U --password P]

It prints "ready PORT" once it listens on 127.0.0.1:0. With --user, every
request but GET /redfish/v1 and the login needs a session: POST
/redfish/v1/SessionService/Sessions {"UserName","Password"} answers 201
with X-Auth-Token and Location; a request without a valid X-Auth-Token is
answered 401; DELETE of the Location ends the session. PATCH merges its
body into the served JSON (arrays element by element). It reads commands
on stdin, one per line, and answers each with one line:

    hang          accept requests and never answer them (until ok)
    junk          answer every request 200 with a body that is not JSON
    500           answer every request HTTP 500
    big           answer every request 200 with 2 MiB of JSON
    refuse        answer PATCH 400 (GETs as usual)
    ok            no fault                                   -> ok
    expire        forget every session token                 -> ok
    nolocation    answer logins without a Location header    -> ok
    set PATH POINTER JSON   set a value in a served resource -> ok
    get PATH POINTER        a value, as JSON                 -> the value
    stats         {"logins": n, "refused": n, "deletes": n, "patches": n,
                   "patches_refused": n, "gets": n, "hung": n,
                   "refused_at": [s, ...]}: refused counts logins with a
                   wrong password, refused_at says when (monotonic s);
                   hung counts requests held by `hang` now
"""

import argparse
import json
import os
import secrets
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SESSIONS = "/redfish/v1/SessionService/Sessions"


class State:
    def __init__(self, root, user, password):
        self.lock = threading.Lock()
        self.tree = {}
        self.user = user
        self.password = password
        self.tokens = {}  # token -> session path
        self.next_session = 1
        self.fault = None
        self.location = True  # send Location with a login's answer
        self.cleared = threading.Condition(self.lock)
        self.stats = {"logins": 0, "refused": 0, "deletes": 0, "patches": 0,
                      "patches_refused": 0, "gets": 0, "hung": 0}
        self.refused_at = []  # monotonic s of each refused login
        for d, _, files in os.walk(root):
            if "index.json" in files:
                path = "/" + os.path.relpath(d, root).replace(os.sep, "/")
                with open(os.path.join(d, "index.json")) as f:
                    self.tree[path.rstrip("/") or "/"] = json.load(f)


def pointer(doc, ptr):
    """The parent container and key of JSON pointer ptr in doc."""
    parts = [p.replace("~1", "/").replace("~0", "~")
             for p in ptr.split("/")[1:]]
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    last = parts[-1]
    return doc, int(last) if isinstance(doc, list) else last


def merge(dst, src):
    """Merges src into dst as a Redfish PATCH does."""
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(dst.get(k), dict):
            merge(dst[k], v)
        elif isinstance(v, list) and isinstance(dst.get(k), list):
            for i, e in enumerate(v):
                if i < len(dst[k]) and isinstance(e, dict) and \
                        isinstance(dst[k][i], dict):
                    merge(dst[k][i], e)
                elif i < len(dst[k]):
                    dst[k][i] = e
                else:
                    dst[k].append(e)
        else:
            dst[k] = v


def make_handler(st):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, code, body=None, headers=()):
            out = b"" if body is None else (
                body if isinstance(body, bytes) else json.dumps(body).encode())
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            if body is not None:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(out)))
            self.end_headers()
            self.wfile.write(out)

        def faulted(self, method):
            """Reads the request's body (a reply must not leave it on a
            kept-alive connection) and plays the fault in force; True when
            it answered."""
            n = int(self.headers.get("Content-Length") or 0)
            self.data = self.rfile.read(n) if n > 0 else b""
            with st.lock:
                fault = st.fault
                if fault == "hang":
                    st.stats["hung"] += 1
                    while st.fault == "hang":
                        st.cleared.wait(0.5)
                    st.stats["hung"] -= 1
                    self.close_connection = True
                    return True
            if fault == "junk":
                self.reply(200, b"<html>BMC busy</html>")
                return True
            if fault == "big":
                self.reply(200, b'{"Pad": "' + b"x" * (2 << 20) + b'"}')
                return True
            if fault == "500":
                self.reply(500, {"error": {"code": "Base.1.0.GeneralError",
                                           "message": "internal"}})
                return True
            if fault == "refuse" and method == "PATCH":
                with st.lock:
                    st.stats["patches_refused"] += 1
                self.reply(400, {"error": {"code": "Base.1.0.PropertyValue"
                                           "NotInList", "message": "no"}})
                return True
            return False

        def authorized(self):
            if st.user is None:
                return True
            with st.lock:
                return self.headers.get("X-Auth-Token") in st.tokens

        def body(self):
            return json.loads(self.data or b"{}")

        def path_only(self):
            return self.path.split("?")[0].rstrip("/") or "/"

        def do_GET(self):
            if self.faulted("GET"):
                return
            path = self.path_only()
            if path != "/redfish/v1" and not self.authorized():
                return self.reply(401, {"error": {"message": "no session"}})
            with st.lock:
                st.stats["gets"] += 1
                doc = st.tree.get(path)
                out = json.dumps(doc).encode() if doc is not None else None
            if out is None:
                return self.reply(404, {"error": {"message": "not found"}})
            self.reply(200, out)

        def do_POST(self):
            if self.faulted("POST"):
                return
            if self.path_only() != SESSIONS:
                return self.reply(405, {"error": {"message": "no"}})
            try:
                cred = self.body()
            except ValueError:
                return self.reply(400, {"error": {"message": "bad JSON"}})
            if cred.get("UserName") != st.user or \
                    cred.get("Password") != st.password:
                with st.lock:
                    st.stats["refused"] += 1
                    st.refused_at.append(time.monotonic())
                return self.reply(401, {"error": {"message": "refused"}})
            token = secrets.token_hex(16)
            with st.lock:
                loc = "%s/%d" % (SESSIONS, st.next_session)
                st.next_session += 1
                st.tokens[token] = loc
                st.stats["logins"] += 1
            headers = [("X-Auth-Token", token)]
            if st.location:
                headers.append(("Location", loc))
            self.reply(201, {"@odata.id": loc, "UserName": st.user},
                       headers)

        def do_DELETE(self):
            if self.faulted("DELETE"):
                return
            token = self.headers.get("X-Auth-Token")
            with st.lock:
                if st.tokens.get(token) != self.path_only():
                    ok = False
                else:
                    del st.tokens[token]
                    st.stats["deletes"] += 1
                    ok = True
            self.reply(204 if ok else 401)

        def do_PATCH(self):
            if self.faulted("PATCH"):
                return
            if not self.authorized():
                return self.reply(401, {"error": {"message": "no session"}})
            try:
                body = self.body()
            except ValueError:
                return self.reply(400, {"error": {"message": "bad JSON"}})
            with st.lock:
                doc = st.tree.get(self.path_only())
                if doc is not None:
                    merge(doc, body)
                    st.stats["patches"] += 1
                    out = json.dumps(doc).encode()
            if doc is None:
                return self.reply(404, {"error": {"message": "not found"}})
            self.reply(200, out)

    return Handler


class TLSServer(ThreadingHTTPServer):
    """The TLS handshake in the connection's thread, so that a client that
    stalls it holds up no one else."""
    daemon_threads = True

    def __init__(self, addr, handler, ctx):
        super().__init__(addr, handler)
        self.ctx = ctx

    def handle_error(self, request, client_address):
        pass  # a client that went away (a timeout, a reply too large)

    def finish_request(self, request, client_address):
        request.settimeout(10)
        try:
            tls = self.ctx.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        tls.settimeout(None)
        try:
            super().finish_request(tls, client_address)
        finally:
            try:
                tls.close()
            except OSError:
                pass


def commands(st):
    for line in sys.stdin:
        words = line.split(None, 3)
        if not words:
            continue
        cmd = words[0]
        try:
            with st.lock:
                if cmd in ("hang", "junk", "500", "big", "refuse", "ok"):
                    st.fault = None if cmd == "ok" else cmd
                    st.cleared.notify_all()
                    out = "ok"
                elif cmd == "nolocation":
                    st.location = False
                    out = "ok"
                elif cmd == "expire":
                    st.tokens.clear()
                    out = "ok"
                elif cmd == "set":
                    parent, key = pointer(st.tree[words[1]], words[2])
                    parent[key] = json.loads(words[3])
                    out = "ok"
                elif cmd == "get":
                    parent, key = pointer(st.tree[words[1]], words[2])
                    out = json.dumps(parent[key])
                elif cmd == "stats":
                    out = json.dumps(dict(st.stats,
                                          refused_at=st.refused_at))
                else:
                    out = "error unknown command"
        except (KeyError, IndexError, ValueError) as e:
            out = "error %r" % e
        print(out, flush=True)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mockup", required=True)
    ap.add_argument("--cert", required=True)
    ap.add_argument("--key", required=True)
    ap.add_argument("--user")
    ap.add_argument("--password")
    args = ap.parse_args()
    st = State(args.mockup, args.user, args.password)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(args.cert, args.key)
    srv = TLSServer(("127.0.0.1", 0), make_handler(st), ctx)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    print("ready %d" % srv.server_address[1], flush=True)
    commands(st)


if __name__ == "__main__":
    main()
