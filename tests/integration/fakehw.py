"""A fake powercap tree for the RAPL plugin's tests in a real pod-agentd
(test_hw_plugins.py, test_agent_plugins.py): zones as the intel_rapl driver
lays them out, and a counter that advances at a steady power."""

import os
import threading
import time


def put(path, text):
    with open(path, "w") as f:
        f.write(text + "\n")


def rapl_tree(root):
    """package-0 with its DRAM."""
    pkg = os.path.join(root, "intel-rapl:0")
    dram = os.path.join(pkg, "intel-rapl:0:0")
    for d, name in ((pkg, "package-0"), (dram, "dram")):
        os.makedirs(d)
        put(os.path.join(d, "name"), name)
        put(os.path.join(d, "energy_uj"), "0")
        put(os.path.join(d, "max_energy_range_uj"), "262143328850")
    return pkg, dram


class Burner:
    """Advances a zone's energy counter at a steady rate, as a busy
    package does, until stopped."""

    def __init__(self, path, watts):
        self.path, self.watts = path, watts
        self.stop_ev = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        start = time.monotonic()
        while not self.stop_ev.wait(0.02):
            uj = int((time.monotonic() - start) * self.watts * 1e6)
            tmp = self.path + ".new"
            put(tmp, str(uj))
            os.replace(tmp, self.path)

    def stop(self):
        self.stop_ev.set()
        self.thread.join()
