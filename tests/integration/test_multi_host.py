"""Several hosts: two service instances on different ports (2 workers each)
sharing one PostgreSQL database and one memcached token cache
(keystonemiddleware's `[keystone_authtoken] memcached_servers`), on the
keystone backend with real Keystone tokens. Requests alternate between them
through the producer/consumer story: a share made on A is accepted on B and
listed on A; a revocation on B is seen on A at once; then 10 rounds of
ping-pong with the roles of A and B swapped each round.

memcached is Debian's (installed with apt-get when missing and we are root;
.ci/run installs it), started here on 127.0.0.1 on a free port as an
unprivileged user (`-u nobody` when we are root) and stopped at teardown.
"""

import os
import shutil
import socket
import subprocess
import sys
import time

import pytest

from testbed import debian
from testbed import processes
from testbed import servers as helpers
from testbed.keystone_service import start_service
from tests.support.concurrency import Api


class Memcached:
    """Debian's memcached on 127.0.0.1:<free port>, stopped by its pid."""

    def __init__(self):
        self.port = processes.free_port()
        self.process = None

    def start(self):
        cmd = [_memcached_binary(), '-l', '127.0.0.1', '-p', str(self.port),
               '-U', '0', '-m', '64', '-c', '256']
        if os.geteuid() == 0:
            cmd += ['-u', 'nobody']
        self.process = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 15
        while True:
            if self.process.poll() is not None:
                raise RuntimeError('memcached exited (%s): %s' % (
                    self.process.returncode,
                    self.process.stderr.read().decode(errors='replace')))
            try:
                self.stats()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('memcached did not answer')
                time.sleep(0.05)

    def stats(self):
        with socket.create_connection(('127.0.0.1', self.port),
                                      timeout=5) as s:
            s.sendall(b'stats\r\n')
            data = b''
            while not data.endswith(b'END\r\n'):
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        stats = {}
        for line in data.decode().splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[0] == 'STAT':
                stats[parts[1]] = parts[2]
        return stats

    def stop(self):
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if process is not None and process.stderr is not None:
            process.stderr.close()


def _memcached_binary():
    found = shutil.which('memcached') or (
        '/usr/bin/memcached' if os.path.exists('/usr/bin/memcached')
        else None)
    if found:
        return found
    try:
        debian.install('memcached')
        found = shutil.which('memcached')
        reason = 'no memcached after installing it'
    except debian.Unavailable as e:
        found, reason = None, str(e)
    if found:
        return found
    processes.unavailable('memcached', reason)


@pytest.fixture
def memcached():
    server = Memcached().start()
    try:
        yield server
    finally:
        server.stop()


def _db_sync(db_url, base_dir):
    config = os.path.join(base_dir, 'manage.conf')
    with open(config, 'w') as f:
        f.write('[database]\nconnection = %s\n' % db_url)
    proc = subprocess.run(
        [sys.executable, '-m', 'glance_members.cmd.manage', '--config',
         config, 'db', 'sync'], stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env=helpers.child_env(), cwd=base_dir, timeout=120)
    assert proc.returncode == 0, proc.stdout


@pytest.fixture
def two_hosts(keystone, fresh_postgresql_url, memcached,
              tmp_path):
    _db_sync(fresh_postgresql_url, str(tmp_path))
    extra = ('memcached_servers = 127.0.0.1:%d\n\n[database]\n'
             'connection = %s\n' % (memcached.port, fresh_postgresql_url))
    services = []
    try:
        for name in ('a', 'b'):
            base = tmp_path / name
            base.mkdir()
            services.append(start_service(keystone, str(base), workers=2,
                                          extra=extra, register=False))
        yield services
    finally:
        for service in services:
            service.server.stop()
            shutil.rmtree(service.server.home, ignore_errors=True)


def _ids(response):
    assert response.status_code == 200, response.text
    return [image['id'] for image in response.json()['images']]


