"""HTTP/1.1 on an asyncio loop (h11), the WSGI application on threads.

A connection costs a socket and a small object on the loop, never a thread:
the loop reads and parses request heads, buffers small bodies, and enforces
the limits (408 for a head not sent in time, 431 for a head too large, 503
beyond the connection cap, idle time-outs). A complete request then runs on
one of the worker's few pool threads. A request whose body streams (chunked,
or longer than buffered_body_size: image uploads) gets a thread of its own,
fed through a bounded buffer (the socket is not read while it is full), and
so does a response that streams (no Content-Length, or a large one: image
downloads), so that a slow upload or download never holds a pool thread.

Errors the server answers itself have WebOb's bodies, as the application's
(and Glance's) do.
"""

import asyncio
import collections
import concurrent.futures
import email.utils
import logging
import socket
import sys
import threading
import time
import urllib.parse

import h11
import webob
import webob.exc

LOG = logging.getLogger(__name__)

# Request-body bytes buffered before the socket stops being read, and
# response bytes queued before a streaming writer waits for the client.
HIGH_WATER = 1024 * 1024
LOW_WATER = 256 * 1024
# A response up to this size (by its Content-Length) is sent from the pool
# thread at once; a larger or unsized one streams from its own thread.
BUFFERED_RESPONSE = 1024 * 1024
# After refusing a request whose bytes may still be coming, keep reading
# (and discarding) this long before closing, so the client reads our answer
# instead of a reset.
LINGER = 2.0
# A worker holding more connections than another lets a new one wait for
# the others at most this long (balance.py), pausing its accepts this long.
SKIP_AT_MOST = 0.02
SKIP_PAUSE = 0.002
# While draining, a connection with no request in flight is closed once it
# has been quiet this long (its next request would race the close).
DRAIN_GRACE = 1.0
SERVER_PROTOCOLS = {b'1.0': 'HTTP/1.0', b'1.1': 'HTTP/1.1'}


def _canned(error_class, **kwargs):
    """Raw bytes of a WebOb error response that closes the connection."""
    response = webob.Request.blank('/').get_response(error_class(**kwargs))
    head = ['HTTP/1.1 %s' % response.status]
    head += ['%s: %s' % kv for kv in response.headerlist]
    head += ['Connection: close', '', '']
    return '\r\n'.join(head).encode('latin-1') + response.body


REQUEST_TIMEOUT = _canned(
    webob.exc.HTTPRequestTimeout,
    explanation='The request head was not received in time.')
HEADERS_TOO_LARGE = _canned(webob.exc.HTTPRequestHeaderFieldsTooLarge)
BAD_REQUEST = _canned(webob.exc.HTTPBadRequest,
                      explanation='Malformed HTTP request.')
SERVICE_UNAVAILABLE = _canned(
    webob.exc.HTTPServiceUnavailable,
    explanation='The server is at its connection limit or shutting down; '
                'retry later.')
INTERNAL_ERROR = webob.Request.blank('/').get_response(
    webob.exc.HTTPInternalServerError())


class Body:
    """wsgi.input: bytes fed by the loop, read by the application's thread.

    read() raises OSError if the client goes away or stalls before the end
    of the body (never a short read that looks like the end)."""

    def __init__(self, connection):
        self._connection = connection
        self._chunks = collections.deque()
        self._size = 0
        self._done = False
        self._error = None
        self._cond = threading.Condition()
        self.paused = False

    # the loop's side
    def feed(self, data):
        with self._cond:
            self._chunks.append(data)
            self._size += len(data)
            self._cond.notify()
            if self._size > HIGH_WATER and not self.paused:
                self.paused = True
                self._connection.pause_body()

    def end(self):
        with self._cond:
            self._done = True
            self._cond.notify()

    def fail(self, error):
        with self._cond:
            if not self._done:
                self._error = error
            self._cond.notify()

    @property
    def complete(self):
        return self._done

    # the application's side
    def _wait(self):
        while not self._chunks and not self._done and self._error is None:
            self._cond.wait()
        if not self._chunks and self._error is not None:
            raise self._error

    def _take(self, size):
        data = self._chunks.popleft()
        if 0 <= size < len(data):
            self._chunks.appendleft(data[size:])
            data = data[:size]
        self._size -= len(data)
        if self.paused and self._size < LOW_WATER:
            self.paused = False
            self._connection.resume_body()
        return data

    def read(self, size=-1):
        if size is None:
            size = -1
        with self._cond:
            if size < 0:
                # Taken as it comes, so the socket is read on meanwhile.
                parts = []
                while True:
                    self._wait()
                    if not self._chunks:
                        return b''.join(parts)
                    while self._chunks:
                        parts.append(self._take(-1))
            if size == 0:
                return b''
            self._wait()
            return self._take(size) if self._chunks else b''

    def readline(self, size=-1):
        parts, total = [], 0
        while size < 0 or total < size:
            with self._cond:
                self._wait()
                if not self._chunks:
                    break
                head = self._chunks[0]
                end = head.find(b'\n')
                want = len(head) if end < 0 else end + 1
                if size >= 0:
                    want = min(want, size - total)
                data = self._take(want)
            parts.append(data)
            total += len(data)
            if data.endswith(b'\n'):
                break
        return b''.join(parts)

    def readlines(self, hint=-1):
        return list(iter(self.readline, b''))

    def __iter__(self):
        return iter(self.readline, b'')


