"""The suite's own rules, kept by machine: no test waits a fixed time. A
test waits on the condition itself (podtest.wait_for and the helpers beside
it): a fixed sleep either hides a race on a loaded machine or wastes time on
an idle one. Fails with file:line for

- a call of time.sleep (or of a sleep imported from time) in the Python
  under tests/, except inside podtest.py's wait_for and the two functions
  of fake_smi.py that are a stand-in vendor tool's own timing (ALLOWED);
- page.waitForTimeout, or a Promise around setTimeout, in tests/browser;
- sleep, usleep or nanosleep called in the C under tests/;
- a `sleep N` command in a shell script under tests/.

A job whose command is ["sleep", "60"] runs a workload, not a wait: that is
a string, and strings are not looked at."""

import ast
import os
import re

from podtest import SOURCE, Daemon, TempDir, run

TESTS = os.path.join(SOURCE, "tests")
# (file, function): the only places a Python sleep may be called
ALLOWED = {("tests/integration/podtest.py", "wait_for"),
           # fake_smi.py stands in for a vendor's tool: a slow answer and a
           # stream's period are that tool's own timing, the behaviour under
           # test, not a test waiting
           ("tests/integration/fake_smi.py", "slow_start"),
           ("tests/integration/fake_smi.py", "between_records")}
SKIP_DIRS = {"node_modules", "__pycache__", ".git"}


def python_sleeps(path, text):
    """(line, what) of each sleep call in Python source text."""
    tree = ast.parse(text, path)
    modules, funcs = set(), set()  # names bound to time, to time.sleep
    for n in ast.walk(tree):
        if isinstance(n, ast.Import):
            modules |= {a.asname or a.name for a in n.names
                        if a.name == "time"}
        elif isinstance(n, ast.ImportFrom) and n.module == "time":
            funcs |= {a.asname or a.name for a in n.names
                      if a.name == "sleep"}
    found = []

    def visit(node, where):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            where = node.name
        if isinstance(node, ast.Call) and (path, where) not in ALLOWED:
            f = node.func
            if (isinstance(f, ast.Attribute) and f.attr == "sleep" and
                    isinstance(f.value, ast.Name) and
                    f.value.id in modules) or \
                    (isinstance(f, ast.Name) and f.id in funcs):
                found.append((node.lineno, "time.sleep()"))
        for child in ast.iter_child_nodes(node):
            visit(child, where)
    visit(tree, None)
    return found


