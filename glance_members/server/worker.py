"""uvicorn's gunicorn worker, configured from the [server] options.

uvicorn owns the connections (httptools' llhttp parses), a2wsgi runs the
application on threads (bridge.py). Three things uvicorn leaves open are
closed by a subclass of its protocol, without parsing anything itself:

* a request head must arrive whole within request_head_timeout of its
  first byte (or of the connection): else 408 and close, so a client that
  never finishes a head holds a socket, not a slot, and not for long;
* a head larger than max_header_size is answered 431 and closed (llhttp
  would buffer it whole);
* on a graceful stop (SIGTERM, or SIGHUP replacing the workers) an idle
  keep-alive connection is not cut under a request the client may be
  sending: a request arriving within DRAIN_IDLE_GRACE is served with
  `Connection: close`, and the connection is closed after it.

And when the whole service stops (SIGTERM to the master, not a reload), a
connection the kernel completed but no worker accepted yet would be reset
when the last worker closes the listening socket: first a socket filter
drops new connection attempts (their SYN is retried, then refused once the
socket is gone), the workers accept what is queued, and only then close.
"""

import asyncio
import ctypes
import multiprocessing
import resource
import socket
import sys

from gunicorn import arbiter
import uvicorn
from uvicorn.protocols.http import httptools_impl
import uvicorn_worker

from glance_members.server import bridge
from glance_members.server import limits as gm_limits

# Set in the arbiter before it forks (and again on SIGHUP): the workers
# inherit them.
LIMITS = {'limits': gm_limits.Limits()}
# Shared memory: 1 once the master itself is stopping (not reloading), so
# that a worker told to stop knows no other worker takes over its socket.
STOPPING = multiprocessing.RawValue('b', 0)
# How long the workers go on accepting the connections already queued.
QUEUE_DRAIN = 0.2
# This worker is stopping: a connection made from now on drains at once
# (uvicorn asks only the connections it had when it began to stop).
SHUTTING_DOWN = {'now': False}
DRAIN_IDLE_GRACE = 1.0
HEAD_TIMEOUT = b'The request head was not sent in time.'
HEAD_TOO_LARGE = b'The request head is too large.'


class HeadTooLarge(Exception):
    pass


class Protocol(httptools_impl.HttpToolsProtocol):

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.head_bytes = 0
        self.head_size = 0
        self.heads_completed = 0
        self.in_head = True
        self.head_timer = None
        self.draining = False

    def connection_made(self, transport):
        super().connection_made(transport)
        self._start_head_timer()
        if SHUTTING_DOWN['now']:
            self.shutdown()

    def connection_lost(self, exc):
        self._cancel_head_timer()
        super().connection_lost(exc)

    def data_received(self, data):
        if self.in_head and self.head_timer is None:
            self._start_head_timer()
        waiting, heads = self.in_head, self.heads_completed
        super().data_received(data)
        if waiting and self.in_head and heads == self.heads_completed:
            # All of `data` was head (llhttp keeps an unfinished one).
            self.head_bytes += len(data)
            if (self.head_bytes > LIMITS['limits'].max_header_size
                    and not self.transport.is_closing()):
                self._refuse(431, HEAD_TOO_LARGE)

    def on_message_begin(self):
        super().on_message_begin()
        self.head_size = 0

    def on_url(self, url):
        super().on_url(url)
        self.head_size += len(url)

    def on_header(self, name, value):
        if not self.in_head:
            # A chunked body's trailer field is not a header (RFC 9110
            # 6.5.1); llhttp reports it the same way, into the list the
            # request's scope already holds.
            return
        super().on_header(name, value)
        self.head_size += len(name) + len(value) + 4

    def on_headers_complete(self):
        self.in_head = False
        self.heads_completed += 1
        if self.head_size > LIMITS['limits'].max_header_size:
            # A head that arrived whole in one read: refuse it, and stop
            # the parser (uvicorn catches its error and answers nothing
            # more on a closing connection).
            self._refuse(431, HEAD_TOO_LARGE)
            raise HeadTooLarge()
        self._cancel_head_timer()
        super().on_headers_complete()
        if self.draining and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_message_complete(self):
        super().on_message_complete()
        self.in_head, self.head_bytes = True, 0

    def send_400_response(self, msg):
        if not self.transport.is_closing():
            super().send_400_response(msg)

    def shutdown(self):
        self.draining = True
        cycle = self.cycle
        if cycle is None or cycle.response_complete:
            # Idle, as far as we know: the client may be sending a request
            # right now. Serve it (with Connection: close) if it comes soon.
            self.loop.call_later(DRAIN_IDLE_GRACE, self._close_if_idle)
        elif not cycle.response_started:
            # Its answer will say Connection: close.
            cycle.keep_alive = False
        # Else its answer went out saying keep-alive: closing after it
        # would cut the client's next request; on_response_complete
        # treats the connection as idle then.

    def on_response_complete(self):
        super().on_response_complete()
        if self.pipeline and not self.transport.is_closing():
            # uvicorn resumes reading after every answer, and parses every
            # request a read brings into a queued cycle: a client that
            # pipelines without reading grew the worker ~2.5 KiB a request
            # without bound. Read more once the queue is served.
            self.flow.pause_reading()
        if self.draining and not self.transport.is_closing():
            self.loop.call_later(DRAIN_IDLE_GRACE, self._close_if_idle)

    def _close_if_idle(self):
        idle = self.cycle is None or self.cycle.response_complete
        if idle and not self.head_bytes and not self.transport.is_closing():
            self.transport.close()

    def _start_head_timer(self):
        self._cancel_head_timer()
        self.head_timer = self.loop.call_later(
            LIMITS['limits'].request_head_timeout, self._head_timed_out)

    def _cancel_head_timer(self):
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self):
        self.head_timer = None
        if self.in_head and not self.transport.is_closing():
            self._refuse(408, HEAD_TIMEOUT)

    def _refuse(self, status, text):
        """The answer uvicorn gives a request it cannot parse (its
        send_400_response), with our status."""
        self._cancel_head_timer()
        self.in_head = False
        self.transport.write(b''.join((
            httptools_impl.STATUS_LINE[status],
            b'content-type: text/plain; charset=utf-8\r\n'
            b'content-length: %d\r\nconnection: close\r\n\r\n' % len(text),
            text)))
        self.transport.close()


