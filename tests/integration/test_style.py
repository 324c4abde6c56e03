"""The house style's rules that a machine can check, kept by
machine over every tracked C file. Fails with file:line for

- a file that the repository's .clang-format would change, as Debian 12's
  clang-format 14 formats it (scripts/install-deps --test installs it);
- a call of strcpy, strcat, sprintf, vsprintf, atoi, atol, atoll, strtok or
  gets: bounded or checked replacements (snprintf, strtol with an end
  pointer) say what happens on long or bad input;
- SQL built by printf-style formatting (snprintf, sqlite3_mprintf, ...):
  values go in as bound parameters. The one exception is a name SQL cannot
  bind, such as store.c's per-day table names: allowed when every conversion
  in the format is an integer one and a comment right above the call (or in
  it) says the value is an integer;
- a narrow shell (the BMS server, /metrics, the dashboard's files) that
  reaches for the controller's whole state: it includes ctl.h or names
  struct ctl_state, where it should get only the handles it uses
  (docs/architecture.md, "Who may call whom").

Comments and string literals are not looked at for calls, so a comment may
name a banned function."""

import os
import re
import shutil
import subprocess

from podtest import SOURCE, run

SKIP_DIRS = {"node_modules", "__pycache__"}


def c_files():
    """Paths (relative to SOURCE) of the tracked .c and .h files; without
    git (a copy of the tree), those found outside build directories."""
    if shutil.which("git") and os.path.exists(os.path.join(SOURCE, ".git")):
        out = subprocess.run(["git", "-C", SOURCE, "ls-files", "-z",
                              "--", "*.c", "*.h"], capture_output=True,
                             check=True).stdout.decode()
        return sorted(p for p in out.split("\0") if p)
    found = []
    for root, dirs, files in os.walk(SOURCE):
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and
                         not d.startswith(".") and not os.path.exists(
                             os.path.join(root, d, "CMakeCache.txt")))
        found += [os.path.relpath(os.path.join(root, f), SOURCE)
                  for f in files if f.endswith((".c", ".h"))]
    return sorted(found)


def read(path):
    with open(os.path.join(SOURCE, path), encoding="utf-8") as f:
        return f.read()


# ---- clang-format ---------------------------------------------------------