def test_two_hosts_one_database_one_token_cache(keystone, two_hosts,
                                                memcached):
    a_service, b_service = two_hosts
    a, b = Api(a_service.url), Api(b_service.url)
    assert a_service.url != b_service.url
    producer = keystone.token('producer')
    consumer = keystone.token('consumer')
    consumer_id = consumer.project_id

    def check(response, status):
        assert response.status_code == status, (
            response.status_code, response.text[:500],
            a_service.server.log()[-2000:], b_service.server.log()[-2000:])
        return response

    # Created on A, seen on B.
    r = check(a.request('POST', '/v2/images', token=producer,
                        body={'name': 'shared-across-hosts',
                              'visibility': 'shared'}), 201)
    image_id = r.json()['id']
    check(b.request('GET', '/v2/images/%s' % image_id, token=producer), 200)
    # Shared on A; pending on B (not in the consumer's default list).
    check(a.request('POST', '/v2/images/%s/members' % image_id,
                    token=producer, body={'member': consumer_id}), 200)
    r = check(b.request('GET', '/v2/images/%s/members/%s' % (
        image_id, consumer_id), token=consumer), 200)
    assert r.json()['status'] == 'pending'
    assert image_id not in _ids(b.request('GET', '/v2/images',
                                          token=consumer))
    # Accepted on B, listed on A.
    check(b.request('PUT', '/v2/images/%s/members/%s' % (
        image_id, consumer_id), token=consumer,
        body={'status': 'accepted'}), 200)
    assert image_id in _ids(a.request('GET', '/v2/images', token=consumer))
    r = check(a.request('GET', '/v2/images/%s/members' % image_id,
                        token=producer), 200)
    assert [(m['member_id'], m['status']) for m in r.json()['members']] == [
        (consumer_id, 'accepted')]
    # Revoked on B: A knows at once.
    check(b.request('DELETE', '/v2/images/%s/members/%s' % (
        image_id, consumer_id), token=producer), 204)
    check(a.request('GET', '/v2/images/%s' % image_id, token=consumer), 404)
    check(a.request('GET', '/v2/images/%s/members/%s' % (
        image_id, consumer_id), token=consumer), 404)
    assert image_id not in _ids(a.request('GET', '/v2/images',
                                          token=consumer))
    assert check(a.request('GET', '/v2/images/%s/members' % image_id,
                           token=producer), 200).json()['members'] == []

    # Ping-pong: share on one, accept on the other, revoke on the first,
    # check on the other at once; swap the hosts every round.
    hosts = [a, b]
    for round_ in range(10):
        one, other = hosts[round_ % 2], hosts[(round_ + 1) % 2]
        check(one.request('POST', '/v2/images/%s/members' % image_id,
                          token=producer, body={'member': consumer_id}), 200)
        check(other.request('PUT', '/v2/images/%s/members/%s' % (
            image_id, consumer_id), token=consumer,
            body={'status': 'accepted'}), 200)
        assert image_id in _ids(one.request('GET', '/v2/images',
                                            token=consumer))
        check(one.request('DELETE', '/v2/images/%s/members/%s' % (
            image_id, consumer_id), token=producer), 204)
        check(other.request('GET', '/v2/images/%s' % image_id,
                            token=consumer), 404)
        assert image_id not in _ids(other.request('GET', '/v2/images',
                                                  token=consumer))

    # One token cache: a token validated on A is found in memcached by B
    # (a hit, and nothing stored again).
    token = keystone.token('consumer2')
    check(a.request('GET', '/v2/images', token=token), 200)
    before = memcached.stats()
    check(b.request('GET', '/v2/images', token=token), 200)
    after = memcached.stats()
    assert int(after['get_hits']) > int(before['get_hits']), (before, after)
    assert int(after['cmd_set']) == int(before['cmd_set']), (before, after)
    assert int(after['curr_items']) >= 1
