"""Spreading connections between the workers that accept on one socket.

Every worker polls the same listening socket and the kernel wakes them
all; on a busy machine the first one awake would take every connection of
a burst (a keep-alive client then stays on it: one worker busy, the other
idle). So each worker publishes how many connections it holds, in memory
shared by the master's children, and one holding more than the least
loaded worker lets a new connection wait for the others, briefly.
"""

import multiprocessing
import os

SLOTS = 64


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Loads:
    """Created in the master before it forks; the workers inherit it."""

    def __init__(self):
        self.pids = multiprocessing.RawArray('i', SLOTS)
        self.counts = multiprocessing.RawArray('i', SLOTS)
        self.lock = multiprocessing.Lock()

    def claim(self):
        """This worker's slot (one of a dead worker is reused), or None."""
        pid = os.getpid()
        with self.lock:
            for i in range(SLOTS):
                if self.pids[i] == 0 or not _alive(self.pids[i]):
                    self.pids[i] = pid
                    self.counts[i] = 0
                    return Slot(self, i)
        return None


class Slot:

    def __init__(self, loads, index):
        self.loads = loads
        self.index = index

    def publish(self, count):
        self.loads.counts[self.index] = count

    def release(self):
        self.loads.pids[self.index] = 0

    def least_other(self):
        """The fewest connections a live other worker holds, or None."""
        least = None
        pids, counts = self.loads.pids, self.loads.counts
        for i in range(SLOTS):
            if i != self.index and pids[i] and (
                    least is None or counts[i] < least) and _alive(pids[i]):
                least = counts[i]
        return least
