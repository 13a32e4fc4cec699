"""HTTP probes on raw sockets (issue 22): what a mature server must do with
smuggling attempts, split or broken bodies, floods, slow clients, control
characters, proxy headers and signals.

Shared by tests/integration/test_http_probes.py (which asserts `ok`) and
benchmarks/http_servers.py (which tabulates `summary` per candidate
server), so both send exactly the same bytes. Every probe takes a Target
and returns a Result; none imports from tests/ or the application.

Set-up and checks (creating images, listing them) use http.client: only
the probes themselves are hand-built bytes.
"""

import http.client
import json
import os
import select
import signal
import socket
import threading
import time
import uuid

HOST = '127.0.0.1'
MiB = 1024 * 1024
JSON = 'application/json'
# What a server may answer when it drops a request head or body on the floor
# (llhttp, h11, gunicorn, waitress word it differently): a status line.
STATUS_PREFIX = b'HTTP/1.'


class Result:
    """`ok`: the guarantee held; `summary`: one short cell for the table;
    `detail`: what was measured (JSON-able)."""

    def __init__(self, ok, summary, **detail):
        self.ok, self.summary, self.detail = bool(ok), summary, detail

    def __repr__(self):
        return 'Result(ok=%s, %r, %r)' % (self.ok, self.summary, self.detail)

    def as_dict(self):
        return {'ok': self.ok, 'summary': self.summary, 'detail': self.detail}


class Target:
    """A running server: its port, a token of an image owner, its worker
    pids (a callable: they change on reload), its log (a callable
    returning the text so far) and its master pid (signals)."""

    def __init__(self, port, token, worker_pids, log_text, master_pid=None):
        self.port = port
        self.token = token
        self.worker_pids = worker_pids
        self.log_text = log_text
        self.master_pid = master_pid

    # --- set-up and checks, over http.client -------------------------------

    def request(self, method, path, body=None, headers=None, timeout=30,
                auth=True):
        conn = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            all_headers = {'X-Auth-Token': self.token} if auth else {}
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                all_headers['Content-Type'] = JSON
            all_headers.update(headers or {})
            conn.request(method, path, body=body, headers=all_headers)
            response = conn.getresponse()
            data = response.read()
            return response.status, dict(response.getheaders()), data
        finally:
            conn.close()

    def create_image(self, **fields):
        fields.setdefault('name', 'probe-%s' % uuid.uuid4().hex[:8])
        status, _, data = self.request('POST', '/v2/images', fields)
        assert status == 201, (status, data[:300])
        return json.loads(data)

    def upload(self, image_id, data):
        return self.request('PUT', '/v2/images/%s/file' % image_id, data,
                            {'Content-Type': 'application/octet-stream'},
                            timeout=120)[0]

    def image(self, image_id):
        status, _, data = self.request('GET', '/v2/images/%s' % image_id)
        return status, json.loads(data) if status == 200 else None

    def images_named(self, name):
        status, _, data = self.request('GET', '/v2/images?name=%s' % name)
        assert status == 200, (status, data[:300])
        return json.loads(data)['images']

    def member_list_path(self, members=50):
        """A shared image with `members` members: its member list."""
        image_id = self.create_image(visibility='shared')['id']
        for i in range(members):
            status, _, data = self.request(
                'POST', '/v2/images/%s/members' % image_id,
                {'member': '%032x' % (0xbe7c4 + i)})
            assert status == 200, (status, data[:300])
        return '/v2/images/%s/members' % image_id

    def log_mark(self):
        return len(self.log_text())

    def log_since(self, mark):
        return self.log_text()[mark:]


# --- raw sockets -------------------------------------------------------------

