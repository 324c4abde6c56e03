"""Every binary answers --help and --version with status 0, and the options
its usage lists are exactly those of its man page's synopsis (for podctl,
the synopsis and the commands), so that neither can drift from the other.
A bad option is still refused, so --help is not merely ignored."""

import os
import re
import subprocess

from podtest import SOURCE, binary, run

MAN = os.path.join(SOURCE, "packaging", "man")

# binary, man page, man sections whose options the usage must list
BINARIES = [
    ("podctl", "podctl.1", ("SYNOPSIS", "COMMANDS")),
    ("pod-controllerd", "pod-controllerd.8", ("SYNOPSIS",)),
    ("pod-agentd", "pod-agentd.8", ("SYNOPSIS",)),
    ("pod-fleetsim", "pod-fleetsim.1", ("SYNOPSIS",)),
    ("pod-schedsim", "pod-schedsim.1", ("SYNOPSIS",)),
]

OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


def options(text):
    """The options named in text: "--server", "-o"; "-dn" is -d and -n."""
    found = set()
    for o in OPTION.findall(text):
        if not o.startswith("--") and len(o) > 2:
            found.update("-" + c for c in o[1:])
        else:
            found.add(o)
    return found


def sections(page, names):
    """The text of the named sections of a man page, man(7) or mdoc(7)."""
    with open(os.path.join(MAN, page)) as f:
        lines = f.read().splitlines()
    out, keep = [], False
    for line in lines:
        m = re.match(r"^\.(?:SH|Sh)\s+(.*)$", line)
        if m:
            keep = m.group(1).strip().strip('"') in names
            continue
        if keep:
            out.append(line)
    return "\n".join(out)


def man_options(page, names):
    text = sections(page, names)
    assert text.strip(), "%s: no %s section" % (page, "/".join(names))
    if re.search(r"^\.Nm\b", text, re.M):
        # mdoc: "Fl -server" is --server, "Fl o" is -o, "Fl \-" is --
        return {"-" + a for a in re.findall(r"\bFl\s+(-?[A-Za-z][\w-]*)",
                                            text)}
    text = text.replace("\\-", "-")
    text = re.sub(r"^\.[A-Za-z]+\s?", "", text, flags=re.M)
    return options(text)


def call(name, *args):
    p = subprocess.run([binary(name)] + list(args), capture_output=True,
                       text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def check_help(name, page, names):
    rc, out, err = call(name, "--help")
    assert rc == 0, "%s --help: exit %d, stderr %r" % (name, rc, err)
    assert out.startswith("usage: %s " % name), (name, out)
    assert err == "", (name, err)
    usage, man = options(out), man_options(page, names)
    assert usage == man, ("%s: options only in --help: %s; only in %s: %s"
                          % (name, sorted(usage - man), page,
                             sorted(man - usage)))
    assert {"--help", "--version"} <= usage, (name, sorted(usage))


def check_version(name):
    rc, out, err = call(name, "--version")
    assert rc == 0, "%s --version: exit %d, stderr %r" % (name, rc, err)
    assert re.fullmatch(r"%s \d+\.\d+\.\d+\n" % re.escape(name), out), \
        (name, out)


def check_bad_option(name):
    rc, out, err = call(name, "--no-such-option")
    assert rc != 0 and out == "" and err.strip(), (name, rc, out, err)


# What a failure of a binary's case should also say.
NOTES = {
    "pod-controllerd": "pod-controllerd's --help and --version come with "
                       "the controller's start-up changes of issue 9",
}


def make_test(name, page, names):
    def test():
        try:
            check_help(name, page, names)
            check_version(name)
            check_bad_option(name)
        except AssertionError as e:
            if name in NOTES:
                raise AssertionError("%s (%s)" % (e, NOTES[name])) from None
            raise
    test.__name__ = "test_" + name.replace("-", "_")
    return test


def test_option_extraction():
    """The extraction itself, so that an empty set cannot pass."""
    assert options("usage: x [-dn] -c file [--server url] -- cmd") == {
        "-d", "-n", "-c", "--server"}
    assert len(man_options("pod-agentd.8", ("SYNOPSIS",))) >= 5
    assert "--accels-per-node" in man_options("podctl.1",
                                              ("SYNOPSIS", "COMMANDS"))


run([test_option_extraction] + [make_test(*b) for b in BINARIES])
