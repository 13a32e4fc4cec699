"""A served glance-members under concurrent load: `ConfServer` (`serve
--config FILE --workers N`), `Api` (requests as the personas, a connection
each), `concurrently` (calls released together by a barrier), and
`DatabaseProbe` (SQL on the service's database behind its back).

Fixture (a pytest plugin, registered by tests/conftest.py):
`concurrency_service` (session): one such server per chosen database
(2 workers, member quota 10), shared by test_concurrency.py and
test_sharing_concurrency.py.
"""

import collections
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

import pytest
import requests

from testbed import personas
from tests.support import databases
from testbed import processes
from testbed import servers as helpers

PRODUCER = personas.PRODUCER_PROJECT
CONSUMER = personas.CONSUMER_PROJECT
QUOTA = 10
WORKERS = 2
REQUEST_TIMEOUT = 30
PATCH_TYPE = 'application/openstack-images-v2.1-json-patch'


# --- a server with a config file ---------------------------------------------

class ConfServer(helpers.Server):
    """`glance-members serve --config FILE --workers N` on a free port.

    `db_url` None: the embedded SQLite in data_dir (created by serve);
    otherwise `[database] connection` (synced with glance-members-manage
    before the first start). `options` go to [DEFAULT]; `sections` is extra
    INI text appended as is.
    """

    def __init__(self, base_dir, db_url=None, workers=WORKERS, options=None,
                 sections='', static_tokens=True, port=None):
        base_dir = str(base_dir)
        data_dir = os.path.join(base_dir, 'data')
        os.makedirs(data_dir, exist_ok=True)
        if static_tokens:
            helpers.write_token_file(data_dir)
        # Short $HOME (gunicorn's control socket, if any, lives there).
        home = tempfile.mkdtemp(prefix='gm-home-')
        # Glance's rule, any member id: the tests share with made-up ids.
        super().__init__(data_dir, port or processes.free_port(),
                         os.path.join(base_dir, 'server.log'), home=home,
                         any_member_id=True)
        self.base_dir = base_dir
        self.db_url = db_url
        self.workers = workers
        self.config_path = os.path.join(base_dir, 'glance-members.conf')
        self.starts = 0
        lines = ['[DEFAULT]', 'data_dir = %s' % data_dir,
                 'bind_host = 127.0.0.1', 'bind_port = %d' % self.port,
                 'workers = %d' % workers]
        lines += ['%s = %s' % kv for kv in (options or {}).items()]
        if db_url:
            lines += ['', '[database]', 'connection = %s' % db_url]
        with open(self.config_path, 'w') as f:
            f.write('\n'.join(lines) + '\n\n' + sections)

    @property
    def sqlite_path(self):
        return os.path.join(self.data_dir, 'glance-members.sqlite')

    def db_sync(self):
        proc = subprocess.run(
            [sys.executable, '-m', 'glance_members.cmd.manage', '--config',
             self.config_path, 'db', 'sync'],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, env=helpers.child_env(),
            cwd=self.data_dir, timeout=120)
        assert proc.returncode == 0, proc.stdout
        return proc.stdout

    def argv(self):
        return [sys.executable, '-m', 'glance_members.cmd.serve', 'serve',
                '--config', self.config_path, '--workers', str(self.workers)]

    def start(self):
        if self.db_url and self.starts == 0:
            self.db_sync()
        self.starts += 1
        with open(self.log_path, 'ab') as log:
            log.write(b'\n--- start %d ---\n' % self.starts)
        super().start()
        self.wait_workers()
        return self

    def worker_pids(self):
        """gunicorn's workers: the live children of the master."""
        if self.process is None:
            return []
        return processes.children(self.process.pid)

    def wait_workers(self, timeout=30):
        deadline = time.monotonic() + timeout
        while len(self.worker_pids()) < self.workers:
            if time.monotonic() > deadline:
                raise AssertionError('%d workers expected, have %s:\n%s' % (
                    self.workers, self.worker_pids(), self.log()))
            time.sleep(0.05)

    def kill_all(self):
        """kill -9 of the whole server: the master and its workers (its own
        process group, which we started)."""
        process, self.process = self.process, None
        processes.kill_group(process)
        # Orphaned workers (if any) die with the group; wait for them.
        deadline = time.monotonic() + 10
        while processes.group_members(process.pid) and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        self._log.close()
        self._log = None

    def close(self):
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


# --- the database, read directly ---------------------------------------------

