"""Faults: killed workers and servers, a database and a Keystone that go away.

* kill -9 of one gunicorn worker in the middle of a write load (8 client
  threads creating images with 6 properties and 2 tags, then sharing each
  with 2 members; every answer recorded client-side), then kill -9 of the
  whole server (master and workers), a restart on the same database: every
  write acknowledged with a 2xx is there, and no image or member is half
  written (every image has all its properties and tags; no member of a
  missing image). On SQLite and on PostgreSQL.
* PostgreSQL going away (`pg_ctl stop -m immediate` of a cluster private to
  the test) during a write load of 4 clients: 503 with Glance's body within
  10 s per request, never a 500, never a 2xx for a write sent while it was
  away; `pg_ctl start` again and the service recovers by itself (no
  restart): the next requests are 2xx and every acknowledged write is
  stored. Then a second immediate stop and start with no traffic at all
  (stale pooled connections): the next 15 requests are 2xx.
* Keystone going away (the session's test Keystone, stopped and started
  again by its own tooling): 503 within 10 s for tokens not validated before
  (read, write, unknown), the validated one still served from the token
  cache, no write done, and recovery by itself (no restart of ours).
"""

import collections
import os
import shutil
import signal
import time

import pytest

from testbed import personas
from testbed import postgresql as pg
from testbed import processes
from testbed.keystone_service import start_service
from tests.support import databases
from tests.support.concurrency import Api
from tests.support.concurrency import ConfServer
from tests.support.concurrency import probe_for
from tests.support.write_load import BOUND_S
from tests.support.write_load import WriteLoad
from tests.support.write_load import acknowledged
from tests.support.write_load import check_stored

CONSUMER = personas.CONSUMER_PROJECT
CONSUMER2 = personas.CONSUMER2_PROJECT


def assert_glance_503(response):
    assert response.status_code == 503, (response.status_code,
                                         response.text[:500])
    body = response.json()
    assert body['code'] == '503 Service Unavailable', body
    assert body['title'] == 'Service Unavailable', body
    assert body['message'], body


# --- (a) kill -9 of a worker, then of the whole server -----------------------

def test_kill_9_loses_no_acknowledged_write(database_kind, request, tmp_path):
    database = database_kind
    db_url = None
    if database != 'sqlite':
        db_url = request.getfixturevalue('fresh_%s_url' % database)
    server = ConfServer(tmp_path, db_url=db_url, workers=2)
    load = None
    try:
        server.start()
        api, db = Api(server.url), probe_for(server)
        load = WriteLoad(api, clients=8).start()
        time.sleep(1.5)
        victim = server.worker_pids()[0]
        os.kill(victim, signal.SIGKILL)
        killed_at = time.monotonic()
        # gunicorn's master replaces it; the load goes on meanwhile.
        deadline = time.monotonic() + 20
        while victim in server.worker_pids() or \
                len(server.worker_pids()) < 2:
            assert time.monotonic() < deadline, server.log()
            time.sleep(0.05)
        time.sleep(1.5)
        server.kill_all()
        records = load.finish()
        images, members = acknowledged(records)
        answers = collections.Counter(r[3] for r in records)
        print('kill -9 on %s: %d requests (%d images and %d members '
              'acknowledged), answers %s' % (
                  database, len(records), len(images), len(members),
                  dict(answers)))
        # Nothing but success or a broken connection: never a 5xx.
        bad = [r for r in records
               if isinstance(r[3], int) and r[3] not in (200, 201)]
        assert bad == [], bad[:10]
        assert len(images) > 20 and len(members) > 20, answers
        # It kept acknowledging writes after the worker died.
        assert any(r[3] in (200, 201) and r[4] > killed_at + 0.2
                   for r in records), 'no write acknowledged after the kill'
        server.start()
        stored = check_stored(api, db, images, members)
        unanswered = {r[1] for r in records
                      if r[0] == 'image' and not isinstance(r[3], int)}
        print('  %d creates unanswered, %d of them stored (whole)' % (
            len(unanswered), len(unanswered & stored)))
        # It still works.
        image_id = api.create_image()
        assert api.add_member(image_id, CONSUMER).status_code == 200
    finally:
        if load is not None:
            load.stop.set()
        server.close()


