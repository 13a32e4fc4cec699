"""gunicorn's arbiter with our worker: the arbiter keeps what it does well
(prefork, SIGHUP replaces the workers, SIGTERM stops them gracefully,
heartbeats), each worker serves with glance_members.server.http.

SIGTERM to the arbiter: workers keep accepting but answer new requests
503 (with Connection: close), finish what is in flight (up to
shutdown_timeout) and exit. SIGHUP: new workers start, the old ones stop
accepting, finish what they have (new requests on their open connections
are still served, with Connection: close) and exit.
"""

import asyncio
import multiprocessing
import os
import resource
import time

from gunicorn import arbiter
from gunicorn.workers import base

from glance_members.server import balance
from glance_members.server import http
from glance_members.server import limits as gm_limits

# Set in the arbiter before it forks: the workers inherit them.
LIMITS = {'limits': gm_limits.Limits()}
# Shared memory: 1 once the arbiter itself is stopping, so that a worker
# told to stop knows whether others will take over (reload) or not.
STOPPING = multiprocessing.RawValue('b', 0)
LOADS = balance.Loads()
TICK = 0.5


class Arbiter(arbiter.Arbiter):

    def stop(self, graceful=True):
        STOPPING.value = 1
        super().stop(graceful)


class Worker(base.Worker):

    def init_process(self):
        # A connection is a file descriptor: allow as many as we may.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        super().init_process()

    def run(self):
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        limits = LIMITS['limits']
        server = http.Server(self.wsgi, loop, limits, self.cfg.threads)
        server.slot = LOADS.claim()
        for listener in self.sockets:
            server.listen(listener.sock)
        try:
            loop.run_until_complete(self._serve(server, limits))
        finally:
            server.close_all()
            loop.close()

    async def _serve(self, server, limits):
        while self.alive:
            self.notify()
            if self.ppid != os.getppid():
                self.log.info('Parent changed, shutting down: %s', self)
                break
            server.tick()
            await asyncio.sleep(TICK)
        await self._drain(server, limits)

    async def _drain(self, server, limits):
        server.draining = True
        if server.slot is not None:
            # Others take new connections now, whatever we hold.
            server.slot.release()
            server.slot = None
        if STOPPING.value:
            # Nobody takes over: answer 503 rather than leave connections
            # to be reset in the listen queue.
            server.stopping = True
        else:
            server.stop_accepting()
        deadline = time.monotonic() + limits.shutdown_timeout
        while server.busy():
            if time.monotonic() > deadline:
                self.log.warning('%d requests still in flight after %ss: '
                                 'closing', server.in_flight,
                                 limits.shutdown_timeout)
                return
            self.notify()
            server.tick()
            await asyncio.sleep(0.1)
        if server.stopping:
            # The last worker to close the socket destroys it: connections
            # still queued would be reset. Answer them, then close.
            refused = server.refuse_queued()
        else:
            refused = []
        server.stop_accepting(close=True)
        # Let the clients read the 503s before the sockets go.
        if refused or server.lingerers:
            await asyncio.sleep(http.LINGER)
        for sock in refused:
            http.discard_and_close(sock)
