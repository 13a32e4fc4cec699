"""Invariants under concurrency, against real gunicorn workers.

One `glance-members serve --config FILE --workers 2` per database (the
embedded SQLite in WAL mode; PostgreSQL and MariaDB: a fresh database of
the test server, `glance-members-manage db sync` first), static tokens, and
`image_member_quota = 10`. Many client threads fire at once (a barrier
releases them together, each request on its own connection) and the answers
are checked against what the database holds (read directly: sqlite3 on the
file, psycopg on PostgreSQL, PyMySQL on MariaDB).

Numbers (per database):

* quota: 3 images x 40 concurrent adds of distinct members (40 threads);
* duplicate: 3 images x 16 concurrent adds of the same member;
* status update vs member delete: 30 rounds of 1 delete racing 4 consumers
  that each send 3 status updates;
* image delete vs member adds: 10 rounds of 1 image delete racing 9 adds;
* write-heavy mix: 8 clients for 4 s (creates, patches, member adds, status
  updates, member and image deletes, lists): no 5xx at all.

The helpers here (ConfServer, DatabaseProbe, Api, concurrently) are also used
by test_faults.py and test_multi_host.py.
"""

import collections
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import pytest
import requests

from tests import personas
from tests.support import processes
from tests.support import servers as helpers

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
        return children(self.process.pid)

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
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        self._log.close()
        self._log = None

    def close(self):
        self.stop()
        shutil.rmtree(self.home, ignore_errors=True)


def children(pid):
    """Live (non-zombie) child pids of `pid`, from /proc."""
    found = []
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        if fields[0] != 'Z' and int(fields[1]) == pid:
            found.append(int(entry))
    return sorted(found)


def _group_alive(pgid):
    for entry in os.listdir('/proc'):
        if not entry.isdigit():
            continue
        try:
            with open('/proc/%s/stat' % entry) as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rfind(')') + 2:].split()
        if fields[0] != 'Z' and int(fields[2]) == pgid:
            return True
    return False


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


# --- fixtures ----------------------------------------------------------------

class Service:
    def __init__(self, name, server):
        self.name = name
        self.server = server
        self.api = Api(server.url)
        self.db = probe_for(server)


@pytest.fixture(scope='module', params=['sqlite', 'postgresql', 'mariadb'])
def service(request, tmp_path_factory):
    """One server per database for the module: 2 workers, quota 10."""
    db_url = None
    cluster = None
    if request.param != 'sqlite':
        cluster = request.getfixturevalue(
            {'postgresql': 'postgresql_cluster',
             'mariadb': 'mariadb_server'}[request.param])
        db_url = cluster.create_database()
    base = tmp_path_factory.mktemp('concurrency-%s' % request.param)
    server = ConfServer(base, db_url=db_url,
                        options={'image_member_quota': QUOTA})
    try:
        server.start()
        yield Service(request.param, server)
    finally:
        server.close()
        if cluster is not None:
            cluster.drop_database(db_url)


# --- (a) the member quota ----------------------------------------------------

def test_quota_holds_under_concurrent_adds(service):
    api, db = service.api, service.db
    for _ in range(3):
        image_id = api.create_image()
        wanted = ['q-%s' % uuid.uuid4().hex for _ in range(40)]
        results = concurrently([
            (lambda m=m: api.add_member(image_id, m)) for m in wanted])
        counts = codes(results)
        accepted = sorted(m for m, r in zip(wanted, results)
                          if status_of(r) == 200)
        assert counts == {200: QUOTA, 413: 40 - QUOTA}, (
            counts, service.server.log())
        for r in results:
            if status_of(r) == 413:
                assert 'limit' in r.json()['message'].lower() or \
                    'exceeded' in r.text, r.text
        assert db.live_members(image_id) == accepted
        assert sorted(m['member_id'] for m in api.members(image_id)) == \
            accepted


# --- (b) the same member, many times at once ---------------------------------

def test_concurrent_adds_of_one_member_one_wins(service):
    api, db = service.api, service.db
    for _ in range(3):
        image_id = api.create_image()
        results = concurrently([
            (lambda: api.add_member(image_id, CONSUMER)) for _ in range(16)])
        assert codes(results) == {200: 1, 409: 15}, codes(results)
        assert db.scalar('SELECT COUNT(*) FROM image_members WHERE '
                         'image_id = ? AND member = ?',
                         (image_id, CONSUMER)) == 1
        assert [m['member_id'] for m in api.members(image_id)] == [CONSUMER]


# --- (c) a status update racing a member delete ------------------------------