class DatabaseProbe:
    """SQL on the service's database, behind its back (read only)."""

    def __init__(self, db_url=None, sqlite_path=None):
        self.db_url = db_url
        self.sqlite_path = sqlite_path

    def rows(self, sql, params=()):
        if self.db_url and self.db_url.startswith('mysql'):
            return mysql_rows(self.db_url, sql, params)
        if self.db_url:
            import psycopg
            with psycopg.connect(self.db_url, autocommit=True,
                                 connect_timeout=10) as conn:
                return conn.execute(sql.replace('?', '%s'),
                                    params).fetchall()
        conn = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def scalar(self, sql, params=()):
        return self.rows(sql, params)[0][0]

    def orphan_members(self):
        return self.rows(
            'SELECT m.image_id, m.member FROM image_members m LEFT JOIN '
            'images i ON i.id = m.image_id WHERE i.id IS NULL')

    def live_members(self, image_id):
        return sorted(r[0] for r in self.rows(
            'SELECT member FROM image_members WHERE image_id = ? AND '
            'NOT deleted', (image_id,)))


def mysql_rows(url, sql, params=()):
    """`sql` (with ? marks) on the MariaDB database of `url`."""
    import urllib.parse

    import pymysql
    parsed = urllib.parse.urlsplit(url)
    conn = pymysql.connect(
        host=parsed.hostname, port=parsed.port, user=parsed.username,
        password=urllib.parse.unquote(parsed.password),
        database=parsed.path.lstrip('/'), autocommit=True,
        connect_timeout=10, read_timeout=30, charset='utf8mb4')
    try:
        with conn.cursor() as cursor:
            cursor.execute(sql.replace('?', '%s'), params)
            return list(cursor.fetchall())
    finally:
        conn.close()


def probe_for(server):
    return DatabaseProbe(db_url=server.db_url,
                         sqlite_path=None if server.db_url
                         else server.sqlite_path)


# --- HTTP --------------------------------------------------------------------

class Api:
    """Requests as the personas. `fresh=True` (default): a new connection
    per request, so concurrent requests really are concurrent connections."""

    def __init__(self, url, timeout=REQUEST_TIMEOUT):
        self.url = url
        self.timeout = timeout
        self._local = threading.local()

    def _session(self):
        session = getattr(self._local, 'session', None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def request(self, method, path, who='producer', body=None,
                content_type='application/json', fresh=True, timeout=None,
                token=None):
        headers = {'X-Auth-Token': token or personas.token(who),
                   'Accept': 'application/json'}
        data = None
        if body is not None:
            data = json.dumps(body)
            headers['Content-Type'] = content_type
        send = requests.request if fresh else self._session().request
        return send(method, self.url + path, data=data, headers=headers,
                    timeout=timeout or self.timeout)

    def create_image(self, who='producer', **fields):
        fields.setdefault('name', 'conc')
        fields.setdefault('visibility', 'shared')
        r = self.request('POST', '/v2/images', who, fields)
        assert r.status_code == 201, r.text
        return r.json()['id']

    def add_member(self, image_id, member, who='producer', **kw):
        return self.request('POST', '/v2/images/%s/members' % image_id, who,
                            {'member': member}, **kw)

    def set_status(self, image_id, member, status, who='consumer', **kw):
        return self.request('PUT', '/v2/images/%s/members/%s' % (
            image_id, member), who, {'status': status}, **kw)

    def delete_member(self, image_id, member, who='producer', **kw):
        return self.request('DELETE', '/v2/images/%s/members/%s' % (
            image_id, member), who, **kw)

    def members(self, image_id, who='producer'):
        r = self.request('GET', '/v2/images/%s/members' % image_id, who)
        assert r.status_code == 200, r.text
        return r.json()['members']


def concurrently(calls, timeout=120):
    """Run the zero-argument `calls` in one thread each, released together
    by a barrier; their results (or the exception raised) in order."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait(timeout=30)
        except threading.BrokenBarrierError:
            pass
        try:
            results[i] = call()
        except Exception as e:  # noqa: BLE001 - reported by the test
            results[i] = e

    threads = [threading.Thread(target=run, args=(i, c), daemon=True)
               for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.1, deadline - time.monotonic()))
    assert not any(t.is_alive() for t in threads), 'clients still running'
    return results


def status_of(result):
    """The HTTP status, or the exception's class name (no answer)."""
    return result.status_code if isinstance(result, requests.Response) \
        else type(result).__name__


def codes(results):
    return collections.Counter(status_of(r) for r in results)


# --- the shared server -------------------------------------------------------

class Service:
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.api = Api(server.url)
        self.db = probe_for(server)


@pytest.fixture(scope='session')
def concurrency_service(request, database_kind, tmp_path_factory):
    """One server per database for the session: 2 workers, quota 10."""
    with databases.new_database(request, database_kind) as db_url:
        base = tmp_path_factory.mktemp('concurrency-%s' % database_kind)
        server = ConfServer(base, db_url=db_url,
                            options={'image_member_quota': QUOTA})
        try:
            server.start()
            yield Service(database_kind, server)
        finally:
            server.close()
