"""What tools/bench/ingest/run and tools/bench/ingest/replay share: the
evhttp baseline server, a report captured off pod-fleetsim, and a
process's CPU and RSS from /proc. Imported after podtest is on the path."""

import os

from podtest import Daemon, Fleetsim, binary, wait_file

HZ = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


class NullHttp(Daemon):
    """ingest_null_http: an empty 200 to every request; save_body: the
    first request's body into that file."""

    def __init__(self, tmp, save_body=None, name="null_http"):
        argv = [binary("ingest_null_http")]
        if save_body:
            argv += ["--save-body", save_body]
        super().__init__(name, argv, tmp)

    def start(self):
        super().start()
        port = self.wait_log(r"^listening on \d+$").split()[-1]
        self.url = "http://127.0.0.1:%s" % port
        return self


def report_body(tmp, accels=8):
    """A report of one pod-fleetsim node (accels accelerators) as it sends
    it every second, in tmp's report.json; returns its path."""
    path = tmp.file("report.json")
    srv = NullHttp(tmp, save_body=path, name="null_http-capture").start()
    fleet = Fleetsim(tmp, srv.url, pods=1, nodes=1,
                     args=["--accels-per-node", str(accels), "--threads",
                           "1"], name="fleetsim-capture").start()
    try:
        wait_file(path)
    finally:
        fleet.stop()
        srv.stop()
    return path


def proc_cpu_s(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / HZ


def proc_rss_mib(pid):
    with open("/proc/%d/statm" % pid) as f:
        return int(f.read().split()[1]) * PAGE / 2**20
