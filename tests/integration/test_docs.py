"""The documentation stays in step with the code: every route in the
controller's route table is in docs/openapi.yaml with its method, and the
OpenAPI file lists no route the controller lacks; each operation's x-rule
is the rule the route table declares, and its x-standby whether a standby
serves it; every controller config
key is in docs/configuration.md."""

import os
import re
import subprocess

from podtest import SOURCE, binary, run


def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def code_rules():
    """{(method, path): (rule, served by a standby)} from the route table,
    as the controller itself prints it (pod-controllerd --routes)."""
    out = subprocess.run([binary("pod-controllerd"), "--routes"],
                         capture_output=True, text=True, check=True).stdout
    rules = {}
    for line in out.splitlines():
        method, path, rule, server = line.split()
        assert server in ("active", "standby"), line
        if path.startswith("/api/v1/"):
            rules[(method.lower(),
                   "/" + path[8:].strip("/").replace("*", "{name}"))] = (
                rule, server == "standby")
    return rules


def code_routes():
    table = read("controllerd", "api.c")
    return {(m.lower(), "/" + p.strip("/").replace("*", "{name}"))
            for m, p in re.findall(
                r'\{EVHTTP_REQ_(\w+), "(/[^"]*)",\s*(?:h|api)_\w+', table)}


def openapi_operations():
    """{(method, path): (its x-rule or None, its x-standby)}."""
    ops, path, op = {}, None, None
    for line in read("docs", "openapi.yaml").splitlines():
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path, op = re.sub(r"\{\w+\}", "{name}", m.group(1)), None
            continue
        m = re.match(r"^    (get|post|put|delete|patch):\s*$", line)
        if m and path:
            op = (m.group(1), path)
            ops[op] = (None, False)
            continue
        m = re.match(r"^      x-rule:\s*(\w+)\s*$", line)
        if m and op:
            ops[op] = (m.group(1), ops[op][1])
        elif re.match(r"^      x-standby:\s*true\s*$", line) and op:
            ops[op] = (ops[op][0], True)
        elif re.match(r"^\S", line):
            path = op = None
    return ops


def openapi_routes():
    return set(openapi_operations())


def test_openapi_rules_match_route_table():
    code, doc = code_rules(), openapi_operations()
    wrong = {k: (code.get(k), doc.get(k)) for k in code
             if code.get(k) != doc.get(k)}
    assert code and not wrong, (
        "(rule, served by a standby) in code, in docs: %s" % wrong)
    assert any(standby for _, standby in code.values()), code


def test_openapi_matches_route_table():
    code, doc = code_routes(), openapi_routes()
    assert code, "no routes found in controllerd/api.c"
    assert code == doc, ("only in code: %s; only in docs: %s"
                         % (sorted(code - doc), sorted(doc - code)))


def test_config_keys_documented():
    keys = set(re.findall(r'\{"(\w+)",\s*"(\w+)",\s*V_',
                          read("controllerd", "config.c")))
    doc = read("docs", "configuration.md")
    missing = [k for s, k in keys if "`%s`" % k not in doc]
    assert keys and not missing, missing


run([test_openapi_matches_route_table, test_openapi_rules_match_route_table,
     test_config_keys_documented])
