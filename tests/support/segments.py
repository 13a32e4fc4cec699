"""HTTP/1.1 requests built by hand and written to a raw socket whole, in a
few pieces, or a byte at a time; the answer read back.

The client sets TCP_NODELAY, so each piece leaves as its own segment (no
Nagle coalescing), and pauses between pieces, so the server sees each one
in a read of its own. Pieces fall anywhere: inside the request line, a
header, the blank line, a chunk-size line or the body.

After each answer a second request (GET /healthcheck) goes on the same
connection, unless the server closed it: a server that read too little or
too much of the body answers it wrongly or not at all.
"""

import dataclasses
import random
import re
import socket
import time

HOST = '127.0.0.1'
FOLLOW_UP_PATH = '/healthcheck'
READ_TIMEOUT = 30.0
MAX_RESPONSE = 4 * 1024 * 1024


@dataclasses.dataclass
class Request:
    """A request as bytes on the wire, and where its head ends."""
    raw: bytes
    head_length: int
    chunked: bool = False

    @property
    def body_length(self):
        return len(self.raw) - self.head_length


def build(method, path, headers=(), body=b'', chunked=False, rng=None,
          port=None, trailers=()):
    """The request's bytes: `headers` as given, Host, and the body framed
    by Content-Length, or chunked (random chunk sizes from `rng`) with
    Transfer-Encoding: chunked and `trailers` ([(name, value)]) after the
    last chunk."""
    if isinstance(body, str):
        body = body.encode('utf-8')
    lines = ['%s %s HTTP/1.1' % (method, path),
             'Host: %s:%s' % (HOST, port or 80)]
    lines.extend('%s: %s' % (name, value) for name, value in headers)
    if chunked:
        lines.append('Transfer-Encoding: chunked')
        framed = chunk(body, rng or random.Random(0), trailers=trailers)
    else:
        lines.append('Content-Length: %d' % len(body))
        framed = body
    head = ('\r\n'.join(lines) + '\r\n\r\n').encode('latin-1')
    return Request(head + framed, len(head), chunked)


def chunk(body, rng, most=6, trailers=()):
    """`body` as 1 to `most` chunks of random sizes, hex sizes (one of
    them with an extension), then the last chunk and its trailer
    section."""
    cuts = sorted(rng.sample(range(1, len(body)), min(most, len(body)) - 1)) \
        if len(body) > 1 else []
    out = []
    for start, end in zip([0] + cuts, cuts + [len(body)]):
        size = '%x' % (end - start)
        if start == 0 and cuts:
            size += ';piece=first'
        out.append(size.encode() + b'\r\n' + body[start:end] + b'\r\n')
    out.append(b'0\r\n' + b''.join(
        ('%s: %s\r\n' % field).encode('latin-1') for field in trailers)
        + b'\r\n')
    return b''.join(out)


# --- deliveries: a request as [(bytes, pause after)] -----------------------

def whole(request, rng=None):
    return [(request.raw, 0.0)]


def in_pieces(request, rng, least=2, most=6, pause=(0.005, 0.030)):
    """2 to 6 pieces at random offsets, one of them inside the head (so the
    request line or a header is split too), 5-30 ms apart."""
    raw = request.raw
    count = rng.randint(least, most)
    cuts = {rng.randint(1, request.head_length - 1)}
    while len(cuts) < count - 1:
        cuts.add(rng.randint(1, len(raw) - 1))
    cuts = sorted(cuts)
    return [(raw[start:end], rng.uniform(*pause))
            for start, end in zip([0] + cuts, cuts + [len(raw)])]


def byte_at_a_time(request, rng=None, pause=0.0005, ends=None):
    """Every byte its own write, `pause` apart; with `ends`, only the head
    and the first and last `ends` bytes of the body (where its framing
    starts and ends), the middle in 1448-byte writes."""
    raw = request.raw
    if ends is None or request.body_length <= 2 * ends:
        return [(raw[i:i + 1], pause) for i in range(len(raw))]
    first, last = request.head_length + ends, len(raw) - ends
    return ([(raw[i:i + 1], pause) for i in range(first)]
            + [(raw[i:min(i + 1448, last)], pause)
               for i in range(first, last, 1448)]
            + [(raw[i:i + 1], pause) for i in range(last, len(raw))])


