"""/sharing/v1 invariants under concurrency, against real gunicorn workers.

The servers of test_concurrency.py (`concurrency_service`: 2 workers,
static tokens, member quota 10) on SQLite, PostgreSQL and MariaDB; requests
released together by a barrier, the database then read behind the service's
back. Every race also checks that no membership row is duplicated or
orphaned and that the history holds exactly one event per change that
succeeded.

Numbers (per database): quota 2 rounds x (4 batches of 4 members + 4 /v2
adds); trust 2 rounds x (6 batch shares + 1 trust with accept_pending);
expiry 6 rounds x (1 expiry change + 1 accept); leave 6 rounds x (1 leave
+ 1 member delete).
"""

import datetime
import uuid

import pytest

from testbed import personas
from tests.support.concurrency import QUOTA
from tests.support.concurrency import codes
from tests.support.concurrency import concurrently
from tests.support.concurrency import status_of

PRODUCER = personas.PRODUCER_PROJECT
CONSUMER = personas.CONSUMER_PROJECT


class Sharing:
    """The shared server, through /sharing/v1 and its database."""

    def __init__(self, sharing_service):
        self.server = sharing_service.server
        self.api = sharing_service.api
        self.db = sharing_service.db

    def share(self, images, members, **extra):
        return self.api.request('POST', '/sharing/v1/shares', 'producer',
                                dict(images=images, members=members,
                                     **extra))

    def shared_with_consumer(self):
        image = self.api.create_image()
        r = self.share([image], [CONSUMER])
        assert r.status_code == 200, r.text
        return image

    def status(self, image_id, member=CONSUMER):
        rows = self.db.rows(
            'SELECT status, expires_at FROM image_members WHERE '
            'image_id = ? AND member = ? AND NOT deleted', (image_id, member))
        return rows[0] if rows else None

    def events(self, image_id, member=CONSUMER):
        return [r[0] for r in self.db.rows(
            'SELECT event FROM sharing_history WHERE image_id = ? AND '
            'member_id = ? ORDER BY id', (image_id, member))]

    def assert_sound(self):
        """No duplicate membership row, none without its image."""
        assert self.db.rows(
            'SELECT image_id, member, COUNT(*) FROM image_members GROUP BY '
            'image_id, member HAVING COUNT(*) > 1') == []
        assert self.db.orphan_members() == []


@pytest.fixture
def sharing_service(concurrency_service):
    return Sharing(concurrency_service)


def _later(seconds):
    return (datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(seconds=seconds)).strftime(
                '%Y-%m-%dT%H:%M:%SZ')


def test_batch_shares_racing_at_the_quota_never_exceed_it(sharing_service):
    api = sharing_service.api
    for _ in range(2):
        image = api.create_image()
        batches = [['b%d-%s' % (i, uuid.uuid4().hex[:8]) for _ in range(4)]
                   for i in range(4)]
        singles = ['s-%s' % uuid.uuid4().hex[:8] for _ in range(4)]
        results = concurrently(
            [(lambda b=b: sharing_service.share([image], b))
             for b in batches] +
            [(lambda m=m: api.add_member(image, m)) for m in singles])
        assert set(codes(results)) <= {200, 413}, codes(results)
        live = set(sharing_service.db.live_members(image))
        assert len(live) <= QUOTA
        want = set()
        for members, r in zip(batches + [[m] for m in singles], results):
            if status_of(r) == 200:
                want.update(members)
            else:
                assert 'limit' in r.text, r.text
        # All or nothing: exactly the members of the successful requests.
        assert live == want
        assert len(live) > QUOTA - 4, live  # the quota really was reached
        for member in batches[0] + singles:
            assert sharing_service.events(image, member) == (
                ['created'] if member in live else [])
    sharing_service.assert_sound()


def test_trust_added_while_shares_arrive_leaves_none_pending(sharing_service):
    api = sharing_service.api
    for _ in range(2):
        images = [api.create_image() for _ in range(6)]
        try:
            results = concurrently(
                [(lambda i=i: sharing_service.share([i], [CONSUMER]))
                 for i in images] +
                [lambda: api.request(
                    'PUT', '/sharing/v1/trusted-producers/%s' % PRODUCER,
                    'consumer', {'accept_pending': True})])
        finally:
            r = api.request('DELETE', '/sharing/v1/trusted-producers/%s'
                            % PRODUCER, 'consumer')
            assert r.status_code in (204, 404), r.text
        assert [status_of(r) for r in results] == [200] * 7, codes(results)
        for image, r in zip(images, results):
            assert sharing_service.status(image)[0] == 'accepted'
            # Created accepted under the trust (one auto_accepted event),
            # or pending before it then accepted by accept_pending.
            events = sharing_service.events(image)
            created = r.json()['results'][0]['status']
            assert events == ({'pending': ['created', 'auto_accepted'],
                               'accepted': ['auto_accepted']}[created])
    sharing_service.assert_sound()


def test_expiry_change_racing_accept(sharing_service):
    api = sharing_service.api
    for round_ in range(6):
        image = sharing_service.shared_with_consumer()
        expires = _later(3600 + round_)
        results = concurrently([
            lambda: api.request(
                'PATCH', '/sharing/v1/images/%s/members/%s' % (
                    image, CONSUMER), 'producer', {'expires_at': expires}),
            lambda: api.set_status(image, CONSUMER, 'accepted')])
        assert [status_of(r) for r in results] == [200, 200], [
            r.text for r in results]
        status, expires_at = sharing_service.status(image)
        assert status == 'accepted'
        assert str(expires_at)[:19].replace(' ', 'T') == expires[:19]
        assert sorted(sharing_service.events(image)) == [
            'created', 'expiry_changed', 'status_changed']
    sharing_service.assert_sound()


def test_leave_racing_the_producers_delete(sharing_service):
    api = sharing_service.api
    for round_ in range(6):
        image = sharing_service.shared_with_consumer()
        if round_ % 2:
            assert api.set_status(image, CONSUMER,
                                  'accepted').status_code == 200
        results = concurrently([
            lambda: api.request('DELETE', '/sharing/v1/inbox/%s' % image,
                                'consumer'),
            lambda: api.delete_member(image, CONSUMER)])
        # Exactly one of them removed the membership; the other found none.
        assert sorted(status_of(r) for r in results) == [204, 404], [
            r.text for r in results]
        assert sharing_service.status(image) is None
        events = sharing_service.events(image)
        assert events[:-1] == ['created'] + ['status_changed'] * (round_ % 2)
        assert events[-1] == ('left' if status_of(results[0]) == 204
                              else 'removed')
        # The consumer may be added again: one live row, one more event.
        assert api.add_member(image, CONSUMER).status_code == 200
        assert len(sharing_service.events(image)) == len(events) + 1
    sharing_service.assert_sound()
