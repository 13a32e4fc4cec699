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

The server, its client and the database probe: tests/support/concurrency.py.
"""

import collections
import random
import threading
import time
import uuid

import requests

from testbed import personas
from tests.support.concurrency import CONSUMER
from tests.support.concurrency import PATCH_TYPE
from tests.support.concurrency import QUOTA
from tests.support.concurrency import codes
from tests.support.concurrency import concurrently
from tests.support.concurrency import status_of


# --- (a) the member quota ----------------------------------------------------

def test_quota_holds_under_concurrent_adds(concurrency_service):
    api, db = concurrency_service.api, concurrency_service.db
    for _ in range(3):
        image_id = api.create_image()
        wanted = ['q-%s' % uuid.uuid4().hex for _ in range(40)]
        results = concurrently([
            (lambda m=m: api.add_member(image_id, m)) for m in wanted])
        counts = codes(results)
        accepted = sorted(m for m, r in zip(wanted, results)
                          if status_of(r) == 200)
        assert counts == {200: QUOTA, 413: 40 - QUOTA}, (
            counts, concurrency_service.server.log())
        for r in results:
            if status_of(r) == 413:
                assert 'limit' in r.json()['message'].lower() or \
                    'exceeded' in r.text, r.text
        assert db.live_members(image_id) == accepted
        assert sorted(m['member_id'] for m in api.members(image_id)) == \
            accepted


# --- (b) the same member, many times at once ---------------------------------

def test_concurrent_adds_of_one_member_one_wins(concurrency_service):
    api, db = concurrency_service.api, concurrency_service.db
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

def test_status_update_never_resurrects_a_deleted_member(concurrency_service):
    api, db = concurrency_service.api, concurrency_service.db
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
        concurrency_service.name, dict(update_codes)))
    # Both outcomes happened: the race was real (not all before, not all
    # after the delete).
    assert update_codes[200] and update_codes[404], update_codes


# --- (d) an image delete racing member adds ----------------------------------

def test_image_delete_racing_adds_leaves_no_orphans(concurrency_service):
    api, db = concurrency_service.api, concurrency_service.db
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
        assert set(adds) <= {200, 403, 404}, (adds,
                                              concurrency_service.server.log())
        assert api.request('GET', '/v2/images/%s' % image_id).status_code \
            == 404
        assert db.scalar('SELECT COUNT(*) FROM image_members WHERE '
                         'image_id = ?', (image_id,)) == 0
    print('image delete vs adds on %s: 10 deletes, adds %s' % (
        concurrency_service.name, dict(add_codes)))
    assert db.orphan_members() == []
    assert add_codes[200] + add_codes[404] + add_codes[403] == 10 * (QUOTA - 1)


# --- (e) a write-heavy mix: no 5xx, never "database is locked" ---------------

def test_write_heavy_mix_never_5xx(concurrency_service):
    api = concurrency_service.api
    if concurrency_service.name == 'sqlite':
        assert concurrency_service.db.scalar('PRAGMA journal_mode') == 'wal'
    assert len(concurrency_service.server.worker_pids()) >= 2
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
        concurrency_service.name, total, dict(seen)))
    assert not failures, (failures[:10], concurrency_service.server.log())
    assert total > 100, seen
    writes = sum(n for (label, code), n in seen.items()
                 if label != 'list' and isinstance(code, int) and code < 300)
    assert writes > 50, seen
