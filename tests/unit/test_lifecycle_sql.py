"""The one rule SQL must apply itself, held to its single statement: which
memberships are live (sharing.lifecycle.is_expired). Every read and count
that filters in SQL answers, on each database, what the Python statement
says for expiries just before, at and after the moment asked about; a
change to either side that the other does not follow fails here."""

import datetime
import uuid

import pytest

from glance_members import records
from glance_members.db import models
from glance_members.db import sharing_v1
from glance_members.sharing import lifecycle

OWNER = 'producer-project'
NOW = datetime.datetime(2030, 1, 1, 12, 0, 0)
# member id -> its expiry: past, the very moment, future, none.
EXPIRIES = {
    'm-before': NOW - datetime.timedelta(microseconds=1),
    'm-at': NOW,
    'm-after': NOW + datetime.timedelta(microseconds=1),
    'm-never': None,
}


@pytest.fixture
def shares(app, monkeypatch):
    """One image shared with each member of EXPIRIES, as of NOW."""
    repo = app.extensions['glance_members'].repo
    image = repo.create_image(records.Image(id=str(uuid.uuid4()),
                                            owner=OWNER, visibility='shared'))
    for member_id, expires_at in EXPIRIES.items():
        repo.add_member(image.id, member_id, quota=-1)
        if expires_at is not None:
            repo.set_expiry(image.id, member_id, expires_at)
    monkeypatch.setattr(records, 'utcnow', lambda: NOW)
    return repo, image


def _live_by_rule():
    return {m for m, e in EXPIRIES.items()
            if not lifecycle.is_expired(e, NOW)}


def test_the_sql_statements_agree_with_the_rule(shares):
    repo, _ = shares
    Member = models.ImageMember
    live = {row[0] for row in Member.select(Member.member).where(
        sharing_v1.live(NOW)).tuples().execute(repo.database)}
    expired = {row[0] for row in Member.select(Member.member).where(
        sharing_v1.expired(NOW)).tuples().execute(repo.database)}
    assert live == _live_by_rule()
    assert expired == set(EXPIRIES) - _live_by_rule()


def test_every_read_and_count_follows_the_rule(shares):
    repo, image = shares
    assert {m.member_id for m in repo.list_members(image.id)} == \
        _live_by_rule()
    assert {s.member_id for s in repo.list_image_shares(image.id)} == \
        _live_by_rule()
    for member_id in EXPIRIES:
        assert (repo.get_member(image.id, member_id) is not None) == \
            (member_id in _live_by_rule())
        assert sum(repo.count_inbox(member_id).values()) == \
            (member_id in _live_by_rule())
        assert [s.image_id for s in repo.list_inbox(member_id, None, 10)] \
            == ([image.id] if member_id in _live_by_rule() else [])


def test_purge_takes_what_the_rule_calls_expired(shares):
    repo, image = shares
    assert repo.purge_expired(now=NOW) == len(EXPIRIES) - len(
        _live_by_rule())
    assert {m.member_id for m in repo.find_memberships(image.id)} == \
        _live_by_rule()
