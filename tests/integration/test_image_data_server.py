"""Image data against a real `glance-members serve` (gunicorn): chunked
uploads and abandoned uploads on a raw socket, and the stock `glance` CLI's
`image-upload --file` / `image-download --file` through a share.

Uses the `gm_server` fixture (tests/support/servers.py) and testbed/servers.py.
openstacksdk's uploads and downloads run in test_stock_clients.py (the
stock clients' venv, behind a real Keystone).
"""

import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time

import pytest

from testbed.servers import venv_executable
from testbed import personas

CONSUMER = personas.CONSUMER_PROJECT
GLANCE = venv_executable('glance')
MiB = 1024 * 1024


# --- small HTTP helpers ------------------------------------------------------

def _request(server, method, path, who='producer', body=None, headers=None):
    conn = http.client.HTTPConnection('127.0.0.1', server.port, timeout=60)
    try:
        hdrs = {'X-Auth-Token': personas.token(who),
                'Accept': 'application/json'}
        if isinstance(body, (dict, list)):
            body = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        hdrs.update(headers or {})
        conn.request(method, path, body=body, headers=hdrs)
        response = conn.getresponse()
        return response.status, response.headers, response.read()
    finally:
        conn.close()


def _create_image(server):
    status, _, body = _request(server, 'POST', '/v2/images', body={
        'name': 'data', 'disk_format': 'raw', 'container_format': 'bare'})
    assert status == 201, body
    return json.loads(body)['id']


def _show(server, image_id, who='producer'):
    status, _, body = _request(server, 'GET', '/v2/images/%s' % image_id,
                               who=who)
    assert status == 200, body
    return json.loads(body)


def _raw_exchange(server, head, send_body, timeout=60):
    """Send `head` (bytes) then whatever `send_body(sock)` sends; read the
    whole response (the server closes: gunicorn sync workers do)."""
    sock = socket.create_connection(('127.0.0.1', server.port),
                                    timeout=timeout)
    try:
        sock.sendall(head)
        send_body(sock)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
        return b''.join(chunks)
    finally:
        sock.close()


def _put_head(server, image_id, extra):
    return ('PUT /v2/images/%s/file HTTP/1.1\r\n'
            'Host: 127.0.0.1:%d\r\n'
            'X-Auth-Token: %s\r\n'
            'Accept: application/json\r\n'
            'Content-Type: application/octet-stream\r\n'
            'Connection: close\r\n'
            '%s\r\n' % (image_id, server.port, personas.token('producer'),
                        extra)).encode()


def _parse(raw):
    head, _, body = raw.partition(b'\r\n\r\n')
    lines = head.decode('latin-1').split('\r\n')
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(':')
        headers[name.strip().lower()] = value.strip()
    return status, headers, body


def _images_dir(server):
    path = os.path.join(server.data_dir, 'images')
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


