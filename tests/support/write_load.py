"""A write load whose every answer is recorded client-side, and the check
that every acknowledged write is stored whole after a fault: used by
test_faults.py (killed workers and servers, PostgreSQL going away) and
test_galera.py (a node going away)."""

import threading
import time
import uuid

import requests

from testbed import personas
from tests.support.concurrency import status_of

CONSUMER = personas.CONSUMER_PROJECT
CONSUMER2 = personas.CONSUMER2_PROJECT
PROPERTIES = {'p%d' % i: 'value-%d' % i for i in range(6)}
TAGS = ['blue', 'green']
BOUND_S = 10.0   # the longest any single request may take during a fault


class WriteLoad:
    """Client threads creating images (ids chosen client-side, so even an
    unanswered create can be looked for) and sharing each; every answer is
    recorded with its start and end times."""

    def __init__(self, api, clients, members=(CONSUMER, CONSUMER2)):
        self.api = api
        self.clients = clients
        self.members = members
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.records = []   # (kind, image_id, member, code, t0, t1, text)
        self.threads = []

    def _record(self, kind, image_id, member, response, t0):
        t1 = time.monotonic()
        text = response.text[:300] if isinstance(
            response, requests.Response) else repr(response)[:300]
        with self.lock:
            self.records.append((kind, image_id, member, status_of(response),
                                 t0, t1, text))

    def _call(self, kind, image_id, member, func):
        t0 = time.monotonic()
        try:
            response = func()
        except requests.RequestException as e:
            response = e
        self._record(kind, image_id, member, response, t0)
        return response

    def _client(self):
        while not self.stop.is_set():
            image_id = str(uuid.uuid4())
            body = dict(PROPERTIES, id=image_id, name='fault',
                        visibility='shared', tags=TAGS)
            r = self._call('image', image_id, None, lambda: self.api.request(
                'POST', '/v2/images', body=body, timeout=BOUND_S * 3))
            if status_of(r) != 201:
                if not isinstance(r, requests.Response):
                    time.sleep(0.02)   # server away: do not spin
                continue
            for member in self.members:
                self._call('member', image_id, member,
                           lambda m=member: self.api.add_member(
                               image_id, m, timeout=BOUND_S * 3))

    def start(self):
        self.threads = [threading.Thread(target=self._client, daemon=True)
                        for _ in range(self.clients)]
        for t in self.threads:
            t.start()
        return self

    def finish(self, timeout=60):
        self.stop.set()
        for t in self.threads:
            t.join(timeout)
        assert not any(t.is_alive() for t in self.threads)
        return self.records

    def count(self, predicate=lambda rec: True):
        with self.lock:
            return sum(1 for rec in self.records if predicate(rec))


def acknowledged(records):
    images = {r[1] for r in records if r[0] == 'image' and r[3] == 201}
    members = {(r[1], r[2]) for r in records
               if r[0] == 'member' and r[3] == 200}
    return images, members


def check_stored(api, db, images, members):
    """Every acknowledged write is there, and nothing is half written."""
    for image_id in images:
        r = api.request('GET', '/v2/images/%s' % image_id)
        assert r.status_code == 200, (image_id, r.text)
        shown = r.json()
        assert {k: shown.get(k) for k in PROPERTIES} == PROPERTIES, shown
        assert sorted(shown['tags']) == TAGS, shown
    for image_id, member in members:
        r = api.request('GET', '/v2/images/%s/members/%s' % (
            image_id, member))
        assert r.status_code == 200, (image_id, member, r.text)
    # In the database: every image of the load whole, no member without
    # its image.
    counts = db.rows(
        'SELECT i.id, (SELECT COUNT(*) FROM image_properties p WHERE '
        'p.image_id = i.id), (SELECT COUNT(*) FROM image_tags t WHERE '
        "t.image_id = i.id) FROM images i WHERE i.name = 'fault'")
    half = [row for row in counts
            if row[1] != len(PROPERTIES) or row[2] != len(TAGS)]
    assert half == [], half
    assert db.orphan_members() == []
    stored = {row[0] for row in counts}
    assert images <= stored
    return stored