def clang_format():
    """The clang-format binary to use: Debian 12's clang-format-14."""
    for name in ("clang-format-14", "clang-format"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("no clang-format-14 on PATH: "
                         "run scripts/install-deps --test")


FORMAT_ERROR = re.compile(r"^(.+?):(\d+):\d+: (?:error|warning): (.*)$",
                          re.M)


def format_findings(files, cwd=SOURCE, stdin=None, assume=None):
    """['file:line: ...'] where clang-format --dry-run would change a file,
    at most three per file; of stdin (as file `assume`) if given."""
    argv = [clang_format(), "--dry-run", "-Werror", "--style=file"]
    if assume:
        argv.append("--assume-filename=" + assume)
    p = subprocess.run(argv + files, cwd=cwd, input=stdin,
                       capture_output=True, text=True)
    found, per_file = [], {}
    for m in FORMAT_ERROR.finditer(p.stderr):
        path = os.path.relpath(os.path.join(cwd, m.group(1)), cwd)
        per_file[path] = per_file.get(path, 0) + 1
        if per_file[path] <= 3:
            found.append("%s:%s: %s" % (path, m.group(2), m.group(3)))
    assert (p.returncode == 0) == (not found), \
        "clang-format exited %d:\n%s" % (p.returncode, p.stderr)
    return found


def test_clang_format():
    files = c_files()
    assert len(files) >= 50, "only %d C files found" % len(files)
    bad = format_findings(files)
    assert not bad, ("not formatted as .clang-format says; run clang-format"
                     " -i on them:\n  " + "\n  ".join(bad))


# ---- a little C lexer ----------------------------------------------------

TOKEN = re.compile(r'/\*.*?\*/|//[^\n]*|"(?:\\.|[^"\\\n])*"|'
                   r"'(?:\\.|[^'\\\n])*'", re.S)


def lex(text):
    """(code, strings, comments): code is text with every comment and
    literal blanked to spaces (newlines and offsets kept); strings and
    comments are (offset, text) lists, strings without their quotes."""
    code, strings, comments, last = [], [], [], 0
    for m in TOKEN.finditer(text):
        code.append(text[last:m.start()])
        tok = m.group(0)
        if tok.startswith("/"):
            comments.append((m.start(), tok))
        elif tok.startswith('"'):
            strings.append((m.start(), tok[1:-1]))
        code.append(re.sub(r"[^\n]", " ", tok))
        last = m.end()
    code.append(text[last:])
    return "".join(code), strings, comments


def line_of(text, offset):
    return text.count("\n", 0, offset) + 1


def call_end(code, open_paren):
    """Offset just past the parenthesis closing the one at open_paren."""
    depth = 0
    for i in range(open_paren, len(code)):
        if code[i] == "(":
            depth += 1
        elif code[i] == ")":
            depth -= 1
            if depth == 0:
                return i + 1
    return len(code)


# ---- banned calls --------------------------------------------------------

BANNED = re.compile(r"(?<![\w.>])(strcpy|strcat|sprintf|vsprintf|atoi|atol|"
                    r"atoll|strtok|gets)\s*\(")


def banned_calls(text):
    """(line, name) of each banned call in C source text."""
    code, _, _ = lex(text)
    return [(line_of(code, m.start()), m.group(1))
            for m in BANNED.finditer(code)]


def test_banned_calls():
    bad = []
    for path in c_files():
        bad += ["%s:%d: %s()" % (path, line, name)
                for line, name in banned_calls(read(path))]
    assert not bad, ("banned calls (STYLE.md: use snprintf, strtol with an"
                     " end pointer, strtok_r):\n  " + "\n  ".join(bad))


# ---- SQL built by formatting ---------------------------------------------

PRINTF = re.compile(r"(?<![\w.>])(v?s?n?printf|v?asprintf|v?dprintf|"
                    r"v?fprintf|sqlite3_v?mprintf|sqlite3_v?snprintf|"
                    r"evbuffer_add_v?printf|evbuffer_add_printf)\s*\(")
SQL = re.compile(r"\b(?:SELECT\b.*\bFROM|INSERT\s+(?:OR\s+\w+\s+)?INTO|"
                 r"UPDATE\s+\w+\s+SET|DELETE\s+FROM|REPLACE\s+INTO|"
                 r"(?:CREATE|DROP)\s+(?:TEMP\w*\s+)?(?:TABLE|INDEX|VIEW|"
                 r"TRIGGER)|ALTER\s+TABLE|PRAGMA\s+\w+)\b", re.S)
# one printf conversion; group 1 is its conversion letter ("%" for %%)
CONVERSION = re.compile(r"%[-+ #0'*]*[0-9*]*(?:\.[0-9*]+)?"
                        r"(?:hh|h|ll|l|j|z|t|L|q)?([a-zA-Z%]|$)")
INTEGER_CONVERSIONS = set("diouxX%")


def formatted_sql(text):
    """(line, why) of each printf-style call whose format is SQL and is not
    the allowed case: integer conversions only, vouched for by a comment
    saying 'integer' that ends on the line above the call or is inside it."""
    code, strings, comments = lex(text)
    found = []
    for m in PRINTF.finditer(code):
        start, end = m.start(), call_end(code, m.end() - 1)
        parts = [s for off, s in strings if start <= off < end]
        if not SQL.search(" ".join(parts)):
            continue
        line = line_of(code, start)
        convs = []
        for s in parts:
            for c in CONVERSION.finditer(s):
                letter = c.group(1)
                if letter == "":  # "%" PRId64: the macro is integer-only
                    letter = "d" if re.search(r"\bPRI[diouxX]",
                                              code[start:end]) else "?"
                convs.append(letter)
        if any(c not in INTEGER_CONVERSIONS for c in convs):
            found.append((line, "SQL formatted with a non-integer value;"
                                " bind it as a parameter"))
            continue
        vouched = any("integer" in c.lower() and
                      (line_of(text, off + len(c)) in (line - 1, line) or
                       start <= off < end)
                      for off, c in comments)
        if not vouched:
            found.append((line, "SQL formatted from a value no comment"
                                " right above says is an integer"))
    return found


def test_no_sql_by_formatting():
    bad = []
    for path in c_files():
        bad += ["%s:%d: %s" % (path, line, why)
                for line, why in formatted_sql(read(path))]
    assert not bad, "SQL built by printf-style formatting:\n  " + \
        "\n  ".join(bad)


# ---- narrow shells -------------------------------------------------------

# Shell modules that get only the handles they use.
NARROW = ["controllerd/bms.c", "controllerd/bms.h", "controllerd/metrics.c",
          "controllerd/metrics.h", "controllerd/api_static.c"]
INCLUDE = re.compile(r"^[ \t]*#[ \t]*include", re.M)


def whole_state(text):
    """(line, what) of each reach for the controller's whole state: an
    include of ctl.h, or struct ctl_state named outside comments."""
    code, _, _ = lex(text)
    found = [(line_of(code, m.start()), "includes ctl.h")
             for m in INCLUDE.finditer(code)
             if re.match(r'[ \t]*["<]ctl\.h[">]', text[m.end():])]
    found += [(line_of(code, m.start()), "names struct ctl_state")
              for m in re.finditer(r"\bctl_state\b", code)]
    return sorted(found)


def test_narrow_shells():
    bad = []
    for path in NARROW:
        bad += ["%s:%d: %s" % (path, line, what)
                for line, what in whole_state(read(path))]
    assert not bad, ("a narrow shell reaches for the whole controller state;"
                     " give it the handles it uses:\n  " + "\n  ".join(bad))


# ---- the checks on small texts --------------------------------------------

def test_the_rules_find_what_they_must():
    """Each check on small texts: what it must flag, on its line, and what
    it must leave alone."""
    c = ("/* strcpy(a, b) in a comment */\n"
         'puts("atoi(x)");\n'
         "\tstrcpy(a, b);\n"              # 3
         "n = atoi (s) + my_atoi(s);\n"   # 4
         "snprintf(b, n, \"%d\", 1);\n"
         "p->gets(x); s.strtok(y);\n"
         "fgets(b, n, f); strtok_r(s, d, &p);\n"
         "x = atol(s);\n")                # 8
    assert banned_calls(c) == [(3, "strcpy"), (4, "atoi"), (8, "atol")]

    sql = ('snprintf(q, n, "SELECT a FROM t WHERE b = \'%s\'", name);\n'  # 1
           "/* the day is an integer */\n"
           'snprintf(q, n, "DROP TABLE t_%08d", day);\n'
           'snprintf(q, n, "DROP TABLE t_%08d", day);\n'                # 4
           "/* the id is an integer */\n"
           'x = sqlite3_mprintf("SELECT a"\n'
           '    " FROM t WHERE id = %s", id);\n'                        # 6
           'snprintf(q, n, "could not create %s", what);\n'
           "/* an integer */\n"
           'evbuffer_add_printf(b, "PRAGMA user_version = %" PRId64,\n'
           "    v);\n"
           'fprintf(stderr, "usage: select FROM a list\\n");\n'
           'snprintf(q, n, "DELETE FROM t_%d WHERE x = %f", d, f);\n')  # 13
    assert formatted_sql(sql) == [
        (1, "SQL formatted with a non-integer value; bind it as a"
            " parameter"),
        (4, "SQL formatted from a value no comment right above says is"
            " an integer"),
        (6, "SQL formatted with a non-integer value; bind it as a"
            " parameter"),
        (13, "SQL formatted with a non-integer value; bind it as a"
             " parameter")], formatted_sql(sql)

    shell = ("/* not struct ctl_state, nor #include \"ctl.h\" */\n"
             '#include "ctl_other.h"\n'
             '#include "ctl.h"\n'                      # 3
             "  # include <ctl.h>\n"                   # 4
             'puts("ctl_state");\n'
             "void f(struct ctl_state *st);\n")        # 6
    assert whole_state(shell) == [(3, "includes ctl.h"),
                                  (4, "includes ctl.h"),
                                  (6, "names struct ctl_state")], \
        whole_state(shell)

    good = "int\nmain(void)\n{\n\treturn 0;\n}\n"
    assert format_findings([], stdin=good, assume="x.c") == []
    bad = "int main(void) {\n  return 0;\n}\n"
    found = format_findings([], stdin=bad, assume="x.c")
    assert found and found[0].startswith("x.c:1: "), found


run([test_clang_format, test_banned_calls, test_no_sql_by_formatting,
     test_narrow_shells, test_the_rules_find_what_they_must])