class _SockFilter(ctypes.Structure):
    _fields_ = [('code', ctypes.c_uint16), ('jt', ctypes.c_uint8),
                ('jf', ctypes.c_uint8), ('k', ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [('len', ctypes.c_ushort),
                ('filter', ctypes.POINTER(_SockFilter))]


SO_ATTACH_FILTER = getattr(socket, 'SO_ATTACH_FILTER', 26)


def refuse_new_connections(sock):
    """A classic BPF program `ret #0` on the listening socket: every new
    connection attempt is dropped, the queued ones can still be accepted."""
    drop = (_SockFilter * 1)(_SockFilter(0x06, 0, 0, 0))  # BPF_RET|BPF_K
    program = _SockFprog(1, ctypes.cast(drop, ctypes.POINTER(_SockFilter)))
    sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, bytes(program))


class Server(uvicorn.Server):

    async def shutdown(self, sockets=None):
        SHUTTING_DOWN['now'] = True
        if STOPPING.value:
            for sock in sockets or ():
                try:
                    refuse_new_connections(sock)
                except OSError:
                    break   # not Linux: close as uvicorn does
            else:
                await asyncio.sleep(QUEUE_DRAIN)
        await super().shutdown(sockets)


class Worker(uvicorn_worker.UvicornWorker):

    def __init__(self, *args, **kwargs):
        limits = LIMITS['limits']
        self.CONFIG_KWARGS = {
            'loop': 'asyncio', 'http': Protocol, 'interface': 'asgi3',
            'lifespan': 'off', 'access_log': False, 'server_header': False,
            # oslo_middleware's HTTPProxyToWSGI reads X-Forwarded-*, and only
            # where [oslo_middleware] enable_proxy_headers_parsing says so.
            'proxy_headers': False,
            'timeout_keep_alive': limits.keepalive_timeout,
            'limit_concurrency': limits.max_connections,
            'timeout_graceful_shutdown': limits.shutdown_timeout,
        }
        super().__init__(*args, **kwargs)

    def init_process(self):
        # A connection is a file descriptor: allow as many as we may.
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft != hard:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        super().init_process()

    async def _serve(self):
        # uvicorn_worker's, with our Server.
        self.config.app = self.wsgi
        server = Server(config=self.config)
        self._install_sigquit_handler()
        await server.serve(sockets=self.sockets)
        if not server.started:
            sys.exit(arbiter.Arbiter.WORKER_BOOT_ERROR)

    def load_wsgi(self):
        super().load_wsgi()
        self.wsgi = bridge.Bridge(self.wsgi, LIMITS['limits'],
                                  self.cfg.threads)
