"""The inventory rides only on the reports that need it
(docs/agent-protocol.md, "Inventory").

- A real pod-agentd against the stand-in controller: while the replies
  say nothing, every report carries the inventory (what a controller that
  never asks expects); once a reply says want_inventory false, the
  reports leave it out; when one says true again, the next report carries
  it, and then every one while asked.
- The real controller asks for it when it does not hold the inventory of
  the agent's boot: its database restored to one without the node's
  accelerators and the controller restarted under a running agent, the
  node's accelerators come back in /nodes/NAME (with the agent sending
  it only in its first report, they would not).
"""

import os
import sqlite3

from podtest import (Agent, Controller, FakeController, TempDir, run,
                     wait_for)

NODE = "pod01-n003"


def test_agent_sends_it_when_asked():
    t = TempDir("inventory-agent")
    fake = FakeController(NODE)
    agent = Agent(t, fake.url, NODE).start()
    try:
        wait_for("three reports", lambda: fake.count() >= 3)
        assert all("inventory" in r for r in fake.since(0))
        fake.want_inventory = False
        n0 = fake.count()
        wait_for("three reports after the reply says no",
                 lambda: fake.count() >= n0 + 4)
        # the first report may have been sent before the reply came back
        later = fake.since(n0 + 1)
        assert later and not any("inventory" in r for r in later), \
            [sorted(r) for r in later]
        fake.want_inventory = True
        n1 = fake.count()
        wait_for("three reports asked", lambda: fake.count() >= n1 + 4)
        asked = fake.since(n1 + 1)
        assert all("inventory" in r for r in asked), \
            [sorted(r) for r in asked]
        inv = asked[-1]["inventory"]
        assert inv["power_plugin"] == "sim" and len(inv["accelerators"]) == 8
    finally:
        agent.stop()
        fake.stop()
        t.cleanup()


def accel_models(ctl):
    code, body = ctl.api("GET", "/nodes/" + NODE)
    assert code == 200, (code, body)
    return [a["model"] for a in body["accelerators"]]


def test_controller_asks_what_it_lacks():
    t = TempDir("inventory-ctl")
    ctl = Controller(t).start()
    agent = Agent(t, ctl.url, NODE).start()
    try:
        models = wait_for("the node's accelerators", lambda: [
            m for m in accel_models(ctl) if m] or None, timeout=30)
        assert len(models) == 8, models
        ctl.stop()
        db = sqlite3.connect(ctl.db)
        db.execute("DELETE FROM accelerators")
        db.commit()
        db.close()
        ctl.restart()
        wait_for("the accelerators again", lambda: accel_models(ctl) ==
                 models, timeout=30)
    finally:
        agent.stop()
        ctl.stop()
        t.cleanup()


run([test_agent_sends_it_when_asked, test_controller_asks_what_it_lacks])