class Exchange:
    """One request and its response, between the loop and a thread."""

    def __init__(self, environ, body, streaming):
        self.environ = environ
        self.body = body
        self.streaming = streaming
        self.head = environ['REQUEST_METHOD'] == 'HEAD'
        self.status = None
        self.headers = None
        self.headers_sent = False
        self.aborted = False
        self.dispatched = False
        self.close = False


class Connection(asyncio.Protocol):
    """One client connection; every method runs on the loop."""

    def __init__(self, server):
        self.server = server
        self.h11 = h11.Connection(
            h11.SERVER,
            max_incomplete_event_size=server.limits.max_header_size)
        self.transport = None
        self.peer = ('', 0)
        self.exchange = None
        self.lingering = False
        self.closed = False
        self.eof = False
        self.since = time.monotonic()     # start of the current wait
        self.received = False             # bytes of a request not yet parsed
        self.served = 0
        self.body_deadline = None
        # streaming responses: bytes queued for the loop, and the write side
        self.flow = threading.Condition()
        self.pending = 0
        self.write_paused = False

    # --- asyncio callbacks ---
    def connection_made(self, transport):
        self.transport = transport
        peer = transport.get_extra_info('peername')
        if isinstance(peer, tuple):
            self.peer = peer[:2]
        self.server.connections.add(self)

    def data_received(self, data):
        if self.lingering:
            return
        if self.exchange is None and not self.received:
            self.received = True
            self.since = time.monotonic()
        self.h11.receive_data(data)
        self._process()

    def eof_received(self):
        self.eof = True
        if not self.lingering:
            self.h11.receive_data(b'')
            self._process()
        # Half-closed after a whole request: still send the response.
        return self.exchange is not None

    def connection_lost(self, exc):
        self.closed = True
        self.server.connections.discard(self)
        self.server.publish()
        exchange, self.exchange = self.exchange, None
        if exchange is not None:
            exchange.aborted = True
            exchange.body.fail(ConnectionResetError('client disconnected'))
            if not exchange.dispatched:
                self.server.finished(exchange)
        with self.flow:
            self.flow.notify_all()

    def pause_writing(self):
        with self.flow:
            self.write_paused = True

    def resume_writing(self):
        with self.flow:
            self.write_paused = False
            self.flow.notify_all()

    # --- parsing ---
    def _process(self):
        while not self.closed and not self.lingering:
            try:
                event = self.h11.next_event()
            except h11.RemoteProtocolError as e:
                self._protocol_error(e)
                return
            if event is h11.NEED_DATA:
                return
            if event is h11.PAUSED:
                # The next request waits until this response is sent.
                self.transport.pause_reading()
                return
            if isinstance(event, h11.Request):
                self._start(event)
            elif isinstance(event, h11.Data):
                if self.exchange is not None:
                    if self.body_deadline is not None:
                        self.body_deadline = (
                            time.monotonic() +
                            self.server.limits.body_idle_timeout)
                    self.exchange.body.feed(event.data)
            elif isinstance(event, h11.EndOfMessage):
                if self.exchange is not None:
                    self.body_deadline = None
                    self.exchange.body.end()
                    if not self.exchange.dispatched:
                        self.server.dispatch(self, self.exchange)
            elif isinstance(event, h11.ConnectionClosed):
                if self.exchange is None:
                    self.transport.close()
                return

    def _protocol_error(self, error):
        exchange = self.exchange
        if exchange is not None and exchange.dispatched:
            # A broken chunked body: the application sees a failed read.
            exchange.body.fail(OSError('malformed request body'))
            exchange.close = True
            self.transport.pause_reading()
            return
        if exchange is not None:
            self.exchange = None
            self.server.finished(exchange)
        if self.eof:
            self.transport.close()   # gone in the middle of a head
            return
        status = getattr(error, 'error_status_hint', 400)
        LOG.info('%s:%s: %s: answered %d', self.peer[0], self.peer[1],
                 error, status)
        self.refuse(HEADERS_TOO_LARGE if status == 431 else BAD_REQUEST)

    def _start(self, event):
        server = self.server
        self.received = False
        # h11 bounds a head that arrives in pieces; this, one read at once.
        size = len(event.method) + len(event.target) + 12 + sum(
            len(name) + len(value) + 4 for name, value in event.headers)
        if size > server.limits.max_header_size:
            LOG.info('%s:%s: request head of %d bytes: answered 431',
                     self.peer[0], self.peer[1], size)
            self.refuse(HEADERS_TOO_LARGE)
            return
        environ = server.environ(event, self.peer)
        chunked = 'HTTP_TRANSFER_ENCODING' in environ
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = 0   # h11 refused a bad Content-Length already
        has_body = chunked or length > 0
        streaming = chunked or length > server.limits.buffered_body_size
        if server.stopping or (
                streaming and server.streams >= server.limits.
                max_streaming_requests):
            LOG.info('%s %s: answered 503 (%s)', environ['REQUEST_METHOD'],
                     environ['PATH_INFO'], 'shutting down' if server.stopping
                     else '%d streaming requests' % server.streams)
            self.refuse(SERVICE_UNAVAILABLE, linger=has_body)
            return
        body = Body(self)
        environ['wsgi.input'] = body
        self.exchange = Exchange(environ, body, streaming)
        server.started(self.exchange)
        if self.h11.they_are_waiting_for_100_continue:
            self.transport.write(self.h11.send(h11.InformationalResponse(
                status_code=100, headers=[], reason=b'Continue')))
        if has_body:
            self.body_deadline = (time.monotonic() +
                                  server.limits.body_idle_timeout)
        if streaming:
            server.dispatch(self, self.exchange)

    # --- the body's flow control ---
    def pause_body(self):
        # On the loop (Body.feed): the reader is behind, stop reading.
        self.transport.pause_reading()
        self.body_deadline = None

    def resume_body(self):
        self.server.loop.call_soon_threadsafe(self._resume_body)

    def _resume_body(self):
        if self.closed or self.lingering:
            return
        if self.exchange is not None and not self.exchange.body.complete:
            self.body_deadline = (time.monotonic() +
                                  self.server.limits.body_idle_timeout)
        self.transport.resume_reading()

    # --- responses (on the loop) ---
    def send(self, exchange, chunks, end, size=0):
        """Write part of a response that a thread produced."""
        if size:
            with self.flow:
                self.pending -= size
                self.flow.notify_all()
        if exchange.aborted or self.closed or exchange is not self.exchange:
            return
        try:
            out = []
            if not exchange.headers_sent:
                exchange.headers_sent = True
                out.append(self.h11.send(self._response(exchange)))
            for chunk in chunks:
                if chunk and not exchange.head:
                    out.append(self.h11.send(h11.Data(data=chunk)))
            if end:
                out.append(self.h11.send(h11.EndOfMessage()))
        except h11.LocalProtocolError as e:
            LOG.error('%s %s: response refused by HTTP/1.1 framing: %s',
                      exchange.environ['REQUEST_METHOD'],
                      exchange.environ['PATH_INFO'], e)
            self.abort()
            return
        self.transport.write(b''.join(out))
        if end:
            self._finish(exchange)

    def _response(self, exchange):
        code = int(exchange.status[:3])
        headers = [(n.encode('latin-1'), v.encode('latin-1'))
                   for n, v in exchange.headers]
        if not any(n.lower() == b'date' for n, _ in headers):
            headers.append((b'Date', self.server.date))
        if self.server.draining or exchange.close or not \
                exchange.body.complete:
            headers.append((b'Connection', b'close'))
        return h11.Response(status_code=code, headers=headers,
                            reason=exchange.status[4:].encode('latin-1'))

    def _finish(self, exchange):
        self.exchange = None
        self.served += 1
        self.since = time.monotonic()
        self.body_deadline = None
        if self.h11.our_state is h11.DONE and \
                self.h11.their_state is h11.DONE:
            self.h11.start_next_cycle()
            self.transport.resume_reading()
            self._process()
        elif self.h11.their_state in (h11.SEND_BODY, h11.IDLE,
                                      h11.SEND_RESPONSE):
            # The body was not read to its end (a refused upload).
            self.linger()
        else:
            self.transport.close()

    def refuse(self, response, linger=True):
        """Answer with a canned error and close (reading and discarding
        what the client still sends, for a while, if it may send more)."""
        if self.exchange is not None or self.closed:
            return
        self.transport.write(response)
        if linger:
            self.linger()
        else:
            self.transport.close()

    def linger(self):
        self.lingering = True
        self.server.lingering(self)
        try:
            if self.transport.can_write_eof():
                self.transport.write_eof()
        except OSError:
            pass
        self.transport.resume_reading()
        self.server.loop.call_later(LINGER, self.transport.close)

    def abort(self):
        if not self.closed:
            self.transport.abort()

    # --- timers (the server's sweep, once a second) --------------------------
    def check(self, now, limits):
        if self.lingering or self.closed:
            return
        exchange = self.exchange
        if exchange is None:
            if self.received or not self.served:
                if now - self.since > limits.request_head_timeout:
                    LOG.info('%s:%s: request head not received in %ss: '
                             'answered 408', self.peer[0], self.peer[1],
                             limits.request_head_timeout)
                    self.refuse(REQUEST_TIMEOUT)
            elif now - self.since > limits.keepalive_timeout:
                self.transport.close()
        elif self.body_deadline is not None and now > self.body_deadline:
            self.body_deadline = None
            error = TimeoutError('no request body data for %ss'
                                 % limits.body_idle_timeout)
            if exchange.dispatched:
                exchange.close = True
                exchange.body.fail(error)
            else:
                LOG.info('%s %s: %s: answered 408',
                         exchange.environ['REQUEST_METHOD'],
                         exchange.environ['PATH_INFO'], error)
                self.exchange = None
                self.server.finished(exchange)
                self.transport.write(REQUEST_TIMEOUT)
                self.linger()

    def drain(self, now):
        """While the worker stops: close this connection once no request is
        in flight on it and it has been quiet a moment."""
        if self.exchange is None and not self.lingering and \
                now - self.since >= DRAIN_GRACE:
            if self.received:
                self.refuse(SERVICE_UNAVAILABLE)
            else:
                self.transport.close()


