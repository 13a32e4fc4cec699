"""The mirror's diff (sharing.mirroring.plan_image) and its application
(db.mirror.MirrorStore) on SQLite, with no server: what changes, what the
history says, replay, stale snapshots, images made private or gone."""

import datetime

import pytest

from glance_members import db
from glance_members import records
from glance_members.db import mirror as db_mirror
from glance_members.sharing import mirroring

T0 = datetime.datetime(2026, 1, 2, 3, 4, 5)
NOW = T0 + datetime.timedelta(hours=1)
IMAGE = '11111111-2222-3333-4444-555555555555'


def _image(visibility='shared', name='img', updated=T0):
    return records.Image(id=IMAGE, owner='producer', name=name,
                         visibility=visibility, status='active',
                         disk_format='raw', container_format='bare',
                         size=5, created_at=T0, updated_at=updated)


def _member(member_id, status='pending', at=T0):
    return records.Member(IMAGE, member_id, status, at, at)


def _row(member_id, status='pending', deleted=False, expires_at=None):
    return mirroring.Row(member_id, status, deleted, T0, T0, expires_at)


def _flat(plan):
    """The plan's history changes as (member, event, before, after)."""
    return [(m, c.event, c.before, c.after) for m, c in plan.changes]


def _events(plan):
    return [(m, e) for m, e, _, _ in _flat(plan)]


def test_new_image_and_members_are_inserted_and_recorded_created():
    plan = mirroring.plan_image(IMAGE, None, {}, _image(),
                                [_member('a'), _member('b', 'accepted')], NOW)
    assert plan.image == 'insert'
    assert [(op, m) for op, m, _ in plan.members] == [('insert', 'a'),
                                                      ('insert', 'b')]
    assert _events(plan) == [('a', 'created'), ('b', 'created')]
    assert _flat(plan)[1][3] == ('accepted', None)
    assert plan.owner == 'producer'


def test_the_same_truth_twice_plans_nothing():
    rows = {'a': _row('a')}
    plan = mirroring.plan_image(IMAGE, _image(), rows, _image(),
                                [_member('a')], NOW)
    assert plan.empty and _flat(plan) == []


def test_status_change_keeps_the_expiry_in_the_history():
    expires = NOW + datetime.timedelta(days=1)
    plan = mirroring.plan_image(
        IMAGE, _image(), {'a': _row('a', expires_at=expires)}, _image(),
        [_member('a', 'accepted')], NOW)
    assert plan.members[0][:2] == ('update', 'a')
    assert _flat(plan) == [('a', 'status_changed', ('pending', expires),
                            ('accepted', expires))]


def test_member_missing_in_glance_is_removed_or_expired():
    past = NOW - datetime.timedelta(minutes=1)
    rows = {'a': _row('a', 'accepted'), 'b': _row('b', expires_at=past),
            'c': _row('c', deleted=True)}
    plan = mirroring.plan_image(IMAGE, _image(), rows, _image(), [], NOW)
    assert [(op, m) for op, m, _ in plan.members] == [('delete', 'a'),
                                                      ('delete', 'b')]
    assert _events(plan) == [('a', 'removed'), ('b', 'expired')]


def test_a_removed_member_back_in_glance_is_revived():
    plan = mirroring.plan_image(IMAGE, _image(),
                                {'a': _row('a', 'accepted', deleted=True)},
                                _image(), [_member('a')], NOW)
    assert plan.members[0][:2] == ('revive', 'a')
    assert _events(plan) == [('a', 'created')]


def test_image_made_private_keeps_its_members_hidden():
    plan = mirroring.plan_image(IMAGE, _image(), {'a': _row('a')},
                                _image('private'), None, NOW)
    assert plan.image == 'update' and plan.image_shared is False
    assert plan.members == [] and _flat(plan) == []


def test_image_gone_removes_its_live_members():
    plan = mirroring.plan_image(IMAGE, _image(), {
        'a': _row('a'), 'c': _row('c', deleted=True)}, None, None, NOW)
    assert plan.image == 'delete'
    assert _events(plan) == [('a', 'removed')]
    assert mirroring.plan_image(IMAGE, None, {}, None, None, NOW).empty


def test_is_stale_only_for_an_older_read():
    snap = mirroring.Snapshot(IMAGE, T0, None, None)
    assert not mirroring.is_stale(snap, None)
    assert not mirroring.is_stale(snap, T0)
    assert mirroring.is_stale(snap, T0 + datetime.timedelta(microseconds=1))


# --- applied to a database -------------------------------------------------

@pytest.fixture
def store(tmp_path):
    database = db.connect('sqlite:///%s' % (tmp_path / 'mirror.sqlite'))
    db.create_schema(database)
    yield db_mirror.MirrorStore(db.make_repository(database))
    database.close()


def _snap(read_at, image=None, members=None):
    return mirroring.Snapshot(IMAGE, read_at, image, members)


def test_apply_replay_and_stale(store):
    repo = store.repo
    t1, t2, t3 = (T0 + datetime.timedelta(seconds=s) for s in (1, 2, 3))
    [applied] = store.apply_images([_snap(t2, _image(), [_member('c')])])
    assert applied.changed
    assert [s.image_id for s in repo.list_inbox('c', None, 10)] == [IMAGE]
    assert repo.count_inbox('c') == {'pending': 1, 'accepted': 0,
                                     'rejected': 0}
    # The same truth again (a replayed notification): nothing changes.
    [again] = store.apply_images([_snap(t2, _image(), [_member('c')])])
    assert not again.stale and not again.changed
    # An older read (a notification that overtook another): dropped.
    [old] = store.apply_images([_snap(t1, _image(), [])])
    assert old.stale
    assert repo.count_inbox('c')['pending'] == 1
    # A newer read: the member was accepted.
    store.apply_images([_snap(t3, _image(), [_member('c', 'accepted')])])
    assert repo.count_inbox('c')['accepted'] == 1
    assert store.history_sources(IMAGE) == [
        ('c', 'created', 'glance'), ('c', 'status_changed', 'glance')]


def test_apply_image_gone_and_private(store):
    repo = store.repo
    t = [T0 + datetime.timedelta(seconds=s) for s in range(4)]
    store.apply_images([_snap(t[0], _image(), [_member('c', 'accepted')])])
    store.apply_images([_snap(t[1], _image('private'), None)])
    assert repo.count_inbox('c')['accepted'] == 0
    store.apply_images([_snap(t[2], _image(), [_member('c', 'accepted')])])
    assert repo.count_inbox('c')['accepted'] == 1
    store.apply_images([_snap(t[3], None, None)])
    assert repo.count_inbox('c')['accepted'] == 0
    assert store.count_images() == 0
    # A read from before the delete cannot bring the image back.
    [stale] = store.apply_images([_snap(t[2], _image(), [_member('c')])])
    assert stale.stale and store.count_images() == 0
    assert store.history_sources(IMAGE) == [
        ('c', 'created', 'glance'), ('c', 'removed', 'glance')]


def test_initial_sync_writes_no_history_and_local_rows_say_local(store):
    store.apply_images([_snap(T0, _image(), [_member('c')])], history=False)
    assert store.history_sources(IMAGE) == []
    token = records.current_actor.set(records.Actor(user_id='u'))
    try:
        store.repo.update_member_status(IMAGE, 'c', 'accepted')
    finally:
        records.current_actor.reset(token)
    assert store.history_sources(IMAGE) == [
        ('c', 'status_changed', 'glance-members')]