def connect(port, timeout=10, rcvbuf=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        # Before connect(): the window the server sees stays small.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((HOST, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def read_until_close(sock, timeout):
    """(bytes, how it ended: 'closed', 'reset' or 'open' after timeout)."""
    parts, deadline = [], time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return b''.join(parts), 'open'
        sock.settimeout(left)
        try:
            data = sock.recv(65536)
        except socket.timeout:
            return b''.join(parts), 'open'
        except ConnectionResetError:
            return b''.join(parts), 'reset'
        if not data:
            return b''.join(parts), 'closed'
        parts.append(data)


def exchange(port, data, timeout=10, pieces=None):
    """Send `data` (or `pieces`: (bytes, pause) pairs), read until the
    server closes or `timeout`; (answer, end)."""
    sock = connect(port, timeout)
    try:
        try:
            if pieces is None:
                sock.sendall(data)
            for piece, pause in pieces or ():
                sock.sendall(piece)
                time.sleep(pause)
        except OSError:
            pass   # the server may answer and close before it all went
        return read_until_close(sock, timeout)
    finally:
        sock.close()


def status_of(answer):
    """The status of the first response in `answer`, or None."""
    if not answer.startswith(STATUS_PREFIX):
        return None
    try:
        return int(answer.split(b' ', 2)[1])
    except (IndexError, ValueError):
        return None


def statuses(answer):
    return [int(line.split(b' ', 2)[1]) for line in answer.split(b'\r\n')
            if line.startswith(STATUS_PREFIX) and len(line.split(b' ')) > 1
            and line.split(b' ', 2)[1].isdigit()]


def head(method, path, token=None, extra=(), host=b'probe'):
    lines = [b'%s %s HTTP/1.1' % (method, path), b'Host: ' + host]
    if token:
        lines.append(b'X-Auth-Token: ' + token.encode())
    lines += list(extra)
    return b'\r\n'.join(lines) + b'\r\n\r\n'


def json_head(method, path, token, length=None, extra=()):
    extra = [b'Content-Type: application/json'] + list(extra)
    if length is not None:
        extra.append(b'Content-Length: %d' % length)
    return head(method, path, token, extra)


# --- 1. Content-Length + Transfer-Encoding -----------------------------------

TE_VARIANTS = {
    'chunked': b'Transfer-Encoding: chunked',
    'CHUNKED': b'Transfer-Encoding: CHUNKED',
    'tab': b'Transfer-Encoding:\tchunked',
    'folded': b'Transfer-Encoding:\r\n chunked',
    'TE before CL': None,   # same bytes, Transfer-Encoding first
    'chunked, identity': b'Transfer-Encoding: chunked, identity',
}


def cl_te_smuggling(target):
    """A POST with both framings whose chunked body is empty and whose
    Content-Length covers a hidden DELETE of another image: 400, the
    connection closed, and the other image still there."""
    seen, good = {}, True
    for name, te in TE_VARIANTS.items():
        victim = target.create_image(name='victim')['id']
        hidden = head(b'DELETE', b'/v2/images/%s' % victim.encode(),
                      target.token)
        body = b'0\r\n\r\n' + hidden
        cl = b'Content-Length: %d' % len(body)
        extra = [te or TE_VARIANTS['chunked'], cl] if te is None else [cl, te]
        answer, end = exchange(target.port, json_head(
            b'POST', b'/v2/images', target.token, extra=extra) + body,
            timeout=5)
        victim_status = target.image(victim)[0]
        codes = statuses(answer)
        seen[name] = {'statuses': codes, 'end': end,
                      'victim': victim_status}
        good &= (codes == [400] and end == 'closed' and victim_status == 200)
    bad = sorted(k for k, v in seen.items() if not (
        v['statuses'] == [400] and v['end'] == 'closed'
        and v['victim'] == 200))
    return Result(good, '400+close x%d, hidden DELETE never ran' % len(seen)
                  if good else 'FAIL: %s' % ', '.join(
                      '%s: %s %s victim %s' % (k, seen[k]['statuses'],
                                               seen[k]['end'],
                                               seen[k]['victim'])
                      for k in bad), variants=seen)


# --- 2. a body in two segments; http.client with 40 KB -----------------------

def _padded_create(name, total, head_extra=()):
    """A POST /v2/images of exactly `total` bytes whose name comes last (a
    body read short is malformed JSON, not a different image)."""
    tail = json.dumps({'name': name}).encode()[1:]
    for pad in range(total):
        doc = b'{' + b' ' * pad + tail
        request = json_head(b'POST', b'/v2/images', None, len(doc),
                            head_extra) + doc
        if len(request) >= total:
            return request
    raise ValueError(total)


def split_body(target, first=1448, second=1657, pause=0.005, repeats=20):
    """A create whose bytes arrive in two TCP segments `pause` apart, then
    stock http.client sending a 40 KB body `repeats` times: every one
    read whole (201, the name that ends the body)."""
    token = [b'X-Auth-Token: ' + target.token.encode(),
             b'Connection: close']
    name = 'split-%s' % uuid.uuid4().hex[:8]
    request = _padded_create(name, first + second, token)
    answer, _ = exchange(target.port, None, timeout=10, pieces=[
        (request[:first], pause), (request[first:], 0)])
    split_ok = status_of(answer) == 201 and len(target.images_named(name)) \
        == 1
    failures = []
    body = b'{' + b' ' * 40000 + json.dumps({'name': name + '-40k'}).encode(
    )[1:]
    for _ in range(repeats):
        try:
            status, _, data = target.request('POST', '/v2/images', body,
                                             {'Content-Type': JSON})
            if status != 201 or json.loads(data)['name'] != name + '-40k':
                failures.append((status, data[:200].decode('latin-1')))
        except (OSError, http.client.HTTPException) as e:
            failures.append(repr(e))
    ok = split_ok and not failures
    return Result(ok, '%s; 40 KB x%d: %d failures' % (
        status_of(answer), repeats, len(failures)),
        split_status=status_of(answer), split_bytes=len(request),
        failures=failures[:5])


# --- 3. a chunk longer than what is sent -------------------------------------

def short_chunk(target, wait=20):
    """A chunk declared 1,000 bytes, `{"name": ...}` sent, then a bad
    terminator, and the client waits: 400, or 408 once the body time-out
    runs out; no image created."""
    name = 'short-%s' % uuid.uuid4().hex[:8]
    doc = json.dumps({'name': name}).encode()
    t0 = time.monotonic()
    answer, end = exchange(target.port, json_head(
        b'POST', b'/v2/images', target.token,
        extra=[b'Transfer-Encoding: chunked']) + b'3e8\r\n' + doc + b'\r\nXX'
        b'\r\n', timeout=wait)
    elapsed = time.monotonic() - t0
    created = len(target.images_named(name))
    status = status_of(answer)
    ok = status in (400, 408) and not created
    return Result(ok, '%s after %.1fs, %d created' % (
        status or 'no answer', elapsed, created), status=status, end=end,
        seconds=round(elapsed, 2), created=created)


# --- 4. broken bodies: never a 500, nothing written -------------------------

def broken_bodies(target, body_timeout, wait=None):
    """Malformed chunk sizes, clients gone mid-body and bodies that stop
    (JSON create, image upload, unauthenticated console sign-in): 400/408
    or nothing, never a 500, no traceback in the log, nothing written."""
    wait = wait or body_timeout + 10
    mark = target.log_mark()
    token = target.token
    names, cases, upload_images = [], {}, []

    def create_head(extra):
        name = 'broken-%s' % uuid.uuid4().hex[:8]
        names.append(name)
        return json.dumps({'name': name}).encode(), json_head(
            b'POST', b'/v2/images', token, extra=extra)

    def put_head(extra):
        # An image per upload: they run at once, and one upload at a time
        # may hold an image (409 for the others).
        upload_images.append(target.create_image(
            disk_format='raw', container_format='bare')['id'])
        put = b'/v2/images/%s/file' % upload_images[-1].encode()
        return head(b'PUT', put, token, [
            b'Content-Type: application/octet-stream'] + extra)

    chunked = [b'Transfer-Encoding: chunked']
    doc, h = create_head(chunked)
    cases['create, chunk size zz'] = (h + b'zz\r\n' + doc + b'\r\n0\r\n\r\n',
                                      'answer', (400,))
    doc, h = create_head(chunked)
    cases['create, chunk size -1'] = (
        h + b'-1\r\n' + doc + b'\r\n0\r\n\r\n', 'answer', (400,))
    cases['upload, chunk size zz'] = (put_head(chunked) + b'10\r\n'
                                      + b'a' * 16 + b'\r\nzz\r\n', 'answer',
                                      (400,))
    doc, h = create_head([b'Content-Length: 200'])
    cases['create, client gone'] = (h + doc[:-2], 'gone', ())
    cases['upload, client gone'] = (put_head(chunked) + b'3e8\r\nabc',
                                    'gone', ())
    doc, h = create_head([b'Content-Length: 200'])
    cases['create, body stops'] = (h + doc[:-2], 'answer', (400, 408))
    cases['upload, body stops'] = (put_head([b'Content-Length: 100'])
                                   + b'abc', 'answer', (400, 408))
    cases['sign-in (no auth), body stops'] = (head(
        b'POST', b'/console/sign-in', None, [
            b'Content-Type: application/x-www-form-urlencoded',
            b'Content-Length: 100']) + b'token=abc', 'answer', (400, 408))
    seen, good = {}, True
    threads = []

    def run(label, data, kind, allowed):
        t0 = time.monotonic()
        if kind == 'gone':
            sock = connect(target.port)
            sock.sendall(data)
            time.sleep(0.3)
            sock.close()
            seen[label] = {'status': None, 'allowed': 'nothing'}
            return
        answer, end = exchange(target.port, data, timeout=wait)
        status = status_of(answer)
        seen[label] = {'status': status, 'end': end, 'allowed': allowed,
                       'seconds': round(time.monotonic() - t0, 1)}

    # In parallel: the body time-outs run together, not one after another.
    for label, (data, kind, allowed) in cases.items():
        threads.append(threading.Thread(target=run, args=(
            label, data, kind, allowed)))
        threads[-1].start()
    for t in threads:
        t.join(wait + 15)
    time.sleep(0.5)
    for label, (_, kind, allowed) in cases.items():
        got = seen.get(label, {}).get('status')
        if kind == 'answer' and got not in allowed:
            good = False
    created = [n for n in names if target.images_named(n)]
    uploads = [target.image(i)[1] for i in upload_images]
    touched = [u['status'] for u in uploads
               if u['status'] != 'queued' or u['size']]
    log = target.log_since(mark)
    tracebacks = log.count('Traceback')
    errors_500 = [line for line in log.splitlines()
                  if ' 500 ' in line or 'HTTP/1.1" 500' in line][:5]
    written = created or touched
    ok = good and not tracebacks and not errors_500 and not written
    cells = ['%s: %s' % (k, v['status'] or '-') for k, v in seen.items()]
    summary = ('%s; %d tracebacks, %d 500s, %s' % (
        ', '.join(cells), tracebacks, len(errors_500),
        'nothing written' if not written else 'WRITTEN: %s %s' % (
            created, touched)))
    return Result(ok, summary, cases=seen, created=created,
                  uploads_touched=touched, tracebacks=tracebacks,
                  log_500=errors_500)


# --- 5. pipelined GETs that are never read -----------------------------------

def rss_kib(pid):
    """VmRSS of `pid` from /proc, KiB (0 if it is gone)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def threads_of(pid):
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('Threads:'):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def worker_rss_mib(target):
    return {pid: rss_kib(pid) / 1024 for pid in target.worker_pids()}


def pipelined_flood(target, path, count=20000, seconds=10.0,
                    limit_mib=64):
    """`count` pipelined GETs of `path` on one connection whose answers are
    never read: the workers' RSS must stay within `limit_mib` of where it
    was (it grows by the answers buffered if nothing pushes back)."""
    before = worker_rss_mib(target)
    request = head(b'GET', path.encode(), target.token)
    data = memoryview(request * count)
    sock = connect(target.port, rcvbuf=4096)
    sock.setblocking(False)
    sent, peak = 0, dict(before)
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            if sent < len(data):
                _, writable, _ = select.select([], [sock], [], 0.2)
                if writable:
                    try:
                        sent += sock.send(data[sent:sent + 65536])
                    except BlockingIOError:
                        pass
                    except OSError:
                        break
            else:
                time.sleep(0.2)
            for pid, mib in worker_rss_mib(target).items():
                peak[pid] = max(peak.get(pid, 0), mib)
        # The flood leaves the service usable for everyone else.
        other = target.request('GET', '/versions', timeout=10, auth=False)[0]
    finally:
        sock.close()
    growth = max((peak[p] - before.get(p, peak[p]) for p in peak),
                 default=0)
    ok = growth < limit_mib and other in (200, 300)
    return Result(ok, 'RSS +%.0f MiB (peak %.0f), %d of %d requests sent; '
                  'other client %s' % (growth, max(peak.values(), default=0),
                                       sent // len(request), count, other),
                  growth_mib=round(growth, 1),
                  peak_mib={str(k): round(v, 1) for k, v in peak.items()},
                  requests_sent=sent // len(request), other_status=other)


# --- 6. slow downloads -------------------------------------------------------

def _active_image(target, size):
    image_id = target.create_image(disk_format='raw',
                                   container_format='bare')['id']
    status = target.upload(image_id, os.urandom(1024) * (size // 1024))
    assert status == 204, status
    return image_id


def slow_downloads(target, clients=300, size=8 * MiB, seconds=8.0,
                   thread_limit=None, other_path='/versions'):
    """`clients` downloads read a few KiB a second: the workers' threads
    stay bounded (`thread_limit` per worker over their idle count, if
    given) and another client's requests are still answered."""
    image_id = _active_image(target, size)
    idle = {pid: threads_of(pid) for pid in target.worker_pids()}
    request = head(b'GET', b'/v2/images/%s/file' % image_id.encode(),
                   target.token)
    socks = []
    try:
        for _ in range(clients):
            try:
                sock = connect(target.port, timeout=5, rcvbuf=4096)
                sock.sendall(request)
                sock.setblocking(False)
                socks.append(sock)
            except OSError:
                pass
        peak = dict(idle)
        other, answers = [], {}
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for sock in socks:
                try:
                    data = sock.recv(1024)
                    key = sock.fileno()
                    if key not in answers:
                        answers[key] = status_of(data)
                except (BlockingIOError, OSError):
                    pass
            for pid in target.worker_pids():
                peak[pid] = max(peak.get(pid, 0), threads_of(pid))
            t0 = time.monotonic()
            try:
                status = target.request('GET', other_path, timeout=5)[0]
            except (OSError, http.client.HTTPException) as e:
                status = type(e).__name__
            other.append((status, time.monotonic() - t0))
            time.sleep(0.2)
    finally:
        for sock in socks:
            sock.close()
    served = [s for s, _ in other if s in (200, 300)]
    worst = max((t for _, t in other), default=0)
    growth = {str(p): peak[p] - idle.get(p, 0) for p in peak}
    codes = {}
    for s in answers.values():
        codes[str(s)] = codes.get(str(s), 0) + 1
    bounded = thread_limit is None or all(
        g <= thread_limit for g in growth.values())
    ok = bounded and other and len(served) == len(other)
    return Result(ok, 'threads %s (idle %s); downloads %s; other client '
                  '%d/%d ok, worst %.2fs' % (
                      '/'.join(str(peak[p]) for p in sorted(peak)),
                      '/'.join(str(idle.get(p, 0)) for p in sorted(peak)),
                      codes, len(served), len(other), worst),
                  peak_threads={str(k): v for k, v in peak.items()},
                  idle_threads={str(k): v for k, v in idle.items()},
                  download_statuses=codes, connected=len(socks),
                  other=[(s, round(t, 3)) for s, t in other][:40])


# --- 7. slow unauthenticated bodies vs authenticated uploads -----------------

def slow_sign_ins_vs_uploads(target, clients=150, uploads=5,
                             upload_size=MiB, seconds=8.0, trickle=1.0,
                             timeout=30):
    """`clients` unauthenticated POST /console/sign-in whose bodies trickle
    a byte every `trickle` s, while an authenticated client creates and
    uploads `uploads` images: every upload 204 (no 503)."""
    socks = []
    form = head(b'POST', b'/console/sign-in', None, [
        b'Content-Type: application/x-www-form-urlencoded',
        b'Content-Length: 1000'])
    try:
        for _ in range(clients):
            try:
                sock = connect(target.port, timeout=5)
                sock.sendall(form + b't')
                socks.append(sock)
            except OSError:
                pass
        results = []
        stop = threading.Event()

        def trickler():
            while not stop.wait(trickle):
                for sock in socks:
                    try:
                        sock.send(b'o')
                    except OSError:
                        pass
        thread = threading.Thread(target=trickler, daemon=True)
        thread.start()
        time.sleep(0.5)
        data = b'u' * upload_size
        deadline = time.monotonic() + seconds
        for _ in range(uploads):
            try:
                status, _, created = target.request('POST', '/v2/images', {
                    'name': 'up', 'disk_format': 'raw',
                    'container_format': 'bare'}, timeout=timeout)
                if status != 201:
                    results.append('create %s' % status)
                    continue
                results.append(target.request(
                    'PUT', '/v2/images/%s/file' % json.loads(created)['id'],
                    data, {'Content-Type': 'application/octet-stream'},
                    timeout=timeout)[0])
            except (OSError, http.client.HTTPException) as e:
                results.append(type(e).__name__)
            if time.monotonic() > deadline:
                break
        stop.set()
        thread.join(5)
    finally:
        for sock in socks:
            sock.close()
    ok = len(results) == uploads and all(s == 204 for s in results)
    return Result(ok, '%d slow sign-ins held; uploads %s' % (
        len(socks), results), held=len(socks), uploads=results)


# --- 8. control characters in the path ---------------------------------------

FORGED = b'2026-01-01 00:00:00,000 1 INFO glance_members.access FORGED'
CONTROL_PATHS = {
    '%0A': b'/console/a%0A' + FORGED.replace(b' ', b'%20'),
    '%0D': b'/console/b%0D' + FORGED.replace(b' ', b'%20'),
    '%0D%0A (v2)': b'/v2/images/c%0D%0A' + FORGED.replace(b' ', b'%20'),
    '%00': b'/console/d%00e',
    '%1B': b'/console/f%1B[31mg',
    '%1B (v2)': b'/v2/images/h%1B[31mi',
}


def control_characters(target):
    """Requests whose path decodes to CR, LF, NUL, ESC: none of them in
    the server's log output, and no line of it that starts with what a
    client wrote."""
    mark = target.log_mark()
    answers = {}
    for name, path in CONTROL_PATHS.items():
        answer, _ = exchange(target.port, head(
            b'GET', path, target.token, [b'Connection: close']), timeout=5)
        answers[name] = status_of(answer)
    time.sleep(0.5)   # the access log line follows the answer
    log = target.log_since(mark)
    raw = {name: log.count(ch) for name, ch in (
        ('CR', '\r'), ('NUL', '\x00'), ('ESC', '\x1b'))}
    forged = [line for line in log.split('\n')
              if line.startswith(FORGED.decode()[:23])]
    ok = not forged and not any(raw.values())
    return Result(ok, '%s; forged lines %d, raw CR/NUL/ESC %s' % (
        answers, len(forged), '/'.join(str(v) for v in raw.values())),
        statuses=answers, forged=forged[:3], raw_control=raw,
        log_excerpt=log[-1500:])


# --- 9. X-Forwarded-Proto ---------------------------------------------------

def forwarded_proto(target, expect_https):
    """With X-Forwarded-Proto: https, Location of a create and the versions
    document's links say https exactly when the option is on."""
    extra = [b'X-Forwarded-Proto: https', b'Connection: close']
    doc = json.dumps({'name': 'proxied'}).encode()
    answer, _ = exchange(target.port, json_head(
        b'POST', b'/v2/images', target.token, len(doc), extra) + doc)
    location = b''
    for line in answer.split(b'\r\n\r\n', 1)[0].split(b'\r\n'):
        if line.lower().startswith(b'location:'):
            location = line.split(b':', 1)[1].strip()
    versions, _ = exchange(target.port, head(b'GET', b'/versions', None,
                                             extra))
    body = versions.split(b'\r\n\r\n', 1)[-1]
    scheme = b'https://' if expect_https else b'http://'
    hrefs = [link['href'] for v in json.loads(body)['versions']
             for link in v['links']] if body.startswith(b'{') else []
    ok = (status_of(answer) == 201 and location.startswith(scheme)
          and hrefs and all(h.startswith(scheme.decode()) for h in hrefs))
    return Result(ok, 'Location %s; versions %s' % (
        location.decode()[:8] or '-', hrefs[0][:8] if hrefs else '-'),
        location=location.decode(), hrefs=hrefs[:2])


# --- 10. signals -------------------------------------------------------------

def _looping_client(port, token, path, stop, statuses_, failures):
    """Requests on a raw keep-alive connection until `stop`; a refused
    connection is a status ('refused'), any other error a failure."""
    request = head(b'GET', path.encode(), token)
    sock, buffered, used = None, b'', 0
    while not stop.is_set():
        if sock is None:
            used = 0
            try:
                sock = connect(port, timeout=30)
            except ConnectionRefusedError:
                statuses_.append('refused')
                time.sleep(0.05)
                continue
        try:
            sock.sendall(request)
            response, buffered = _read_response(sock, buffered)
            statuses_.append(status_of(response))
            used += 1
            if b'\r\nconnection: close' in response.split(
                    b'\r\n\r\n', 1)[0].lower():
                sock.close()
                sock, buffered = None, b''
        except (OSError, ValueError) as e:
            failures.append('%.2f %r after %d answers on its connection'
                            % (time.monotonic(), e, used))
            sock.close()
            sock, buffered = None, b''
    if sock is not None:
        sock.close()


def _read_response(sock, buffered):
    """One Content-Length-framed response; (it, the bytes after it)."""
    while b'\r\n\r\n' not in buffered:
        data = sock.recv(65536)
        if not data:
            raise ValueError('closed before a response')
        buffered += data
    head_, rest = buffered.split(b'\r\n\r\n', 1)
    length = 0
    for line in head_.split(b'\r\n')[1:]:
        name, _, value = line.partition(b':')
        if name.strip().lower() == b'content-length':
            length = int(value)
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise ValueError('closed in a response body')
        rest += data
    return head_ + b'\r\n\r\n' + rest[:length], rest[length:]


def signals(target, path, actions, settle=1.0):
    """A client looping on `path` while `actions` (callables, e.g. send
    SIGHUP and wait for new workers, then SIGTERM and wait for the exit)
    run: no failed request (200s, then 503s or refused connections)."""
    stop, got, failures = threading.Event(), [], []
    thread = threading.Thread(target=_looping_client, args=(
        target.port, target.token, path, stop, got, failures))
    thread.start()
    done, times = [], []
    try:
        time.sleep(settle)
        t0 = time.monotonic()
        for action in actions:
            started = time.monotonic()
            done.append(action())
            times.append((round(started - t0, 2),
                          round(time.monotonic() - t0, 2)))
            time.sleep(settle)
    finally:
        stop.set()
        thread.join(60)
    # Failures as seconds since the first action (against `times`).
    failures = ['%+.2fs %s' % (float(f.split(' ', 1)[0]) - t0,
                               f.split(' ', 1)[1]) for f in failures]
    counts = {}
    for s in got:
        counts[str(s)] = counts.get(str(s), 0) + 1
    ok = not failures and set(got) <= {200, 503, 'refused'} and 200 in got
    return Result(ok, '%s; %d failed%s' % (
        counts, len(failures), (': ' + failures[0]) if failures else ''),
        statuses=counts, failures=failures[:5], actions=done,
        action_seconds=times)


def hup_then_term(target, wait_new_workers, wait_exit):
    """The usual action list: SIGHUP (wait_new_workers()), SIGTERM
    (wait_exit())."""
    def hup():
        os.kill(target.master_pid, signal.SIGHUP)
        return wait_new_workers()

    def term():
        os.kill(target.master_pid, signal.SIGTERM)
        return wait_exit()
    return [hup, term]


# --- beyond the table: a head and its body in one write ----------------------

def upload_in_one_write(target, size=MiB):
    """PUT /file whose head and body go in one sendall (http.client does
    so with a bytes body): 204, not an over-sized head."""
    image_id = target.create_image(disk_format='raw',
                                   container_format='bare')['id']
    data = b'w' * size
    answer, _ = exchange(target.port, head(
        b'PUT', b'/v2/images/%s/file' % image_id.encode(), target.token, [
            b'Content-Type: application/octet-stream',
            b'Content-Length: %d' % size, b'Connection: close']) + data,
        timeout=30)
    status = status_of(answer)
    return Result(status == 204, '%s for %d KiB' % (status, size // 1024),
                  status=status, answer=answer[:200].decode('latin-1'))