class Server:
    """The loop's side of one worker: listening sockets, connections, the
    thread pool, the limits."""

    def __init__(self, app, loop, limits, threads):
        self.app = app
        self.loop = loop
        self.limits = limits
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=threads, thread_name_prefix='wsgi')
        self.connections = set()
        self.lingerers = set()
        self.in_flight = 0
        self.streams = 0
        self.accepting = 0        # accepted, protocol not yet made
        self.slot = None          # balance.Slot: our load, shared
        self._skip_until = None
        self.stopping = False     # refuse new requests with 503
        self.draining = False     # close connections after their response
        self.listeners = []
        self.date = b''
        self.tick()

    # --- accepting ---
    def listen(self, sock):
        sock.setblocking(False)
        self.listeners.append(sock)
        self.loop.add_reader(sock.fileno(), self._accept, sock)
        name = sock.getsockname()
        self.base_environ = {
            'SCRIPT_NAME': '', 'SERVER_NAME': str(name[0]),
            'SERVER_PORT': str(name[1]) if len(name) > 1 else '',
            'wsgi.version': (1, 0), 'wsgi.url_scheme': 'http',
            'wsgi.errors': sys.stderr, 'wsgi.multithread': True,
            'wsgi.multiprocess': True, 'wsgi.run_once': False,
            'wsgi.input_terminated': True}

    def stop_accepting(self, close=False):
        for sock in self.listeners:
            self.loop.remove_reader(sock.fileno())
            if close:
                sock.close()
        self.listeners = []

    def refuse_queued(self):
        """Accept what waits in the listen queue and answer it 503 (the
        sockets, half-closed, are the caller's to close)."""
        refused = []
        for listener in self.listeners:
            while True:
                try:
                    sock, _ = listener.accept()
                except OSError:
                    break
                try:
                    sock.setblocking(False)
                    sock.send(SERVICE_UNAVAILABLE)
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                refused.append(sock)
        return refused

    def _accept(self, listener):
        # One connection per wake-up, and none while another worker holds
        # fewer (for a moment: it may be too busy to take it).
        if self.slot is not None:
            least = self.slot.least_other()
            if least is not None and len(self.connections) + \
                    self.accepting > least:
                now = self.loop.time()
                if self._skip_until is None:
                    self._skip_until = now + SKIP_AT_MOST
                if now < self._skip_until:
                    self.loop.remove_reader(listener.fileno())
                    self.loop.call_later(SKIP_PAUSE, self._resume_accept,
                                         listener)
                    return
            self._skip_until = None
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError as e:
            LOG.error('accept: %s', e)
            return
        sock.setblocking(False)
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if len(self.connections) >= self.limits.max_connections:
            LOG.warning('%d connections: answered 503',
                        len(self.connections))
            factory = _Refused
        else:
            def factory():
                return Connection(self)
        self.accepting += 1
        self.publish()
        self.loop.create_task(self._connect(factory, sock))

    def _resume_accept(self, listener):
        if listener in self.listeners:
            self.loop.add_reader(listener.fileno(), self._accept, listener)

    def publish(self):
        if self.slot is not None:
            self.slot.publish(len(self.connections) + self.accepting)

    async def _connect(self, factory, sock):
        try:
            await self.loop.connect_accepted_socket(factory, sock)
        except OSError as e:
            LOG.info('connection: %s', e)
        finally:
            self.accepting -= 1
            self.publish()

    def busy(self):
        return bool(self.in_flight or self.connections or self.accepting)

    def lingering(self, connection):
        self.connections.discard(connection)
        self.publish()
        self.lingerers.add(connection)
        self.loop.call_later(LINGER + 0.1, self.lingerers.discard,
                             connection)

    # --- requests ---
    def environ(self, event, peer):
        target = event.target
        if not target.startswith(b'/') and b'://' in target:
            # absolute-form (RFC 9112 3.2.2): keep the path and query
            target = b'/' + target.split(b'://', 1)[1].partition(b'/')[2]
        path, _, query = target.partition(b'?')
        environ = dict(self.base_environ)
        environ['REQUEST_METHOD'] = event.method.decode('latin-1')
        environ['PATH_INFO'] = urllib.parse.unquote_to_bytes(path).decode(
            'latin-1')
        environ['QUERY_STRING'] = query.decode('latin-1')
        environ['RAW_URI'] = environ['REQUEST_URI'] = \
            event.target.decode('latin-1')
        environ['SERVER_PROTOCOL'] = SERVER_PROTOCOLS.get(
            event.http_version, 'HTTP/1.1')
        environ['REMOTE_ADDR'] = str(peer[0])
        environ['REMOTE_PORT'] = str(peer[1])
        for name, value in event.headers:
            name = name.decode('latin-1')
            if '_' in name:
                continue   # as gunicorn: X_Auth_Token must not pass for
                # X-Auth-Token behind a proxy that checks only the latter
            value = value.decode('latin-1')
            if name == 'content-type':
                key = 'CONTENT_TYPE'
            elif name == 'content-length':
                key = 'CONTENT_LENGTH'
            else:
                key = 'HTTP_' + name.upper().replace('-', '_')
            if key in environ and key.startswith('HTTP_'):
                environ[key] += ',' + value
            else:
                environ[key] = value
        return environ

    def started(self, exchange):
        self.in_flight += 1

    def finished(self, exchange):
        self.in_flight -= 1
        if exchange.streaming:
            self.streams -= 1

    def dispatch(self, connection, exchange):
        exchange.dispatched = True
        if exchange.streaming:
            self.streams += 1
            threading.Thread(target=self._run, args=(connection, exchange),
                             name='wsgi-stream', daemon=True).start()
        else:
            self.pool.submit(self._run, connection, exchange)

    def _post(self, connection, exchange, chunks, end, size=0):
        self.loop.call_soon_threadsafe(connection.send, exchange, chunks,
                                       end, size)

    def _done(self, exchange):
        self.loop.call_soon_threadsafe(self.finished, exchange)

    def _run(self, connection, exchange):
        """On a thread: call the application, send what it answers."""
        def start_response(status, headers, exc_info=None):
            if exc_info is not None and exchange.headers_sent:
                raise exc_info[1].with_traceback(exc_info[2])
            exchange.status, exchange.headers = status, headers
            return lambda data: self._post(connection, exchange, [data],
                                           False)

        handed_off = False
        try:
            try:
                result = self.app(exchange.environ, start_response)
            except Exception:
                LOG.exception('%s %s: the application failed',
                              exchange.environ['REQUEST_METHOD'],
                              exchange.environ['PATH_INFO'])
                exchange.status = INTERNAL_ERROR.status
                exchange.headers = INTERNAL_ERROR.headerlist
                exchange.close = True
                result = [INTERNAL_ERROR.body]
            length = next((v for n, v in exchange.headers or ()
                           if n.lower() == 'content-length'), None)
            if length is not None and length.isdigit() and \
                    int(length) <= BUFFERED_RESPONSE:
                self._send_buffered(connection, exchange, result)
            elif exchange.streaming or \
                    threading.current_thread().name == 'wsgi-stream':
                self._send_streamed(connection, exchange, result)
            else:
                # A download: off the pool, onto a thread of its own.
                handed_off = True
                threading.Thread(
                    target=self._stream_rest,
                    args=(connection, exchange, result),
                    name='wsgi-stream', daemon=True).start()
        finally:
            if not handed_off:
                self._done(exchange)

    def _stream_rest(self, connection, exchange, result):
        try:
            self._send_streamed(connection, exchange, result)
        finally:
            self._done(exchange)

    def _send_buffered(self, connection, exchange, result):
        try:
            chunks = [chunk for chunk in result if chunk]
        except Exception:
            LOG.exception('%s %s: the response failed',
                          exchange.environ['REQUEST_METHOD'],
                          exchange.environ['PATH_INFO'])
            self.loop.call_soon_threadsafe(connection.abort)
            return
        finally:
            _close(result)
        self._post(connection, exchange, chunks, True)

    def _send_streamed(self, connection, exchange, result):
        wait = self.limits.body_idle_timeout
        try:
            for chunk in result:
                if not chunk:
                    continue
                with connection.flow:
                    while not exchange.aborted and not connection.closed \
                            and (connection.pending > HIGH_WATER or
                                 connection.write_paused):
                        if not connection.flow.wait(wait):
                            LOG.info('%s %s: the client read nothing for '
                                     '%ss: closed',
                                     exchange.environ['REQUEST_METHOD'],
                                     exchange.environ['PATH_INFO'], wait)
                            exchange.aborted = True
                            self.loop.call_soon_threadsafe(connection.abort)
                    if exchange.aborted or connection.closed:
                        return
                    connection.pending += len(chunk)
                self._post(connection, exchange, [chunk], False, len(chunk))
            self._post(connection, exchange, [], True)
        except Exception:
            LOG.exception('%s %s: the response failed',
                          exchange.environ['REQUEST_METHOD'],
                          exchange.environ['PATH_INFO'])
            self.loop.call_soon_threadsafe(connection.abort)
        finally:
            _close(result)

    # --- housekeeping ---
    def tick(self):
        """Once a second: the Date header, and every connection's timers."""
        self.date = email.utils.formatdate(usegmt=True).encode('ascii')
        now = time.monotonic()
        for connection in list(self.connections):
            if self.draining:
                connection.drain(now)
            else:
                connection.check(now, self.limits)

    def close_all(self):
        for connection in list(self.connections) + list(self.lingerers):
            connection.abort()
        self.pool.shutdown(wait=False)


class _Refused(asyncio.Protocol):
    """A connection beyond the cap: a 503, then close."""

    def connection_made(self, transport):
        transport.write(SERVICE_UNAVAILABLE)
        try:
            transport.write_eof()
        except OSError:
            pass
        self.transport = transport
        self.timer = asyncio.get_running_loop().call_later(
            LINGER, transport.close)

    def data_received(self, data):
        pass

    def connection_lost(self, exc):
        self.timer.cancel()


def discard_and_close(sock):
    """Close a refused socket, reading first what the client sent (unread
    bytes at close make the kernel send a reset)."""
    try:
        while sock.recv(65536):
            pass
    except OSError:
        pass
    sock.close()


def _close(result):
    close = getattr(result, 'close', None)
    if close is not None:
        try:
            close()
        except Exception:
            LOG.exception('closing a response iterable')
