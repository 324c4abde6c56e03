"""The documentation stays in step with the code: every route in the
controller's route table is in docs/openapi.yaml with its method, and the
OpenAPI file lists no route the controller lacks; every controller config
key is in docs/configuration.md."""

import os
import re

from podtest import SOURCE, run


def read(*path):
    with open(os.path.join(SOURCE, *path)) as f:
        return f.read()


def code_routes():
    table = read("controllerd", "api.c")
    return {(m.lower(), "/" + p.strip("/").replace("*", "{name}"))
            for m, p in re.findall(
                r'\{EVHTTP_REQ_(\w+), "(/[^"]*)",\s*(?:h|api)_\w+', table)}


def openapi_routes():
    routes, path = set(), None
    for line in read("docs", "openapi.yaml").splitlines():
        m = re.match(r"^  (/\S*):\s*$", line)
        if m:
            path = re.sub(r"\{\w+\}", "{name}", m.group(1))
            continue
        m = re.match(r"^    (get|post|put|delete|patch):\s*$", line)
        if m and path:
            routes.add((m.group(1), path))
        elif re.match(r"^\S", line):
            path = None
    return routes


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


run([test_openapi_matches_route_table, test_config_keys_documented])
