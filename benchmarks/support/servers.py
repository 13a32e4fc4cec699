"""The servers a benchmark starts: testbed.servers.Server (its own
process group, stopped whole) with the RSS of its workers sampled, their
CPU seconds and the database server's; the package snapshot they run."""

import os
import shutil
import sys
import threading

import psutil

from benchmarks.support import report
from testbed import servers as test_servers

# Where the servers import glance_members from: a copy of the checkout's
# package taken when the run starts (snapshot_package), so that a commit
# landing during the run cannot make one phase measure other code.
SOURCE = {'root': report.REPO}


def snapshot_package(scratch):
    root = os.path.join(scratch, 'src')
    shutil.copytree(os.path.join(report.REPO, 'glance_members'),
                    os.path.join(root, 'glance_members'),
                    ignore=shutil.ignore_patterns('__pycache__'))
    SOURCE['root'] = root
    sys.path.insert(0, root)
    return root


def child_env(**extra):
    return test_servers.child_env(SOURCE['root'], **extra)


class Server(test_servers.Server):
    """A gunicorn server (glance-members or the ceiling app) running `argv`
    in `cwd`, with an RSS sampler over its workers."""

    def __init__(self, name, argv, cwd, log_path, port, env=None,
                 database_pids=None):
        super().__init__(cwd, port, log_path, argv=argv,
                         env=env or child_env())
        self.name = name
        self.sampler = None
        self.database_pids = database_pids

    def database_cpu(self):
        """CPU seconds of the database server's processes (PostgreSQL's
        postmaster and backends: part of what is measured), or 0."""
        total = 0.0
        for pid in (self.database_pids() if self.database_pids else ()):
            try:
                t = psutil.Process(pid).cpu_times()
                total += t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return total

    def start(self, timeout=90):
        super().start(timeout)
        self.sampler = RssSampler(self.process.pid)
        self.sampler.start()
        return self

    def workers(self):
        try:
            return psutil.Process(self.process.pid).children()
        except psutil.NoSuchProcess:
            return []

    def cpu_times(self):
        out = {}
        for w in self.workers():
            try:
                t = w.cpu_times()
                out[w.pid] = t.user + t.system
            except psutil.NoSuchProcess:
                pass
        return out

    def stop(self):
        """Stop the process group; the workers' peak memory."""
        memory = self.sampler.stop() if self.sampler else None
        super().stop(timeout=20)
        return memory


class RssSampler(threading.Thread):
    """Max RSS of every worker (children of the arbiter) every 200 ms."""

    def __init__(self, master_pid, interval=0.2):
        super().__init__(daemon=True)
        self.master_pid, self.interval = master_pid, interval
        self.peak = {}          # pid -> max rss bytes
        self.samples = 0
        self._stop_event = threading.Event()

    def run(self):
        try:
            master = psutil.Process(self.master_pid)
        except psutil.NoSuchProcess:
            return
        while not self._stop_event.is_set():
            try:
                for child in master.children():
                    try:
                        rss = child.memory_info().rss
                    except psutil.NoSuchProcess:
                        continue
                    if rss > self.peak.get(child.pid, 0):
                        self.peak[child.pid] = rss
                self.samples += 1
            except psutil.NoSuchProcess:
                break
            self._stop_event.wait(self.interval)

    def stop(self):
        self._stop_event.set()
        self.join()
        return {'worker_pids': sorted(self.peak),
                'worker_max_rss_mib': {str(p): round(v / report.MiB, 1)
                                       for p, v in sorted(self.peak.items())},
                'max_rss_mib': round(max(self.peak.values(), default=0)
                                     / report.MiB, 1),
                'samples': self.samples}
