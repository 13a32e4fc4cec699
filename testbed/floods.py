"""Slow and idle clients on raw sockets (asyncio), for the slow-client tests
and benchmarks/slow_clients.py: connections holding partial request heads,
idle keep-alive connections, uploads trickling a chunked body.

Run as a process of its own (so that its work does not slow the client
being measured), for a bounded time, on 127.0.0.1:

    python -m testbed.floods --port P --duration 12 \
        --partial 1000 --idle 1000 --uploads ID,ID,... --token T \
        [--cafile CERT]   (TLS, as through HAProxy)

It prints `ready` once every connection is open (or 4 s after it began,
if a server is too stalled to take them all), then one JSON line of
counts when the duration is over (everything it opened is closed).
"""

import argparse
import asyncio
import http.client
import json
import resource
import ssl
import sys
import time

HOST = '127.0.0.1'
# The TLS context of every connection, when --cafile is given.
TLS = {'context': None}


def tls_context(cafile):
    return ssl.create_default_context(cafile=cafile) if cafile else None


def timed_requests(port, path, seconds, token, timeout=10, cafile=None):
    """One keep-alive client beside a flood: (status, seconds) per GET, or
    the exception's name for a request that got no answer."""
    results = []
    if cafile:
        conn = http.client.HTTPSConnection(HOST, port, timeout=timeout,
                                           context=tls_context(cafile))
    else:
        conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    headers = {'X-Auth-Token': token}
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        t0 = time.monotonic()
        try:
            conn.request('GET', path, headers=headers)
            response = conn.getresponse()
            response.read()
            results.append((response.status, time.monotonic() - t0))
            if response.will_close:
                conn.close()  # http.client reconnects on the next request
        except (OSError, http.client.HTTPException) as e:
            results.append((type(e).__name__, time.monotonic() - t0))
            conn.close()
    conn.close()
    return results


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def _open(port, until, stats, kind):
    """A connection, or None (counted as an error) if the server does not
    take it before `until`."""
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(HOST, port, ssl=TLS['context']),
            max(0.1, until - time.monotonic()))
    except (OSError, asyncio.TimeoutError):
        stats[kind + '_errors'] += 1
        return None, None


async def partial_head(port, until, stats, trickle=2.0):
    """A request line and one header, then one more header every
    `trickle` seconds, never the blank line."""
    reader, writer = await _open(port, until, stats, 'partial')
    if writer is None:
        return
    stats['partial_open'] += 1
    try:
        writer.write(b'GET /versions HTTP/1.1\r\nHost: x\r\n')
        await writer.drain()
        while time.monotonic() < until:
            await asyncio.sleep(trickle)
            if reader.at_eof():
                stats['partial_closed_by_server'] += 1
                return
            writer.write(b'X-Slow: %d\r\n' % int(time.monotonic()))
            await writer.drain()
    except OSError:
        stats['partial_errors'] += 1
    finally:
        writer.close()


async def idle_keepalive(port, until, stats):
    """One complete request, then silence on the open connection."""
    reader, writer = await _open(port, until, stats, 'idle')
    if writer is None:
        return
    try:
        writer.write(b'GET /versions HTTP/1.1\r\nHost: x\r\n\r\n')
        await writer.drain()
        # (a server that never answers must not hold us past `until`)
        head = await asyncio.wait_for(reader.readuntil(b'\r\n\r\n'),
                                      max(0.1, until - time.monotonic()))
        length = 0
        for line in head.split(b'\r\n'):
            if line.lower().startswith(b'content-length:'):
                length = int(line.split(b':', 1)[1])
        await reader.readexactly(length)
        stats['idle_open'] += 1
        await asyncio.sleep(max(0.0, until - time.monotonic()))
    except (OSError, asyncio.IncompleteReadError,
            asyncio.TimeoutError) as e:
        stats['idle_errors'] += 1
        stats.setdefault('idle_error_kinds', {}).setdefault(
            type(e).__name__, 0)
        stats['idle_error_kinds'][type(e).__name__] += 1
    finally:
        writer.close()


async def trickling_upload(port, image_id, token, until, stats,
                           rate=32 * 1024, piece=4096):
    """PUT /v2/images/ID/file, chunked, `rate` bytes a second."""
    reader, writer = await _open(port, until, stats, 'upload')
    if writer is None:
        return
    stats['uploads_open'] += 1
    try:
        writer.write((
            'PUT /v2/images/%s/file HTTP/1.1\r\nHost: x\r\n'
            'X-Auth-Token: %s\r\nContent-Type: application/octet-stream\r\n'
            'Transfer-Encoding: chunked\r\n\r\n' % (image_id, token)).encode())
        interval = piece / rate
        data = b'%x\r\n' % piece + b'u' * piece + b'\r\n'
        while time.monotonic() < until:
            writer.write(data)
            await writer.drain()
            stats['upload_bytes'] += piece
            await asyncio.sleep(interval)
    except OSError:
        stats['upload_errors'] += 1
    finally:
        writer.close()


async def flood(port, duration, partial=0, idle=0, uploads=(), token=None,
                ready=None, batch=200, ready_after=4.0):
    stats = dict.fromkeys((
        'partial_open', 'partial_closed_by_server', 'partial_errors',
        'idle_open', 'idle_errors', 'uploads_open', 'upload_errors',
        'upload_bytes'), 0)
    until = time.monotonic() + duration
    tasks = []
    started = time.monotonic()
    # Open in batches so the listen queue is not overrun.
    for kind, count in (('partial', partial), ('idle', idle)):
        for i in range(count):
            if kind == 'partial':
                tasks.append(asyncio.create_task(
                    partial_head(port, until, stats)))
            else:
                tasks.append(asyncio.create_task(
                    idle_keepalive(port, until, stats)))
            if i % batch == batch - 1:
                await asyncio.sleep(0.05)
    for image_id in uploads:
        tasks.append(asyncio.create_task(
            trickling_upload(port, image_id, token, until, stats)))
    while (stats['partial_open'] + stats['partial_errors'] < partial or
           stats['idle_open'] + stats['idle_errors'] < idle or
           stats['uploads_open'] + stats['upload_errors'] <
           len(uploads)) and \
            time.monotonic() < min(until, started + ready_after):
        await asyncio.sleep(0.05)
    stats['open_s'] = round(time.monotonic() - started, 2)
    if ready is not None:
        ready()
    await asyncio.gather(*tasks, return_exceptions=True)
    return stats


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--duration', type=float, default=10.0)
    parser.add_argument('--partial', type=int, default=0)
    parser.add_argument('--idle', type=int, default=0)
    parser.add_argument('--uploads', default='')
    parser.add_argument('--token')
    parser.add_argument('--cafile', help='speak TLS, trusting this CA')
    parser.add_argument('--ready-after', type=float, default=4.0,
                        help='say ready after this long at most')
    args = parser.parse_args(argv)
    raise_fd_limit()
    TLS['context'] = tls_context(args.cafile)
    uploads = [u for u in args.uploads.split(',') if u]

    def ready():
        print('ready', flush=True)

    stats = asyncio.run(flood(args.port, args.duration, args.partial,
                              args.idle, uploads, args.token, ready,
                              ready_after=args.ready_after))
    print(json.dumps(stats), flush=True)


if __name__ == '__main__':
    sys.exit(main())
