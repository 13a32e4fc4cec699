"""The /sharing/v1 rules (glance_members.sharing) on a real repository
(in-memory SQLite) and the real policy defaults: inbox, decisions, leave,
trust, batch, expiry, history and the recipient check."""

import datetime

import pytest

from glance_members import exception
from glance_members import records
from glance_members.sharing import images
from glance_members.sharing import members
from glance_members.sharing import batch
from glance_members.sharing import expiry
from glance_members.sharing import history
from glance_members.sharing import inbox
from glance_members.sharing import recipients
from glance_members.sharing import trust
from tests.unit.conftest import CONSUMER
from tests.unit.conftest import CONSUMER2
from tests.unit.conftest import OUTSIDER
from tests.unit.conftest import OWNER

QUOTAS = records.Quotas(members=128, properties=128, tags=128)


@pytest.fixture
def actor():
    token = records.current_actor.set(records.Actor(
        'u-actor', OWNER, 'req-1'))
    yield
    records.current_actor.reset(token)


class Directory:
    def __init__(self, projects, names=None, down=False):
        self.projects = set(projects)
        self.names = names or {}
        self.down = down

    def exists(self, project_id):
        if self.down:
            raise exception.ServiceUnavailable()
        return project_id in self.projects

    def find(self, name, domain):
        if self.down:
            raise exception.ServiceUnavailable()
        return self.names.get((name, domain))


# --- inbox -------------------------------------------------------------------

def test_inbox_lists_pending_by_default_with_counts(
        consumer, authz, repo, make_image, share, clock):
    images = []
    for _ in range(3):
        clock.tick()  # the inbox is newest image first
        images.append(make_image())
        share(images[-1])
    first, second, third = images
    repo.update_member_status(third.id, CONSUMER, 'accepted')
    shares, counts, more = inbox.list_inbox(consumer, authz, repo,
                                            'pending', 10)
    assert [s.image_id for s in shares] == [second.id, first.id]
    assert counts == {'pending': 2, 'accepted': 1, 'rejected': 0}
    assert not more
    assert shares[0].image.owner == OWNER


def test_inbox_pages_with_a_marker(consumer, authz, repo, make_image, share,
                                   clock):
    images = []
    for _ in range(5):
        clock.tick()
        images.append(make_image())
        share(images[-1])
    page, _, more = inbox.list_inbox(consumer, authz, repo, 'all', 2)
    assert more and [s.image_id for s in page] == [images[4].id,
                                                   images[3].id]
    page, _, _ = inbox.list_inbox(consumer, authz, repo, 'all', 2,
                                  page[-1].image_id)
    assert [s.image_id for s in page] == [images[2].id, images[1].id]
    with pytest.raises(exception.Invalid):
        inbox.list_inbox(consumer, authz, repo, 'all', 2, 'nope')


def test_inbox_hides_expired_and_non_shared(consumer, authz, repo,
                                            make_image, share, clock):
    image, private = make_image(), make_image()
    share(image)
    share(private)
    private.visibility = 'private'
    repo.update_image(private)
    repo.set_expiry(image.id, CONSUMER, clock.now + datetime.timedelta(
        seconds=30))
    assert len(inbox.list_inbox(consumer, authz, repo, 'all', 10)[0]) == 1
    clock.tick(31)
    shares, counts, _ = inbox.list_inbox(consumer, authz, repo, 'all', 10)
    assert shares == [] and counts['pending'] == 0
    assert repo.get_member(image.id, CONSUMER) is None
    assert repo.list_members(image.id) == []


@pytest.mark.parametrize('who', ['system_admin', 'consumer_reader'])
def test_decide_is_refused_without_modify_member(request, who, authz, repo):
    ctx = request.getfixturevalue(who)
    with pytest.raises(exception.Forbidden):
        inbox.decide(ctx, authz, repo, 'accepted', None)


def test_decide_is_all_or_nothing(consumer, authz, repo, make_image, share,
                                  actor):
    a, b = make_image(), make_image()
    share(a)
    with pytest.raises(exception.NotFound) as e:
        inbox.decide(consumer, authz, repo, 'accepted', [a.id, b.id])
    assert b.id in e.value.message
    assert repo.get_member(a.id, CONSUMER).status == 'pending'
    share(b)
    results = inbox.decide(consumer, authz, repo, 'accepted', [a.id, b.id])
    assert sorted((s.image_id, before, s.status) for s, before in results) \
        == sorted([(a.id, 'pending', 'accepted'),
                   (b.id, 'pending', 'accepted')])
    entries = repo.list_history(10, member_id=CONSUMER)
    assert [e.event for e in entries][:2] == ['status_changed'] * 2
    assert entries[0].actor_user_id == 'u-actor'