def _wait_status(server, image_id, wanted, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        status = _show(server, image_id)['status']
        if status == wanted or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


# --- (a) raw-socket chunked upload and an abandoned upload ------------------

def test_raw_chunked_upload_then_download(gm_server):
    image_id = _create_image(gm_server)
    rng = hashlib.sha256(b'seed')
    data = bytearray()
    while len(data) < 3 * MiB + 12345:  # a few MiB, deterministic
        rng.update(bytes(data[-32:]))
        data += rng.digest() * 2048
    data = bytes(data[:3 * MiB + 12345])

    def send_chunks(sock):
        offset, sizes, i = 0, (1, 17, 65536, 300000, 4096, MiB), 0
        while offset < len(data):
            piece = data[offset:offset + sizes[i % len(sizes)]]
            sock.sendall(b'%x\r\n' % len(piece) + piece + b'\r\n')
            offset += len(piece)
            i += 1
        sock.sendall(b'0\r\n\r\n')

    raw = _raw_exchange(gm_server, _put_head(
        gm_server, image_id, 'Transfer-Encoding: chunked\r\n'), send_chunks)
    status, headers, body = _parse(raw)
    assert status == 204, raw[:2000]
    assert body == b''
    assert headers['content-type'] == 'text/html; charset=UTF-8'

    image = _show(gm_server, image_id)
    assert image['status'] == 'active'
    assert image['size'] == len(data)
    assert image['checksum'] == hashlib.md5(data).hexdigest()
    assert image['os_hash_algo'] == 'sha512'
    assert image['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert _images_dir(gm_server) == [image_id]

    status, headers, body = _request(gm_server, 'GET',
                                     '/v2/images/%s/file' % image_id)
    assert status == 200
    assert headers['Content-Type'] == 'application/octet-stream'
    assert headers['Content-Length'] == str(len(data))
    assert headers['Content-MD5'] == hashlib.md5(data).hexdigest()
    assert body == data

    status, headers, body = _request(
        gm_server, 'GET', '/v2/images/%s/file' % image_id,
        headers={'Range': 'bytes=1000000-1999999'})
    assert status == 206
    assert headers['Content-Range'] == 'bytes 1000000-1999999/%d' % len(data)
    assert body == data[1000000:2000000]


def test_upload_204_is_empty_with_glances_content_type(gm_server):
    """Glance's capture: 204, Content-Type text/html; charset=UTF-8,
    Content-Length: 0. We send no Content-Length on a 204 (RFC 9110 says
    a server must not); the body is empty either way."""
    image_id = _create_image(gm_server)
    status, headers, body = _request(
        gm_server, 'PUT', '/v2/images/%s/file' % image_id, body=b'hello',
        headers={'Content-Type': 'application/octet-stream'})
    assert status == 204 and body == b''
    assert headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert headers.get('Content-Length') in (None, '0')


@pytest.mark.parametrize('framing', [
    'content-length', 'chunked'])
def test_client_disconnect_mid_upload(gm_server, framing):
    image_id = _create_image(gm_server)
    half = os.urandom(MiB // 2)
    if framing == 'content-length':
        head = _put_head(gm_server, image_id,
                         'Content-Length: %d\r\n' % (2 * len(half)))

        def send_half(sock):
            sock.sendall(half)
    else:
        head = _put_head(gm_server, image_id, 'Transfer-Encoding: chunked\r\n')

        def send_half(sock):
            for i in range(0, len(half), 65536):
                piece = half[i:i + 65536]
                sock.sendall(b'%x\r\n' % len(piece) + piece + b'\r\n')
            # no terminating 0-chunk

    sock = socket.create_connection(('127.0.0.1', gm_server.port),
                                    timeout=30)
    try:
        sock.sendall(head)
        send_half(sock)
        time.sleep(0.5)  # let the worker start storing
    finally:
        sock.close()  # ...and go away mid-body

    assert _wait_status(gm_server, image_id, 'queued') == 'queued'
    image = _show(gm_server, image_id)
    assert image['size'] is None and image['checksum'] is None
    assert _images_dir(gm_server) == []

    # the service still answers, and the image can still be uploaded
    status, _, body = _request(gm_server, 'GET', '/v2/images')
    assert status == 200, body
    status, _, body = _request(
        gm_server, 'PUT', '/v2/images/%s/file' % image_id, body=b'hello',
        headers={'Content-Type': 'application/octet-stream'})
    assert status == 204, body
    assert _show(gm_server, image_id)['status'] == 'active'
    assert _images_dir(gm_server) == [image_id]


def _upload_owner_pid(server, image_id):
    """The pid of the worker receiving `image_id` (its upload record)."""
    path = os.path.join(server.data_dir, 'glance-members.sqlite')
    with contextlib.closing(sqlite3.connect(path, timeout=30)) as conn:
        row = conn.execute('SELECT owner FROM image_uploads WHERE image_id '
                           '= ?', (image_id,)).fetchone()
    return int(row[0].split(' ')[2]) if row else None


def test_worker_killed_mid_upload_then_next_request(gm_server):
    """kill -9 of the worker that receives an upload: the next request on
    the image finds it queued again (Glance leaves it in saving for ever),
    the partial bytes gone, and a new upload succeeds."""
    image_id = _create_image(gm_server)
    sock = socket.create_connection(('127.0.0.1', gm_server.port),
                                    timeout=30)
    try:
        sock.sendall(_put_head(gm_server, image_id,
                               'Content-Length: %d\r\n' % (8 * MiB)))
        sock.sendall(os.urandom(MiB))
        assert _wait_status(gm_server, image_id, 'saving') == 'saving'
        pid = _upload_owner_pid(gm_server, image_id)
        assert pid is not None and pid != gm_server.process.pid
        assert _images_dir(gm_server) == [image_id]  # the partial bytes
        os.kill(pid, signal.SIGKILL)
    finally:
        sock.close()
    assert _show(gm_server, image_id)['status'] == 'queued'
    assert _images_dir(gm_server) == []
    status, _, body = _request(
        gm_server, 'PUT', '/v2/images/%s/file' % image_id, body=b'again',
        headers={'Content-Type': 'application/octet-stream'})
    assert status == 204, body
    assert _show(gm_server, image_id)['status'] == 'active'


# --- (b) the stock glance CLI -----------------------------------------------

def _glance(server, home, persona, *args):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['HOME'] = home
    result = subprocess.run(
        [GLANCE, '--os-auth-token', personas.token(persona),
         '--os-image-url', server.url] + list(args),
        stdin=subprocess.DEVNULL if '--file' in args else None,
        preexec_fn=None if '--file' in args else (lambda: os.close(0)),
        capture_output=True, text=True, env=env, timeout=300)
    return result


def _ok(result):
    assert result.returncode == 0, (result.args, result.stdout,
                                    result.stderr)
    return result.stdout


def _properties(output):
    rows = [[c.strip() for c in line.strip()[1:-1].split('|')]
            for line in output.splitlines() if line.startswith('|')]
    return dict(rows[1:])


@pytest.mark.skipif(GLANCE is None, reason='python-glanceclient not installed')
def test_glance_cli_upload_and_consumer_download(gm_server, tmp_path):
    home = str(tmp_path / 'cli-home')
    os.makedirs(home)
    data = os.urandom(5 * MiB + 3)
    src = tmp_path / 'image.raw'
    src.write_bytes(data)
    out = _ok(_glance(gm_server, home, 'producer', 'image-create', '--name',
                      'cli', '--disk-format', 'raw', '--container-format',
                      'bare'))
    image_id = _properties(out)['id']
    _ok(_glance(gm_server, home, 'producer', 'image-upload', '--file',
                str(src), image_id))
    shown = _properties(_ok(_glance(gm_server, home, 'producer',
                                    'image-show', image_id)))
    assert shown['status'] == 'active'
    assert shown['size'] == str(len(data))
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    # the CLI's table wraps the 128-hex-digit value: check it on the API
    assert _show(gm_server, image_id)['os_hash_value'] == \
        hashlib.sha512(data).hexdigest()

    _ok(_glance(gm_server, home, 'producer', 'member-create', image_id,
                CONSUMER))
    _ok(_glance(gm_server, home, 'consumer', 'member-update', image_id,
                CONSUMER, 'accepted'))
    out_path = tmp_path / 'downloaded.raw'
    _ok(_glance(gm_server, home, 'consumer', 'image-download', '--file',
                str(out_path), image_id))
    assert out_path.read_bytes() == data

    # revoked: the next download is a 404
    _ok(_glance(gm_server, home, 'producer', 'member-delete', image_id,
                CONSUMER))
    result = _glance(gm_server, home, 'consumer', 'image-download', '--file',
                     str(tmp_path / 'again.raw'), image_id)
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert '404' in result.stderr, result.stderr
