"""Names, reasons, job names and token comments refuse control and
bidirectional-override characters: a drain reason, a job name or a token
comment holding U+202E (which makes
"evil\u202etxt.exe" read as "evilexe.txt"), an isolate, a C1 control or
invalid UTF-8 is refused with a 400 that names the field and the
character; other Unicode text (accents, CJK, emoji) is kept as sent."""

from podtest import Controller, TempDir, run

tmp = TempDir("text-fields")
ctl = Controller(tmp).start()

# Per case: the text, and the message of its refusal after "FIELD: "
# (None: accepted).
CASES = [
    ("evil\u202etxt.exe", "U+202E (right-to-left override) is not allowed"),
    ("a\u2066b", "U+2066 (left-to-right isolate) is not allowed"),
    ("mark\u200f", "U+200F (right-to-left mark) is not allowed"),
    ("c1\u0085", "U+0085 (control character) is not allowed"),
    ("esc\u001b[2J", "U+001B (control character) is not allowed"),
    ("Zo\u00eb \u6e2c\u8a66 \U0001f680", None),
]


def test_drain_reason():
    for text, why in CASES:
        status, body = ctl.api("POST", "/nodes/pod01-n001/drain",
                               {"reason": text})
        if why is None:
            assert status == 200, (text, status, body)
            assert body["reason"] == text, body
        else:
            assert status == 400, (text, status, body)
            assert body["error"]["message"] == "reason: " + why, body


def test_job_name():
    for text, why in CASES:
        status, body = ctl.api("POST", "/jobs", {"name": text,
                                                 "command": ["true"],
                                                 "nodes": 1})
        if why is None:
            assert status == 201, (text, status, body)
            status, j = ctl.api("GET", "/jobs/%d" % body["id"])
            assert j["name"] == text, j
        else:
            assert status == 400, (text, status, body)
            assert body["error"]["message"] == "job: name: " + why, body


def test_token_comment():
    for text, why in CASES:
        status, body = ctl.api("POST", "/tokens", {"user": "alice",
                                                   "role": "viewer",
                                                   "comment": text})
        if why is None:
            assert status == 201, (text, status, body)
        else:
            assert status == 400, (text, status, body)
            assert body["error"]["message"] == "token: comment: " + why, \
                body


def test_invalid_utf8():
    raw = b'{"reason": "bad \xff byte"}'
    status, body = ctl.api("POST", "/nodes/pod01-n002/drain", raw=raw)
    assert status == 400, (status, body)


if __name__ == "__main__":
    run([test_drain_reason, test_job_name, test_token_comment,
         test_invalid_utf8])
