"""docs/openapi.yaml is a valid OpenAPI 3.0 document, as a standard
validator sees it: tests/contract/validate-doc.js runs
@apidevtools/swagger-parser (the OpenAPI 3.0 schema, references) and
compiles every schema with Ajv in strict mode, with the first node on PATH
(Node 18, as Debian 12 has, or newer). Copies of the document with one
broken entry each must be refused, naming the entry: a validator that
passes everything would pass this test's first half too. Installs the npm
packages (npm ci) when they are missing."""

import os
import shutil
import subprocess

from podtest import SOURCE, TempDir, npm_ci, run

CONTRACT_DIR = os.path.join(SOURCE, "tests", "contract")
DOC = os.path.join(SOURCE, "docs", "openapi.yaml")
tmp = TempDir("openapi-doc")

# (what, text in the document, its replacement, what the refusal names)
BROKEN = [
    ("an unquoted comma in a flow mapping's description",
     'description: "pods, comma-separated"}',
     "description: pods, comma-separated}",
     "#/paths/~1nodes/get/parameters/0: must NOT have additional properties"
     " ('comma-separated')"),
    ("a misspelt keyword",
     "required: [status, version,", "requried: [status, version,",
     "#/paths/~1health/get/responses/200/content/application~1json/schema:"
     " must NOT have additional properties ('requried')"),
    ("a reference to no schema",
     'items: {$ref: "#/components/schemas/Pod"}',
     'items: {$ref: "#/components/schemas/Pods"}',
     "#/components/schemas/Pods"),
    ("a string keyword on a number",
     "budget_w: {type: number, description: W}",
     "budget_w: {type: number, description: W, maxLength: 3}",
     '#/components/schemas/Pod: strict mode: missing type "string" for'
     ' keyword "maxLength" at "#/properties/budget_w"'),
    ("nullable without a type",
     "flow_lpm: {type: number, nullable: true, description: \"L/min",
     "flow_lpm: {nullable: true, description: \"L/min",
     '#/components/schemas/Pod: "nullable" cannot be used without "type"'),
    ("a status that is not one",
     '        "409":\n          description: The alarm is not open.',
     '        "4090":\n          description: The alarm is not open.',
     "#/paths/~1alarms~1{id}~1ack/post/responses: must NOT have additional"
     " properties ('4090')"),
]


def validate(path):
    p = subprocess.run(["node", os.path.join(CONTRACT_DIR, "validate-doc.js"),
                        path], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout + p.stderr


def test_tools():
    for tool in ("node", "npm"):
        assert shutil.which(tool), \
            "%s not found: run scripts/install-deps --test" % tool
    npm_ci(CONTRACT_DIR)


def test_the_document_is_valid():
    rc, out = validate(DOC)
    print(out, end="")
    assert rc == 0, "docs/openapi.yaml is not valid:\n" + out
    assert "openapi.yaml: a valid OpenAPI 3.0 document" in out, out


def test_broken_copies_are_refused_naming_the_entry():
    with open(DOC) as f:
        text = f.read()
    for i, (what, good, bad, named) in enumerate(BROKEN):
        assert text.count(good) == 1, \
            "%s: %r is not in docs/openapi.yaml once" % (what, good)
        copy = tmp.file("broken%d.yaml" % i, text.replace(good, bad))
        rc, out = validate(copy)
        assert rc == 1, "%s: accepted (exit %d):\n%s" % (what, rc, out)
        assert named in out, "%s: refused without naming %r:\n%s" \
            % (what, named, out)


try:
    run([test_tools, test_the_document_is_valid,
         test_broken_copies_are_refused_naming_the_entry])
finally:
    tmp.cleanup()
