"""sharing.lifecycle on its own: the life of a membership as plain values,
no database (the storage adapters apply these under their locks; the SQL
side of expiry is held to is_expired in test_lifecycle_sql.py)."""

import datetime

import pytest

from glance_members import exception
from glance_members import records
from glance_members.sharing import lifecycle

NOW = datetime.datetime(2030, 1, 1, 12, 0, 0)
PAST = NOW - datetime.timedelta(seconds=1)
LATER = NOW + datetime.timedelta(days=1)


@pytest.mark.parametrize('expires_at, expired', [
    (None, False), (PAST, True), (NOW, True), (LATER, False)])
def test_a_share_expires_at_its_expiry(expires_at, expired):
    assert lifecycle.is_expired(expires_at, NOW) is expired


@pytest.mark.parametrize('stored, state', [
    (None, lifecycle.ABSENT),
    (lifecycle.Stored('accepted'), lifecycle.LIVE),
    (lifecycle.Stored('accepted', LATER), lifecycle.LIVE),
    (lifecycle.Stored('accepted', PAST), lifecycle.EXPIRED),
    (lifecycle.Stored('accepted', None, deleted=True), lifecycle.REMOVED),
    (lifecycle.Stored('accepted', PAST, deleted=True), lifecycle.REMOVED),
])
def test_the_state_of_a_stored_membership(stored, state):
    assert lifecycle.state(stored, NOW) == state


def test_a_new_share_waits_for_the_consumer():
    status, changes = lifecycle.arrive(None, NOW, trusted=False)
    assert status == 'pending'
    assert changes == [lifecycle.Change(records.CREATED, None,
                                        ('pending', None))]


def test_a_trusted_producers_share_arrives_accepted():
    status, changes = lifecycle.arrive(None, NOW, trusted=True,
                                       expires_at=LATER)
    assert status == 'accepted'
    assert changes == [lifecycle.Change(records.AUTO_ACCEPTED, None,
                                        ('accepted', LATER))]


def test_a_live_share_cannot_arrive_again():
    with pytest.raises(exception.Duplicate):
        lifecycle.arrive(lifecycle.Stored('rejected', LATER), NOW, False)


def test_a_revived_share_starts_afresh():
    # Rejected, then removed: added again it is pending, with no expiry.
    status, changes = lifecycle.arrive(
        lifecycle.Stored('rejected', LATER, deleted=True), NOW, False)
    assert status == 'pending'
    assert changes == [lifecycle.Change(records.CREATED, None,
                                        ('pending', None))]


def test_an_expired_share_is_recorded_as_expired_before_it_revives():
    status, changes = lifecycle.arrive(lifecycle.Stored('accepted', PAST),
                                       NOW, False)
    assert status == 'pending'
    assert [c.event for c in changes] == [records.EXPIRED, records.CREATED]
    assert changes[0].before == ('accepted', PAST)


@pytest.mark.parametrize('quota, attempted, over', [
    (-1, 10 ** 6, False), (0, 1, True), (2, 2, False), (2, 3, True)])
def test_the_member_quota(quota, attempted, over):
    assert lifecycle.is_over_quota(quota, attempted) is over
    if over:
        with pytest.raises(exception.OverLimit) as e:
            lifecycle.check_member_quota(quota, attempted)
        assert e.value.attempted == attempted
    else:
        lifecycle.check_member_quota(quota, attempted)


def test_a_decision_is_a_change_unless_it_is_one_already():
    stored = lifecycle.Stored('pending', LATER)
    assert lifecycle.decide(stored, 'pending') is None
    assert lifecycle.decide(stored, 'rejected') == lifecycle.Change(
        records.STATUS_CHANGED, ('pending', LATER), ('rejected', LATER))
    # Any status may follow any other: a rejected share can be accepted.
    assert lifecycle.decide(lifecycle.Stored('rejected'), 'accepted').after \
        == ('accepted', None)


def test_trust_accepts_pending_shares_only():
    assert lifecycle.accept_on_trust(lifecycle.Stored('rejected')) is None
    assert lifecycle.accept_on_trust(lifecycle.Stored('accepted')) is None
    assert lifecycle.accept_on_trust(lifecycle.Stored('pending')).event == \
        records.AUTO_ACCEPTED


def test_an_ended_share_says_how_it_ended():
    live = lifecycle.Stored('accepted', LATER)
    assert lifecycle.end(live, NOW).event == records.REMOVED
    assert lifecycle.end(live, NOW, records.LEFT).event == records.LEFT
    assert lifecycle.end(lifecycle.Stored('accepted', PAST), NOW,
                         records.LEFT).event == records.EXPIRED
    assert lifecycle.end(None, NOW) is None
    assert lifecycle.end(lifecycle.Stored('accepted', deleted=True),
                         NOW) is None


def test_an_expiry_change():
    stored = lifecycle.Stored('accepted', LATER)
    assert lifecycle.change_expiry(stored, LATER) is None
    assert lifecycle.change_expiry(stored, None) == lifecycle.Change(
        records.EXPIRY_CHANGED, ('accepted', LATER), ('accepted', None))


def test_the_served_member_schemas_list_the_statuses_there_are():
    # Glance's documents are served byte for byte: stored, not generated,
    # so they are held to the one list here.
    from glance_members.schemas import documents
    member = documents.parsed('member')
    listed = documents.parsed('members')['properties']['members']['items']
    for schema in (member, listed):
        assert tuple(schema['properties']['status']['enum']) == \
            lifecycle.STATUSES
