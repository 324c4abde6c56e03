"""The audit log as operators read it: GET /api/v1/audit with its filters
and `podctl audit`; each line names the user whose token made the change;
a write that changes nothing leaves no line."""

import datetime
import json

from podtest import Controller, TempDir, podctl, run

tmp = TempDir("audit")
ctl = Controller(tmp).start()


def ok(*args, token=None):
    rc, out, err = podctl(ctl.url, *args,
                          env={"POD_TOKEN": token} if token else None)
    assert rc == 0, (args, rc, out, err)
    return out


def lines(query=""):
    status, body = ctl.api("GET", "/audit" + query)
    assert status == 200, (status, body)
    return body["audit"]


def test_changes_are_recorded_in_order():
    ok("node", "drain", "pod01-n007", "--reason", "swap cold plate",
       token=ctl.token("olga", "operator"))
    ok("power", "cap", "300")
    ok("policy", "set", "energy", "slowdown_pct=5")
    made = lines()[:2]  # podtest's first admin, then olga's token
    assert [(a["action"], a["actor"]) for a in made] == [
        ("token create", "--init-admin"), ("token create", "root")], made
    got = [(a["action"], a["object"]) for a in lines()[2:]]
    assert got[0] == ("drain", "pod01-n007"), got
    assert ("set", "facility_cap_w") in got, got
    assert got[-1][0] == "policy", got
    assert {a["actor"] for a in lines()[3:]} == {"root"}, lines()
    first = lines()[2]
    assert first["actor"] == "olga", first
    assert first["detail"] == "swap cold plate", first
    assert set(first) == {"id", "time", "actor", "action", "object",
                          "detail"}, first


def test_writes_that_change_nothing_are_not_recorded():
    before = len(lines())
    ok("power", "cap", "300")
    ok("policy", "set", "energy", "slowdown_pct=5")
    out = ok("node", "drain", "pod01-n007", "--reason", "swap cold plate")
    assert "nothing changed" in out, out
    assert len(lines()) == before, lines()
    ok("power", "cap", "250")  # a real change is still recorded
    assert len(lines()) == before + 1, lines()
    assert lines()[-1]["detail"] == "300000 -> 250000", lines()[-1]


def test_filters():
    drains = lines("?action=drain")
    assert [a["object"] for a in drains] == ["pod01-n007"], drains
    assert lines("?actor=nobody") == []
    assert len(lines("?limit=2")) == 2
    assert lines("?limit=2") == lines()[-2:]
    t = lines()[0]["time"]
    later = (datetime.datetime.strptime(t, "%Y-%m-%dT%H:%M:%SZ") +
             datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert lines("?since=" + later) == []
    assert lines("?until=" + t) == []
    assert len(lines("?since=" + t)) == len(lines())


def test_bad_filters_are_refused():
    for q, word in (("?since=yesterday", "since"), ("?until=12:00", "until"),
                    ("?limit=0", "limit"), ("?colour=red", "colour")):
        status, body = ctl.api("GET", "/audit" + q)
        assert status == 400, (q, status, body)
        assert word in body["error"]["message"], body


def test_podctl_audit():
    out = ok("audit", "--since", "1h", "--action", "drain")
    rows = out.strip().splitlines()
    assert rows[0].split() == ["TIME", "AGE", "ACTOR", "ACTION", "OBJECT",
                               "DETAIL"], out
    assert len(rows) == 2 and "pod01-n007" in rows[1], out
    assert "swap cold plate" in rows[1], out
    assert json.loads(ok("-o", "json", "audit", "--limit", "1"))["audit"] \
        == lines()[-1:]
    rc, out, err = podctl(ctl.url, "audit", "--since", "2x")
    assert rc != 0 and "--since" in err, (rc, err)


def test_audit_survives_a_restart():
    before = lines()
    ctl.restart()
    assert lines() == before


try:
    run([test_changes_are_recorded_in_order,
         test_writes_that_change_nothing_are_not_recorded, test_filters,
         test_bad_filters_are_refused, test_podctl_audit,
         test_audit_survives_a_restart])
finally:
    ctl.stop()
    tmp.cleanup()