def in_segments(request, rng=None, size=1448, pause=0.001):
    """Writes of one TCP segment's payload (1448 bytes: a 1500-byte MTU
    with timestamps), `pause` apart: a large body as a network delivers
    it, in many reads."""
    raw = request.raw
    return [(raw[i:i + size], pause) for i in range(0, len(raw), size)]


def offsets(pieces):
    """Where the pieces start (for failure messages)."""
    out, at = [], 0
    for data, _ in pieces:
        out.append(at)
        at += len(data)
    return out


# --- the exchange ----------------------------------------------------------

@dataclasses.dataclass
class Response:
    status: int
    reason: str
    headers: list   # [(lower-case name, value)]
    body: bytes
    # The follow-up request's status on the same connection: None when the
    # server closed the connection after the answer.
    follow_up: object = None

    def header(self, name, default=None):
        name = name.lower()
        for key, value in self.headers:
            if key == name:
                return value
        return default

    def closes(self):
        return 'close' in (self.header('connection') or '').lower()


class ConnectionBroke(AssertionError):
    """The server answered nothing parsable (closed, or stalled)."""


def exchange(port, pieces, follow_up=True, timeout=READ_TIMEOUT):
    """Write `pieces` (pausing after each) to a fresh connection and read
    the answer; then, on the same connection, GET /healthcheck."""
    sock = socket.create_connection((HOST, port), timeout=timeout)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = _Reader(sock, time.monotonic() + timeout)
        for index, (data, pause) in enumerate(pieces):
            try:
                sock.sendall(data)
            except (BrokenPipeError, ConnectionResetError):
                break   # answered early (and closed): read what it said
            if pause and index < len(pieces) - 1:
                time.sleep(pause)
        response = reader.response()
        if follow_up and not response.closes():
            sock.sendall(b'GET %s HTTP/1.1\r\nHost: %s:%d\r\n'
                         b'Connection: close\r\n\r\n'
                         % (FOLLOW_UP_PATH.encode(), HOST.encode(), port))
            response.follow_up = reader.response().status
        return response
    finally:
        sock.close()


class _Reader:
    """Responses off a socket: head, then a body framed by Content-Length,
    chunked or (no framing) the connection's end. Bounded in time and
    size."""

    def __init__(self, sock, deadline):
        self.sock = sock
        self.deadline = deadline
        self.buffer = b''
        self.eof = False

    def _more(self):
        if self.eof:
            raise ConnectionBroke('connection closed; got %r' % self.buffer)
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or len(self.buffer) > MAX_RESPONSE:
            raise ConnectionBroke('no complete answer; got %r'
                                  % self.buffer[:2000])
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise ConnectionBroke('no complete answer in time; got %r'
                                  % self.buffer[:2000])
        except ConnectionResetError:
            data = b''
        if not data:
            self.eof = True
        self.buffer += data
        return bool(data)

    def _take_until(self, marker):
        while marker not in self.buffer:
            self._more()
        head, _, self.buffer = self.buffer.partition(marker)
        return head

    def _take(self, size):
        while len(self.buffer) < size:
            self._more()
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data

    def response(self):
        head = self._take_until(b'\r\n\r\n').decode('latin-1')
        status_line, *header_lines = head.split('\r\n')
        match = re.match(r'HTTP/1\.[01] (\d{3}) ?(.*)$', status_line)
        if not match:
            raise ConnectionBroke('not a status line: %r' % status_line)
        headers = []
        for line in header_lines:
            name, _, value = line.partition(':')
            headers.append((name.strip().lower(), value.strip()))
        response = Response(int(match.group(1)), match.group(2), headers,
                            b'')
        length = response.header('content-length')
        if response.status in (204, 304) or 100 <= response.status < 200:
            body = b''
        elif 'chunked' in (response.header('transfer-encoding') or ''):
            body = self._chunked()
        elif length is not None:
            body = self._take(int(length))
        else:
            while self._more():
                pass
            body, self.buffer = self.buffer, b''
        response.body = body
        return response

    def _chunked(self):
        parts = []
        while True:
            size = int(self._take_until(b'\r\n').split(b';')[0], 16)
            if size == 0:
                self._take_until(b'\r\n')   # no trailers from these servers
                return b''.join(parts)
            parts.append(self._take(size))
            self._take(2)