def test_decide_all_pending(consumer, authz, repo, make_image, share):
    a, b = make_image(), make_image()
    share(a)
    share(b)
    repo.update_member_status(b.id, CONSUMER, 'rejected')
    results = inbox.decide(consumer, authz, repo, 'accepted', None)
    assert [s.image_id for s, _ in results] == [a.id]
    assert repo.get_member(b.id, CONSUMER).status == 'rejected'


def test_leave_removes_the_row_and_the_producer_may_share_again(
        consumer, authz, repo, make_image, share):
    image = make_image()
    share(image)
    repo.update_member_status(image.id, CONSUMER, 'accepted')
    inbox.leave(consumer, authz, repo, image.id)
    assert repo.get_member(image.id, CONSUMER) is None
    with pytest.raises(exception.NotFound):
        inbox.leave(consumer, authz, repo, image.id)
    assert share(image).status == 'pending'
    events = [e.event for e in repo.list_history(10, image_id=image.id)]
    assert events == ['created', 'left', 'status_changed', 'created']


# --- trust -------------------------------------------------------------------

def test_trust_auto_accepts_new_shares_and_pending_ones(
        consumer, authz, repo, make_image, share):
    old = make_image()
    share(old)
    trusted, created, accepted = trust.add_trust(consumer, authz, repo,
                                                 OWNER, accept_pending=True)
    assert created and [s.image_id for s in accepted] == [old.id]
    assert repo.get_member(old.id, CONSUMER).status == 'accepted'
    new = make_image()
    assert share(new).status == 'accepted'
    assert share(new, CONSUMER2).status == 'pending'
    _, created, _ = trust.add_trust(consumer, authz, repo, OWNER)
    assert not created
    assert [t.producer for t in trust.list_trusts(consumer, authz, repo,
                                                  10)[0]] == [OWNER]
    trust.remove_trust(consumer, authz, repo, OWNER)
    with pytest.raises(exception.NotFound):
        trust.remove_trust(consumer, authz, repo, OWNER)
    assert share(make_image()).status == 'pending'
    events = [e.event for e in repo.list_history(10, member_id=CONSUMER)]
    assert events[:2] == ['created', 'auto_accepted']


def test_trust_self_is_400_and_reader_is_403(consumer, consumer_reader,
                                             authz, repo):
    with pytest.raises(exception.Invalid):
        trust.add_trust(consumer, authz, repo, CONSUMER)
    with pytest.raises(exception.Forbidden):
        trust.add_trust(consumer_reader, authz, repo, OWNER)
    assert trust.list_trusts(consumer_reader, authz, repo, 10)[0] == []


# --- batch -------------------------------------------------------------------

def test_batch_share_results_and_repeat_changes_nothing(
        owner, authz, repo, make_image, share):
    a, b = make_image(), make_image()
    share(a)
    members.delete_member(owner, authz, repo, a.id, CONSUMER)
    share(b, CONSUMER2)
    results = batch.share(owner, authz, repo, [a.id, b.id],
                          [CONSUMER, CONSUMER2], None, 128)
    assert [(r.image_id, r.member_id, r.result) for r in results] == [
        (a.id, CONSUMER, 'revived'), (a.id, CONSUMER2, 'created'),
        (b.id, CONSUMER, 'created'), (b.id, CONSUMER2, 'existing')]
    before = repo.list_history(100)
    again = batch.share(owner, authz, repo, [a.id, b.id],
                        [CONSUMER, CONSUMER2], None, 128)
    assert {r.result for r in again} == {'existing'}
    assert repo.list_history(100) == before
    results = batch.revoke(owner, authz, repo, [a.id], [CONSUMER, OUTSIDER])
    assert [r.result for r in results] == ['removed', 'absent']


def test_batch_refuses_everything_listing_every_failure(
        owner, owner_reader, consumer, authz, repo, make_image):
    mine, private = make_image(), make_image(visibility='private')
    theirs = make_image(owner=CONSUMER)
    with pytest.raises(exception.NotFound) as e:
        batch.share(owner, authz, repo, [mine.id, private.id, theirs.id,
                                         'x'], [CONSUMER2], None, 128)
    message = e.value.message
    assert private.id in message and theirs.id in message and 'x /' in message
    assert repo.list_members(mine.id) == []
    with pytest.raises(exception.Forbidden):
        batch.share(owner_reader, authz, repo, [mine.id], [OUTSIDER],
                    None, 128)
    with pytest.raises(exception.NotFound):
        batch.share(consumer, authz, repo, [mine.id], [OUTSIDER], None, 128)


def test_batch_quota_is_checked_per_image_all_or_nothing(
        owner, authz, repo, make_image):
    a, b = make_image(), make_image()
    with pytest.raises(exception.OverLimit) as e:
        batch.share(owner, authz, repo, [a.id, b.id],
                    [CONSUMER, CONSUMER2, OUTSIDER], None, 2)
    assert e.value.message.count(OUTSIDER) == 2
    assert repo.list_members(a.id) == repo.list_members(b.id) == []