# --- (b) PostgreSQL going away -----------------------------------------------

def _pg_stop_immediate(cluster):
    cluster._run('pg_ctl', '-D', cluster.datadir, '-m', 'immediate', '-w',
                 'stop')
    cluster.running = False
    if cluster._admin is not None:
        try:
            cluster._admin.close()
        except Exception:  # noqa: BLE001 - the server is gone
            pass
        cluster._admin = None


def _pg_start_again(cluster):
    """The same cluster on the same port (synchronous_commit on: the
    default, so an acknowledged commit survives an immediate stop)."""
    opts = ('-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off '
            '-c full_page_writes=off -c max_connections=300'
            % (cluster.port, cluster.sockdir))
    cluster._run('pg_ctl', '-D', cluster.datadir, '-l', cluster.logfile,
                 '-o', opts, '-w', '-t', '60', 'start')
    cluster.running = True


@pytest.fixture
def private_cluster(request):
    """A PostgreSQL cluster of this test alone: it is stopped under load."""
    databases.require(request.config, 'postgresql')
    try:
        cluster = pg.Cluster().start()
    except pg.Unavailable as e:
        processes.unavailable('PostgreSQL', str(e))
    try:
        yield cluster
    finally:
        cluster.stop()


def test_postgresql_going_away_is_503_and_recovers(private_cluster, tmp_path):
    cluster = private_cluster
    db_url = cluster.create_database()
    # The test cluster runs with synchronous_commit off (speed); here an
    # acknowledged commit must survive the immediate stop.
    cluster.admin_execute('ALTER DATABASE "%s" SET synchronous_commit = on'
                          % db_url.rsplit('/', 1)[1])
    server = ConfServer(tmp_path, db_url=db_url, workers=2)
    load = None
    try:
        server.start()
        api, db = Api(server.url, timeout=BOUND_S * 3), probe_for(server)
        seed = api.create_image()
        assert api.add_member(seed, CONSUMER).status_code == 200
        load = WriteLoad(api, clients=4).start()
        time.sleep(1.0)
        _pg_stop_immediate(cluster)
        stopped_at = time.monotonic()
        # Away: every kind of request is a Glance 503, quickly.
        outage = []
        for method, path, who, body in [
                ('GET', '/v2/images', 'producer', None),
                ('GET', '/v2/images/%s' % seed, 'producer', None),
                ('GET', '/v2/images/%s/members' % seed, 'producer', None),
                ('POST', '/v2/images', 'producer', {'name': 'away'}),
                ('POST', '/v2/images/%s/members' % seed, 'producer',
                 {'member': CONSUMER2}),
                ('PUT', '/v2/images/%s/members/%s' % (seed, CONSUMER),
                 'consumer', {'status': 'accepted'}),
                ('DELETE', '/v2/images/%s/members/%s' % (seed, CONSUMER),
                 'producer', None),
                ('DELETE', '/v2/images/%s' % seed, 'producer', None)] * 2:
            t0 = time.monotonic()
            r = api.request(method, path, who, body)
            outage.append((method, path, time.monotonic() - t0))
            assert time.monotonic() - t0 < BOUND_S, (method, path)
            assert_glance_503(r)
        time.sleep(1.0)
        restart_at = time.monotonic()
        _pg_start_again(cluster)
        # Back: the service recovers by itself, no restart.
        master = server.process.pid
        deadline = time.monotonic() + 20
        after = []
        while True:
            r = api.request('GET', '/v2/images/%s' % seed)
            after.append(r.status_code)
            if r.status_code == 200:
                break
            assert r.status_code == 503, r.text
            assert time.monotonic() < deadline, after
            time.sleep(0.2)
        recovered_at = time.monotonic()
        # ... and stays up: the next requests (reads and writes) are 2xx.
        for i in range(10):
            assert api.request('GET', '/v2/images').status_code == 200
            image_id = api.create_image(name='back-%d' % i)
            r = api.add_member(image_id, CONSUMER)
            assert r.status_code == 200, r.text
        time.sleep(0.5)
        records = load.finish()
        assert server.process.pid == master
        answers = collections.Counter(r[3] for r in records)
        print('postgresql away: %d load requests %s; %d probes while away '
              '(slowest %.2f s); answers right after the restart %s' % (
                  len(records), dict(answers), len(outage),
                  max(t for _, _, t in outage), after))
        # Never a 500, never slow.
        assert not [r for r in records if isinstance(r[3], int) and
                    r[3] not in (200, 201, 503)], answers
        slow = [r for r in records if r[5] - r[4] > BOUND_S]
        assert slow == [], slow[:5]
        # A write sent while it was away was never acknowledged.
        away = [r for r in records if r[4] > stopped_at and
                r[5] < restart_at and r[3] in (200, 201)]
        assert away == [], away[:5]
        assert answers[503] > 0, answers
        # The load recovered too: writes acknowledged after the restart,
        # and nothing but 2xx once the service answered again.
        assert any(r[3] == 201 and r[4] > restart_at for r in records)
        late = [r for r in records if r[4] > recovered_at and
                r[3] not in (200, 201)]
        assert late == [], late[:5]
        images, members = acknowledged(records)
        check_stored(api, db, images, members)

        # Away again while nobody asks (the pooled connections go stale
        # unused): once it is back, the very next requests are 2xx.
        _pg_stop_immediate(cluster)
        time.sleep(0.5)
        _pg_start_again(cluster)
        quiet = [api.request('GET', '/v2/images').status_code
                 for _ in range(10)]
        quiet += [api.request('POST', '/v2/images/%s/members' % image_id,
                              body={'member': 'quiet-%d' % i}).status_code
                  for i in range(5)]
        assert quiet == [200] * 15, quiet
        assert server.process.pid == master
    finally:
        if load is not None:
            load.stop.set()
        server.close()