def test_status_update_never_resurrects_a_deleted_member(service):
    api, db = service.api, service.db
    image_id = api.create_image()
    update_codes = collections.Counter()
    for round_ in range(30):
        r = api.add_member(image_id, CONSUMER)
        assert r.status_code == 200, r.text
        if round_ % 2:
            # Half the rounds start from an accepted membership.
            assert api.set_status(image_id, CONSUMER,
                                  'accepted').status_code == 200

        def updater(first):
            answers = []
            for i in range(3):
                status = ('accepted', 'rejected')[(first + i) % 2]
                answers.append(status_of(api.set_status(
                    image_id, CONSUMER, status)))
            return answers

        def deleter():
            time.sleep(random.uniform(0, 0.02))
            return api.delete_member(image_id, CONSUMER)

        results = concurrently([deleter] + [
            (lambda k=k: updater(k)) for k in range(4)])
        assert status_of(results[0]) == 204, results[0]
        for answers in results[1:]:
            assert isinstance(answers, list), answers
            update_codes.update(answers)
            assert set(answers) <= {200, 404}, answers
        # After the delete's 204: gone for everyone, everywhere.
        path = '/v2/images/%s/members/%s' % (image_id, CONSUMER)
        for who in ('producer', 'consumer'):
            r = api.request('GET', path, who)
            assert r.status_code == 404, (round_, who, r.text)
        assert CONSUMER not in [m['member_id'] for m in api.members(image_id)]
        r = api.request('GET', '/v2/images?member_status=all', 'consumer')
        assert image_id not in [i['id'] for i in r.json()['images']]
        assert db.live_members(image_id) == []
        # A late update still finds nothing to update.
        assert api.set_status(image_id, CONSUMER,
                              'accepted').status_code == 404
        assert db.live_members(image_id) == []
    print('status update vs delete on %s: 30 deletes, updates %s' % (
        service.name, dict(update_codes)))
    # Both outcomes happened: the race was real (not all before, not all
    # after the delete).
    assert update_codes[200] and update_codes[404], update_codes


# --- (d) an image delete racing member adds ----------------------------------

def test_image_delete_racing_adds_leaves_no_orphans(service):
    api, db = service.api, service.db
    add_codes = collections.Counter()
    for _ in range(10):
        image_id = api.create_image()
        members = ['d-%s' % uuid.uuid4().hex for _ in range(QUOTA - 1)]

        def deleter():
            time.sleep(random.uniform(0, 0.03))
            return api.request('DELETE', '/v2/images/%s' % image_id)

        results = concurrently([deleter] + [
            (lambda m=m: api.add_member(image_id, m)) for m in members])
        assert status_of(results[0]) == 204, results[0]
        adds = codes(results[1:])
        add_codes.update(adds)
        assert set(adds) <= {200, 403, 404}, (adds, service.server.log())
        assert api.request('GET', '/v2/images/%s' % image_id).status_code \
            == 404
        assert db.scalar('SELECT COUNT(*) FROM image_members WHERE '
                         'image_id = ?', (image_id,)) == 0
    print('image delete vs adds on %s: 10 deletes, adds %s' % (
        service.name, dict(add_codes)))
    assert db.orphan_members() == []
    assert add_codes[200] + add_codes[404] + add_codes[403] == 10 * (QUOTA - 1)


# --- (e) a write-heavy mix: no 5xx, never "database is locked" ---------------

def test_write_heavy_mix_never_5xx(service):
    api = service.api
    if service.name == 'sqlite':
        assert service.db.scalar('PRAGMA journal_mode') == 'wal'
    assert len(service.server.worker_pids()) >= 2
    stop = threading.Event()
    seen = collections.Counter()
    failures = []
    lock = threading.Lock()

    def record(label, response):
        code = status_of(response)
        with lock:
            seen[(label, code)] += 1
            if not isinstance(code, int) or code >= 500 or \
                    'database is locked' in response.text:
                failures.append((label, code, getattr(response, 'text',
                                                      '')[:300]))

    def client(seed):
        rnd = random.Random(seed)
        mine = []   # [image_id, [members]]
        while not stop.is_set():
            op = rnd.choices(
                ['create', 'patch', 'add', 'status', 'unshare', 'delete',
                 'list'], [25, 15, 25, 15, 8, 5, 7])[0]
            try:
                if op == 'create' or not mine:
                    r = api.request('POST', '/v2/images', body={
                        'name': 'mix-%d' % seed, 'visibility': 'shared',
                        'p1': 'v', 'p2': 'v'}, fresh=False)
                    record('create', r)
                    if r.status_code == 201:
                        mine.append([r.json()['id'], []])
                    continue
                image_id, members = rnd.choice(mine)
                if op == 'patch':
                    r = api.request(
                        'PATCH', '/v2/images/%s' % image_id, body=[{
                            'op': 'add', 'path': '/k%d' % rnd.randint(0, 9),
                            'value': str(rnd.random())}],
                        content_type=PATCH_TYPE, fresh=False)
                elif op == 'add':
                    member = rnd.choice([CONSUMER, personas.CONSUMER2_PROJECT,
                                         'mix-%d' % rnd.randint(0, 20)])
                    r = api.add_member(image_id, member, fresh=False)
                    if r.status_code == 200:
                        members.append(member)
                elif op == 'status':
                    r = api.set_status(image_id, CONSUMER, rnd.choice(
                        ['accepted', 'rejected', 'pending']), fresh=False)
                elif op == 'unshare' and members:
                    r = api.delete_member(image_id, members.pop(),
                                          fresh=False)
                elif op == 'delete':
                    r = api.request('DELETE', '/v2/images/%s' % image_id,
                                    fresh=False)
                    mine.remove([image_id, members])
                else:
                    op = 'list'
                    r = api.request('GET', '/v2/images?limit=20',
                                    'consumer', fresh=False)
                record(op, r)
            except requests.RequestException as e:
                record(op, e)

    threads = [threading.Thread(target=client, args=(i,), daemon=True)
               for i in range(8)]
    for t in threads:
        t.start()
    time.sleep(4)
    stop.set()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    total = sum(seen.values())
    print('write-heavy mix on %s: %d requests: %s' % (
        service.name, total, dict(seen)))
    assert not failures, (failures[:10], service.server.log())
    assert total > 100, seen
    writes = sum(n for (label, code), n in seen.items()
                 if label != 'list' and isinstance(code, int) and code < 300)
    assert writes > 50, seen