def test_batch_expiry_in_the_past_is_400(owner, authz, repo, make_image,
                                         clock):
    with pytest.raises(exception.Invalid):
        batch.share(owner, authz, repo, [make_image().id], [CONSUMER],
                    clock.now, 128)


def test_batch_resolves_names_and_verifies_ids(owner, authz, repo,
                                               make_image):
    image = make_image()
    directory = Directory({CONSUMER, CONSUMER2},
                          {('c2', 'Default'): CONSUMER2})
    with pytest.raises(exception.Invalid) as e:
        batch.share(owner, authz, repo, [image.id],
                    [CONSUMER, {'name': 'c2', 'domain': 'Default'}, 'typo',
                     {'name': 'none', 'domain': 'Default'}], None, 128,
                    directory, verify=True)
    assert 'typo' in e.value.message and 'none' in e.value.message
    results = batch.share(owner, authz, repo, [image.id],
                          [CONSUMER, {'name': 'c2', 'domain': 'Default'}],
                          None, 128, directory, verify=True)
    assert [r.member_id for r in results] == [CONSUMER, CONSUMER2]
    with pytest.raises(exception.ServiceUnavailable):
        batch.share(owner, authz, repo, [image.id], ['x'], None, 128,
                    Directory((), down=True), verify=True)


def test_verifying_repository_checks_after_policy(owner, outsider, authz,
                                                  repo, make_image):
    image = make_image()
    verifying = recipients.VerifyingRepository(repo, Directory({CONSUMER}))
    with pytest.raises(exception.NotFound):
        members.add_member(outsider, authz, verifying, image.id, 'typo',
                           QUOTAS)
    with pytest.raises(exception.Invalid):
        members.add_member(owner, authz, verifying, image.id, 'typo', QUOTAS)
    assert members.add_member(owner, authz, verifying, image.id, CONSUMER,
                              QUOTAS).status == 'pending'


# --- expiry and history -----------------------------------------------------

def test_expiry_owner_only_and_expired_share_revives(
        owner, consumer, authz, repo, make_image, share, clock):
    image = make_image()
    share(image)
    later = clock.now + datetime.timedelta(hours=1)
    with pytest.raises(exception.Forbidden):
        expiry.set_expiry(consumer, authz, repo, image.id, CONSUMER, later)
    with pytest.raises(exception.Invalid):
        expiry.set_expiry(owner, authz, repo, image.id, CONSUMER, clock.now)
    assert expiry.set_expiry(owner, authz, repo, image.id, CONSUMER,
                             later).expires_at == later
    clock.tick(3601)
    with pytest.raises(exception.NotFound):
        expiry.set_expiry(owner, authz, repo, image.id, CONSUMER, None)
    with pytest.raises(exception.NotFound):
        images.get_image(consumer, authz, repo, image.id)
    assert share(image).status == 'pending'
    events = [e.event for e in repo.list_history(10, image_id=image.id)]
    assert events == ['created', 'expired', 'expiry_changed', 'created']


def test_purge_expired(owner, authz, repo, make_image, share, clock):
    image = make_image()
    share(image)
    share(image, CONSUMER2)
    repo.set_expiry(image.id, CONSUMER, clock.now + datetime.timedelta(1))
    clock.tick(86401)
    assert repo.purge_expired() == 1
    assert repo.purge_expired() == 0
    assert [m.member_id for m in repo.list_members(image.id)] == [CONSUMER2]


def test_history_owner_sees_all_member_its_own(
        owner, consumer, consumer2, outsider, authz, repo, make_image,
        share):
    image = make_image()
    share(image)
    share(image, CONSUMER2)
    entries, _ = history.image_history(owner, authz, repo, image.id, 10)
    assert {e.member_id for e in entries} == {CONSUMER, CONSUMER2}
    entries, _ = history.image_history(consumer, authz, repo, image.id, 10)
    assert {e.member_id for e in entries} == {CONSUMER}
    with pytest.raises(exception.NotFound):
        history.image_history(outsider, authz, repo, image.id, 10)
    as_producer, _ = history.project_history(owner, authz, repo,
                                             'producer', 1)
    assert len(as_producer) == 1
    page, _ = history.project_history(owner, authz, repo, 'producer', 5,
                                      as_producer[0].id)
    assert len(page) == 1
    as_consumer, _ = history.project_history(consumer, authz, repo,
                                             'consumer', 10)
    assert [e.member_id for e in as_consumer] == [CONSUMER]
    with pytest.raises(exception.Invalid):
        history.project_history(consumer, authz, repo, 'both', 10)


def test_image_delete_writes_removed_history(owner, authz, repo, make_image,
                                             share):
    image = make_image()
    share(image)
    repo.delete_image(image.id)
    events = [e.event for e in repo.list_history(10, image_id=image.id)]
    assert events == ['removed', 'created']