STRING = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|`[^`]*`')
JS_RULES = ((re.compile(r"\bwaitForTimeout\s*\("), "waitForTimeout()"),
            (re.compile(r"\bnew\s+Promise\s*\(.*\bsetTimeout\s*\("),
             "a Promise around setTimeout()"))
C_SLEEP = re.compile(r"\b(?:u|nano)?sleep\s*\(")
SH_SLEEP = re.compile(r"(?:^|[;&|({]|\bthen|\bdo)\s*sleep\s+[0-9.]")


def code_lines(text, comment):
    """(line number, the line without its strings) of each line that is
    not a comment, for the languages scanned by pattern."""
    for i, line in enumerate(text.splitlines(), 1):
        bare = STRING.sub('""', line)
        if not bare.lstrip().startswith(comment):
            yield i, bare


def pattern_sleeps(path, text):
    """(line, what) of each fixed wait in JavaScript, C or shell text."""
    found = []
    if path.endswith(".js"):
        for i, line in code_lines(text, ("//", "*")):
            found += [(i, what) for rule, what in JS_RULES
                      if rule.search(line)]
    elif path.endswith((".c", ".h")):
        for i, line in code_lines(text, ("//", "*", "/*")):
            if C_SLEEP.search(line):
                found.append((i, "sleep()"))
    else:  # shell
        for i, line in code_lines(text, ("#",)):
            if SH_SLEEP.search(line):
                found.append((i, "sleep N"))
    return found


def is_shell(path, text):
    return path.endswith(".sh") or re.match(r"#!\S*/(?:env )?\S*sh\b",
                                            text) is not None


def scan():
    """(files looked at, ['file:line: what', ...]) over tests/."""
    seen, bad = 0, []
    for root, dirs, files in os.walk(TESTS):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS)
        for name in sorted(files):
            full = os.path.join(root, name)
            path = os.path.relpath(full, SOURCE)
            try:
                with open(full, encoding="utf-8") as f:
                    text = f.read()
            except (UnicodeDecodeError, OSError):
                continue
            if name.endswith(".py"):
                hits = python_sleeps(path, text)
            elif (name.endswith(".js") and
                  path.startswith("tests/browser/")) or \
                    name.endswith((".c", ".h")) or is_shell(path, text):
                hits = pattern_sleeps(path, text)
            else:
                continue
            seen += 1
            bad += ["%s:%d: %s" % (path, line, what) for line, what in hits]
    return seen, bad


def test_no_fixed_sleeps():
    seen, bad = scan()
    assert seen >= 20, "only %d test files found under %s" % (seen, TESTS)
    assert not bad, "fixed waits; wait on the condition instead:\n  " + \
        "\n  ".join(bad)


def test_the_rule_finds_what_it_must():
    """The scanners on small texts: what they must flag, on its line, and
    what they must leave alone."""
    py = ("import time\nfrom time import sleep as nap\n"
          "job = ['sleep', '60']\n"           # a workload: fine
          "def f():\n    time.sleep(1)\n"     # 5
          "def wait_for():\n    nap(0.1)\n")  # 7: not podtest.py
    assert python_sleeps("tests/integration/x.py", py) == \
        [(5, "time.sleep()"), (7, "time.sleep()")]
    assert python_sleeps("tests/integration/podtest.py",
                         "import time\ndef wait_for():\n    time.sleep(1)\n"
                         "def other():\n    time.sleep(1)\n") == \
        [(5, "time.sleep()")]
    js = ('podctl("submit", "--", "sleep", "60");\n'
          "await page.waitForTimeout(300);\n"
          "// page.waitForTimeout(1) in a comment\n"
          "await new Promise((r) => setTimeout(r, 50));\n"
          "setTimeout(tick, 10);\n")
    assert pattern_sleeps("tests/browser/x.js", js) == \
        [(2, "waitForTimeout()"), (4, "a Promise around setTimeout()")]
    c = ('SIM_JOB(8, "[\\"sh\\",\\"-c\\",\\"sleep 60\\"]");\n'
         "\tusleep(1000);\n/* sleep(1) */\n\tsleep (2);\n")
    assert pattern_sleeps("tests/unit/x.c", c) == \
        [(2, "sleep()"), (4, "sleep()")]
    sh = ('#!/bin/sh\npodctl submit -- sleep 60 &\nsleep 2\n'
          'sh -c "sleep 5"\nwait; sleep 0.5\n')
    assert is_shell("tests/x", sh)
    assert pattern_sleeps("tests/x", sh) == [(3, "sleep N"), (5, "sleep N")]


def test_a_sanitizer_report_fails_the_test():
    """Daemon.stop() fails on a log with an AddressSanitizer, LeakSanitizer
    or UBSan report in it (scripts/test-sanitize), and only then."""
    reports = ["==7==ERROR: AddressSanitizer: heap-use-after-free on 0x1",
               "==7==ERROR: LeakSanitizer: detected memory leaks",
               "controllerd/report.c:390:2: runtime error: null pointer"]
    clean = "controller: config error: no [controller] section"
    tmp = TempDir("rules")
    try:
        for text in reports + [clean]:
            d = Daemon("d", ["/bin/sh", "-c", 'echo "$1" >&2', "sh",
                             "starting\n" + text], tmp)
            d.start().proc.wait()
            try:
                d.stop()
                failed = None
            except AssertionError as e:
                failed = str(e)
            if text == clean:
                assert failed is None, failed
            else:
                assert failed is not None and text in failed, (text, failed)
            os.unlink(d.logpath)
    finally:
        tmp.cleanup()


run([test_no_fixed_sleeps, test_the_rule_finds_what_it_must,
     test_a_sanitizer_report_fails_the_test])