# --- (c) Keystone going away -------------------------------------------------

def test_keystone_going_away_is_503_for_unvalidated_tokens(keystone,
                                                           tmp_path):
    """The session's Keystone is stopped and started again by its own
    tooling (KeystoneServer.stop/start: same work directory, port, database
    and fernet keys, so every token stays valid)."""
    stack = keystone
    # One worker: keystonemiddleware's in-process token cache is per worker.
    service = start_service(stack, str(tmp_path), workers=1, register=False)
    try:
        api = Api(service.url, timeout=BOUND_S * 3)
        validated = stack.token('producer')
        r = api.request('POST', '/v2/images', token=validated,
                        body={'name': 'before', 'visibility': 'shared'})
        assert r.status_code == 201, r.text
        image_id = r.json()['id']
        fresh = stack.token('consumer')
        fresh_producer = stack.token('producer')
        master = service.server.process.pid

        assert stack.server.stop()
        try:
            for method, path, token, body in [
                    ('GET', '/v2/images', fresh, None),
                    ('POST', '/v2/images/%s/members' % image_id,
                     fresh_producer, {'member': fresh.project_id}),
                    ('GET', '/v2/images', 'never-seen-token', None)]:
                t0 = time.monotonic()
                r = api.request(method, path, token=token, body=body)
                elapsed = time.monotonic() - t0
                assert elapsed < BOUND_S, (method, path, elapsed)
                assert_glance_503(r)
            # The token validated before is still served from the cache.
            r = api.request('GET', '/v2/images/%s' % image_id,
                            token=validated)
            assert r.status_code == 200, r.text
            # The refused write wrote nothing.
            r = api.request('GET', '/v2/images/%s/members' % image_id,
                            token=validated)
            assert r.status_code == 200 and r.json()['members'] == [], r.text
        finally:
            stack.server.start()
            assert stack.server.answers(), 'the session Keystone is not back'
        # Keystone is back: the same tokens work, no restart of ours.
        deadline = time.monotonic() + 30
        while True:
            r = api.request('GET', '/v2/images', token=fresh)
            if r.status_code == 200:
                break
            assert r.status_code == 503, r.text
            assert time.monotonic() < deadline, r.text
            time.sleep(0.5)
        r = api.request('POST', '/v2/images/%s/members' % image_id,
                        token=fresh_producer,
                        body={'member': fresh.project_id})
        assert r.status_code == 200, r.text
        assert service.server.process.pid == master
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)
