"""Unit tests of glance_members.sharing: Glance's sharing rules, no Flask.

The rules asserted are Glance 33.0.0's: tests/glance-33-facts.md §3-§5 and
Appendix A (each fact there names its Glance source file, or says it is what
a real Glance 33.0.0 answered).
Real Authorizer with Glance 33's default policy, real in-memory repository.
"""

import uuid

import pytest

from glance_members import exception
from glance_members import records
from glance_members.sharing import access
from glance_members.sharing import images
from glance_members.sharing import lifecycle
from glance_members.sharing import members
from tests.unit.conftest import (ADMIN_PROJECT, CONSUMER, CONSUMER2, OUTSIDER,
                                 OWNER)

QUOTAS = records.Quotas(members=128, properties=128, tags=128)
NOT_AUTHORIZED = 'You are not authorized to complete %s action.'


def _not_found_image(image_id):
    return 'Image %s not found.' % image_id


def _member_not_found(member_id, image_id):
    return '%s not found in the member list of the image %s.' % (
        member_id, image_id)


def _set_visibility(ctx, authz, repo, image, visibility):
    return images.update_image(ctx, authz, repo, image.id,
                               [('replace', ['visibility'], visibility)],
                               QUOTAS)


# --- the contexts themselves ----------------------------------------------

class TestContexts:
    def test_admin_role_makes_admin(self, admin):
        assert admin.is_admin

    def test_member_is_not_admin(self, owner, consumer):
        assert not owner.is_admin
        assert not consumer.is_admin

    def test_roles_are_lower_cased(self, make_ctx):
        ctx = make_ctx(OWNER, roles=('Member', ' READER '))
        assert ctx.roles == ['member', 'reader']

    def test_system_admin_is_admin_but_has_no_project(self, system_admin):
        assert system_admin.is_admin
        assert system_admin.project_id is None
        assert system_admin.system_scope == 'all'


# --- policy target ---------------------------------------------------------

class TestPolicyTarget:
    def test_owner_target_has_no_member_id(self, owner, shared):
        target = access.policy_target(owner, shared)
        assert target['project_id'] == OWNER
        assert target['owner'] == OWNER
        assert target['member_id'] is None

    def test_consumer_of_shared_image_is_member_id(self, consumer, shared):
        assert access.policy_target(consumer, shared)['member_id'] == \
            CONSUMER

    def test_private_image_has_no_member_id(self, consumer, make_image):
        image = make_image(visibility='private')
        assert access.policy_target(consumer, image)['member_id'] is None


# --- is_visible ------------------------------------------------------------

class TestIsVisible:
    def test_admin_sees_private_image_of_another_project(
            self, admin, repo, make_image):
        assert access.is_visible(admin, make_image(visibility='private'),
                                 repo)

    @pytest.mark.parametrize('visibility',
                             ['private', 'shared', 'public', 'community'])
    def test_ownerless_image_is_visible_to_anyone(
            self, outsider, repo, make_image, visibility):
        image = make_image(owner=None, visibility=visibility)
        assert access.is_visible(outsider, image, repo)

    @pytest.mark.parametrize('visibility', ['public', 'community'])
    def test_public_and_community_are_visible_to_outsiders(
            self, outsider, repo, make_image, visibility):
        assert access.is_visible(outsider, make_image(visibility=visibility),
                                 repo)

    @pytest.mark.parametrize('visibility',
                             ['private', 'shared', 'public', 'community'])
    def test_owner_sees_own_image(self, owner, repo, make_image, visibility):
        assert access.is_visible(owner, make_image(visibility=visibility),
                                 repo)

    @pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
    def test_consumer_sees_shared_image_in_any_status(
            self, consumer, repo, shared, share, status):
        share(shared, CONSUMER, status)
        assert repo.get_member(shared.id, CONSUMER).status == status
        assert access.is_visible(consumer, shared, repo)

    def test_outsider_does_not_see_shared_image(
            self, outsider, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        assert not access.is_visible(outsider, shared, repo)

    def test_outsider_does_not_see_private_image(
            self, outsider, repo, make_image):
        assert not access.is_visible(outsider,
                                     make_image(visibility='private'), repo)

    def test_consumer_does_not_see_image_once_made_private(
            self, consumer, repo, make_image, share, owner, authz):
        image = make_image()
        share(image, CONSUMER, 'accepted')
        image = _set_visibility(owner, authz, repo, image, 'private')
        assert not access.is_visible(consumer, image, repo)

    def test_consumer_does_not_see_image_after_membership_deleted(
            self, consumer, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        assert not access.is_visible(consumer, shared, repo)

    def test_non_admin_without_project_sees_no_shared_image(
            self, make_ctx, repo, shared):
        system_reader = make_ctx(roles=('reader',), system=True)
        assert not system_reader.is_admin
        assert not access.is_visible(system_reader, shared, repo)


# --- add_member ------------------------------------------------------------

class TestAddMember:
    def test_owner_adds_pending_member(self, owner, authz, repo, shared):
        member = members.add_member(owner, authz, repo, shared.id, CONSUMER,
                                    QUOTAS)
        assert isinstance(member, records.Member)
        assert member.image_id == shared.id
        assert member.member_id == CONSUMER
        assert member.status == 'pending'
        assert member.created_at == member.updated_at
        assert repo.get_member(shared.id, CONSUMER) == member

    def test_owner_may_add_its_own_project(self, owner, authz, repo, shared):
        member = members.add_member(owner, authz, repo, shared.id, OWNER,
                                    QUOTAS)
        assert member.member_id == OWNER

    def test_admin_may_add_to_any_shared_image(
            self, admin, authz, repo, shared):
        member = members.add_member(admin, authz, repo, shared.id, CONSUMER,
                                    QUOTAS)
        assert member.status == 'pending'

    def test_consumer_may_not_add(self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        with pytest.raises(exception.Forbidden) as e:
            members.add_member(consumer, authz, repo, shared.id, CONSUMER2,
                               QUOTAS)
        assert e.value.message == NOT_AUTHORIZED % 'add_member'
        assert repo.get_member(shared.id, CONSUMER2) is None

    def test_reader_only_owner_may_not_add(
            self, owner_reader, authz, repo, shared):
        with pytest.raises(exception.Forbidden) as e:
            members.add_member(owner_reader, authz, repo, shared.id,
                               CONSUMER, QUOTAS)
        assert e.value.message == NOT_AUTHORIZED % 'add_member'
        assert repo.list_members(shared.id) == []

    def test_outsider_gets_not_found(self, outsider, authz, repo, shared):
        with pytest.raises(exception.NotFound) as e:
            members.add_member(outsider, authz, repo, shared.id, OUTSIDER,
                               QUOTAS)
        assert e.value.message == _not_found_image(shared.id)

    @pytest.mark.parametrize('image_id', [
        str(uuid.uuid4()), 'not-a-uuid', '', 'x' * 40])
    def test_missing_image_is_not_found(self, owner, authz, repo, image_id):
        with pytest.raises(exception.NotFound) as e:
            members.add_member(owner, authz, repo, image_id, CONSUMER, QUOTAS)
        assert e.value.message == _not_found_image(image_id)

    @pytest.mark.parametrize('visibility', ['private', 'public', 'community'])
    @pytest.mark.parametrize('who', ['owner', 'admin'])
    def test_non_shared_image_is_forbidden_even_for_owner_and_admin(
            self, request, authz, repo, make_image, visibility, who):
        ctx = request.getfixturevalue(who)
        image = make_image(visibility=visibility)
        with pytest.raises(exception.Forbidden) as e:
            members.add_member(ctx, authz, repo, image.id, CONSUMER, QUOTAS)
        assert e.value.message == \
            'Not allowed to create members for image %s.' % image.id
        assert repo.list_members(image.id) == []

    def test_visibility_is_checked_before_policy(
            self, owner_reader, authz, repo, make_image):
        image = make_image(visibility='private')
        with pytest.raises(exception.Forbidden) as e:
            members.add_member(owner_reader, authz, repo, image.id, CONSUMER,
                               QUOTAS)
        assert e.value.message.startswith('Not allowed to create members')

    def test_public_image_for_outsider_is_not_shared_forbidden(
            self, outsider, authz, repo, make_image):
        image = make_image(visibility='public')
        with pytest.raises(exception.Forbidden) as e:
            members.add_member(outsider, authz, repo, image.id, OUTSIDER,
                               QUOTAS)
        assert e.value.message == \
            'Not allowed to create members for image %s.' % image.id

    def test_member_role_without_reader_gets_not_found(
            self, make_ctx, authz, repo, shared):
        # Every member operation checks get_image first; failing it hides
        # the image (404), as Glance's MemberAPIPolicy does.
        member_only = make_ctx(OWNER, roles=('member',))
        with pytest.raises(exception.NotFound):
            members.add_member(member_only, authz, repo, shared.id, CONSUMER,
                               QUOTAS)


class TestQuota:
    def test_over_quota_message(self, owner, authz, repo, shared):
        for member in (CONSUMER, CONSUMER2):
            members.add_member(owner, authz, repo, shared.id,
                               member, records.Quotas(members=2))
        with pytest.raises(exception.OverLimit) as e:
            members.add_member(owner, authz, repo, shared.id,
                               OUTSIDER, records.Quotas(members=2))
        assert e.value.message == (
            'Image member limit exceeded for image %s: The limit has been '
            'exceeded on the number of allowed image members for this image. '
            'Attempted: 3, Maximum: 2:' % shared.id)
        assert repo.get_member(shared.id, OUTSIDER) is None
        assert len(repo.list_members(shared.id)) == 2

    def test_zero_quota_refuses_the_first_member(
            self, owner, authz, repo, shared):
        with pytest.raises(exception.OverLimit) as e:
            members.add_member(owner, authz, repo, shared.id,
                               CONSUMER, records.Quotas(members=0))
        assert 'Attempted: 1, Maximum: 0:' in e.value.message

    def test_exactly_at_quota_is_allowed(self, owner, authz, repo, shared):
        members.add_member(owner, authz, repo, shared.id,
                           CONSUMER, records.Quotas(members=1))
        assert len(repo.list_members(shared.id)) == 1

    @pytest.mark.parametrize('quota', [-1, -5])
    def test_negative_quota_is_unlimited(self, owner, authz, repo, shared,
                                         quota):
        for i in range(200):
            members.add_member(owner, authz, repo, shared.id, 'p%03d' % i,
                               records.Quotas(members=quota))
        assert len(repo.list_members(shared.id)) == 200

    def test_quota_checked_before_duplicate(self, owner, authz, repo, shared):
        members.add_member(owner, authz, repo, shared.id,
                           CONSUMER, records.Quotas(members=1))
        with pytest.raises(exception.OverLimit) as e:
            members.add_member(owner, authz, repo, shared.id,
                               CONSUMER, records.Quotas(members=1))
        assert not isinstance(e.value, exception.Duplicate)
        assert 'Attempted: 2, Maximum: 1:' in e.value.message

    def test_deleted_members_do_not_count(self, owner, authz, repo, shared):
        members.add_member(owner, authz, repo, shared.id,
                           CONSUMER, records.Quotas(members=1))
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        members.add_member(owner, authz, repo, shared.id,
                           CONSUMER2, records.Quotas(members=1))
        assert [m.member_id for m in repo.list_members(shared.id)] == \
            [CONSUMER2]

    def test_quota_is_per_image(self, owner, authz, repo, make_image):
        first, second = make_image(), make_image()
        members.add_member(owner, authz, repo, first.id,
                           CONSUMER, records.Quotas(members=1))
        members.add_member(owner, authz, repo, second.id,
                           CONSUMER, records.Quotas(members=1))
        for image in (first, second):
            assert [m.member_id for m in repo.list_members(image.id)] == \
                [CONSUMER]

    def test_policy_checked_before_quota(self, consumer, authz, repo, shared,
                                         share):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden):
            members.add_member(consumer, authz, repo, shared.id,
                               CONSUMER2, records.Quotas(members=0))


class TestDuplicates:
    def test_duplicate_member(self, owner, authz, repo, shared):
        members.add_member(owner, authz, repo, shared.id, CONSUMER, QUOTAS)
        with pytest.raises(exception.Duplicate) as e:
            members.add_member(owner, authz, repo, shared.id, CONSUMER, QUOTAS)
        assert isinstance(e.value, exception.Conflict)
        assert e.value.message == \
            'Member %s is duplicated for image %s' % (CONSUMER, shared.id)
        assert len(repo.list_members(shared.id)) == 1

    def test_duplicate_of_accepted_member_keeps_its_status(
            self, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        with pytest.raises(exception.Duplicate):
            members.add_member(owner, authz, repo, shared.id, CONSUMER, QUOTAS)
        assert repo.get_member(shared.id, CONSUMER).status == 'accepted'

    def test_same_member_on_two_images_is_not_a_duplicate(
            self, owner, authz, repo, make_image):
        for image in (make_image(), make_image()):
            members.add_member(owner, authz, repo, image.id, CONSUMER, QUOTAS)


class TestReAdd:
    def test_re_added_member_is_pending_and_keeps_created_at(
            self, owner, consumer, authz, repo, shared, clock):
        first = members.add_member(owner, authz, repo, shared.id, CONSUMER,
                                   QUOTAS)
        clock.tick()
        members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                              'accepted')
        clock.tick()
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        readd_time = clock.tick()
        again = members.add_member(owner, authz, repo, shared.id, CONSUMER,
                                   QUOTAS)
        assert again.status == 'pending'
        assert again.created_at == first.created_at
        assert again.updated_at == readd_time
        assert again.updated_at > again.created_at
        assert [m.member_id for m in repo.list_members(shared.id)] == \
            [CONSUMER]

    def test_re_added_rejected_member_is_pending(
            self, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'rejected')
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        again = members.add_member(owner, authz, repo, shared.id, CONSUMER,
                                   QUOTAS)
        assert again.status == 'pending'


# --- list_members ----------------------------------------------------------

class TestListMembers:
    @pytest.fixture
    def two_members(self, shared, share):
        share(shared, CONSUMER, 'accepted')
        share(shared, CONSUMER2, 'pending')
        return shared

    @pytest.mark.parametrize('who', ['owner', 'owner_reader', 'admin'])
    def test_owner_and_admin_see_all(self, request, authz, repo, two_members,
                                     who):
        ctx = request.getfixturevalue(who)
        found_members = members.list_members(ctx, authz, repo, two_members.id)
        assert sorted(m.member_id for m in found_members) == \
            sorted([CONSUMER, CONSUMER2])

    def test_consumer_sees_only_itself(self, consumer, authz, repo,
                                       two_members):
        found_members = members.list_members(consumer, authz, repo,
                                             two_members.id)
        assert [(m.member_id, m.status) for m in found_members] == \
            [(CONSUMER, 'accepted')]

    def test_pending_consumer_sees_its_own_entry(
            self, consumer2, authz, repo, two_members):
        found_members = members.list_members(consumer2, authz, repo,
                                             two_members.id)
        assert [(m.member_id, m.status) for m in found_members] == \
            [(CONSUMER2, 'pending')]

    def test_reader_only_consumer_sees_itself(
            self, consumer_reader, authz, repo, two_members):
        found_members = members.list_members(consumer_reader, authz, repo,
                                             two_members.id)
        assert [m.member_id for m in found_members] == [CONSUMER]

    def test_stranger_gets_not_found(self, outsider, authz, repo,
                                     two_members):
        with pytest.raises(exception.NotFound) as e:
            members.list_members(outsider, authz, repo, two_members.id)
        assert e.value.message == _not_found_image(two_members.id)

    def test_missing_image_not_found(self, owner, authz, repo):
        with pytest.raises(exception.NotFound):
            members.list_members(owner, authz, repo, str(uuid.uuid4()))

    def test_empty_list(self, owner, authz, repo, shared):
        assert members.list_members(owner, authz, repo, shared.id) == []

    @pytest.mark.parametrize('visibility', ['private', 'public', 'community'])
    def test_non_shared_is_forbidden_for_owner(
            self, owner, authz, repo, make_image, visibility):
        image = make_image(visibility=visibility)
        with pytest.raises(exception.Forbidden) as e:
            members.list_members(owner, authz, repo, image.id)
        assert e.value.message == (
            'Not allowed to list members for image %s: Only shared images '
            'have members.' % image.id)

    @pytest.mark.parametrize('visibility', ['public', 'community'])
    def test_non_shared_visible_image_is_forbidden_for_outsider(
            self, outsider, authz, repo, make_image, visibility):
        image = make_image(visibility=visibility)
        with pytest.raises(exception.Forbidden):
            members.list_members(outsider, authz, repo, image.id)

    def test_member_role_without_reader_gets_not_found(
            self, make_ctx, authz, repo, two_members):
        member_only = make_ctx(CONSUMER, roles=('member',))
        with pytest.raises(exception.NotFound) as e:
            members.list_members(member_only, authz, repo, two_members.id)
        assert e.value.message == 'The resource could not be found.'

    def test_deleted_members_are_not_listed(self, owner, authz, repo,
                                            two_members):
        members.delete_member(owner, authz, repo, two_members.id, CONSUMER2)
        found_members = members.list_members(owner, authz, repo,
                                             two_members.id)
        assert [m.member_id for m in found_members] == [CONSUMER]


# --- get_member ------------------------------------------------------------

class TestGetMember:
    def test_owner_gets_member(self, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        member = members.get_member(owner, authz, repo, shared.id, CONSUMER)
        assert (member.member_id, member.status) == (CONSUMER, 'accepted')

    @pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
    def test_consumer_gets_itself_in_any_status(
            self, consumer, authz, repo, shared, share, status):
        share(shared, CONSUMER, status)
        member = members.get_member(consumer, authz, repo, shared.id,
                                    CONSUMER)
        assert member.status == status

    def test_admin_gets_member(self, admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        assert members.get_member(admin, authz, repo, shared.id,
                                  CONSUMER).member_id == CONSUMER

    def test_reader_only_owner_gets_member(
            self, owner_reader, authz, repo, shared, share):
        share(shared, CONSUMER)
        assert members.get_member(owner_reader, authz, repo, shared.id,
                                  CONSUMER).member_id == CONSUMER

    def test_consumer_asking_for_another_member(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)
        share(shared, CONSUMER2)
        with pytest.raises(exception.NotFound) as e:
            members.get_member(consumer, authz, repo, shared.id, CONSUMER2)
        assert e.value.message == _member_not_found(CONSUMER2, shared.id)

    def test_unknown_member(self, owner, authz, repo, shared):
        with pytest.raises(exception.NotFound) as e:
            members.get_member(owner, authz, repo, shared.id, CONSUMER)
        assert e.value.message == _member_not_found(CONSUMER, shared.id)

    def test_deleted_member(self, owner, authz, repo, shared, share):
        share(shared, CONSUMER)
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound):
            members.get_member(owner, authz, repo, shared.id, CONSUMER)

    def test_stranger(self, outsider, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.NotFound) as e:
            members.get_member(outsider, authz, repo, shared.id, CONSUMER)
        assert e.value.message == _not_found_image(shared.id)

    def test_stranger_asking_for_itself_on_public_image(
            self, outsider, authz, repo, make_image):
        image = make_image(visibility='public')
        with pytest.raises(exception.NotFound) as e:
            members.get_member(outsider, authz, repo, image.id, OUTSIDER)
        assert e.value.message == 'Only shared images have members.'

    @pytest.mark.parametrize('visibility', ['private', 'public', 'community'])
    def test_not_shared_is_not_found_not_forbidden(
            self, owner, authz, repo, make_image, visibility):
        image = make_image(visibility=visibility)
        with pytest.raises(exception.NotFound) as e:
            members.get_member(owner, authz, repo, image.id, CONSUMER)
        assert not isinstance(e.value, exception.Forbidden)
        assert e.value.message == 'Only shared images have members.'

    def test_policy_refusal_is_not_found(self, make_ctx, authz, repo, shared,
                                         share):
        share(shared, CONSUMER)
        member_only = make_ctx(CONSUMER, roles=('member',))
        with pytest.raises(exception.NotFound):
            members.get_member(member_only, authz, repo, shared.id, CONSUMER)

    def test_missing_image(self, owner, authz, repo):
        image_id = str(uuid.uuid4())
        with pytest.raises(exception.NotFound) as e:
            members.get_member(owner, authz, repo, image_id, CONSUMER)
        assert e.value.message == _not_found_image(image_id)

    def test_every_refusal_is_not_found(self, request, make_ctx, authz, repo,
                                        make_image, share):
        """No path through get_member ever raises Forbidden."""
        found_images = {v: make_image(visibility=v) for v in
                        ('private', 'public', 'community')}
        found_images['shared'] = make_image()
        share(found_images['shared'], CONSUMER)
        contexts = [make_ctx(p, roles=r) for p in
                    (OWNER, CONSUMER, CONSUMER2, OUTSIDER)
                    for r in (('member',), ('reader',), ('member', 'reader'),
                              ())]
        contexts.append(make_ctx(roles=('admin', 'member', 'reader'),
                                 system=True))
        found, refused = [], []
        for ctx in contexts:
            for visibility, image in found_images.items():
                for member_id in (CONSUMER, CONSUMER2, 'nobody'):
                    asked = (ctx.project_id, visibility, member_id)
                    try:
                        members.get_member(ctx, authz, repo, image.id,
                                           member_id)
                        found.append(asked)
                    except exception.NotFound:
                        refused.append(asked)
        # The one membership there is was found by some callers; every
        # other question was refused, strangers' questions all of them.
        assert found and {(v, m) for _, v, m in found} == \
            {('shared', CONSUMER)}
        assert len(refused) == len(contexts) * 4 * 3 - len(found)
        assert {p for p, _, _ in found}.isdisjoint({CONSUMER2, OUTSIDER})


# --- update_member ---------------------------------------------------------

class TestUpdateMember:
    @pytest.mark.parametrize('status', ['accepted', 'rejected'])
    def test_consumer_sets_status(self, consumer, authz, repo, shared, share,
                                  clock, status):
        created = share(shared, CONSUMER)
        now = clock.tick()
        member = members.update_member(consumer, authz, repo, shared.id,
                                       CONSUMER, status)
        assert member.status == status
        assert member.created_at == created.created_at
        assert member.updated_at == now
        assert repo.get_member(shared.id, CONSUMER).status == status

    def test_any_transition_including_back_to_pending(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)
        for status in ('accepted', 'rejected', 'pending', 'rejected',
                       'accepted', 'pending'):
            member = members.update_member(consumer, authz, repo, shared.id,
                                           CONSUMER, status)
            assert member.status == status

    def test_same_status_keeps_updated_at(self, consumer, authz, repo,
                                          shared, share, clock):
        before = share(shared, CONSUMER, 'accepted')
        clock.tick()
        member = members.update_member(consumer, authz, repo, shared.id,
                                       CONSUMER, 'accepted')
        assert member.updated_at == before.updated_at

    def test_admin_sets_status_on_behalf_of_consumer(
            self, admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        member = members.update_member(admin, authz, repo, shared.id,
                                       CONSUMER, 'accepted')
        assert member.status == 'accepted'

    @pytest.mark.parametrize('status', ['accepted', 'rejected', 'pending'])
    def test_owner_is_forbidden(self, owner, authz, repo, shared, share,
                                status):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden) as e:
            members.update_member(owner, authz, repo, shared.id, CONSUMER,
                                  status)
        assert e.value.message == NOT_AUTHORIZED % 'modify_member'
        assert repo.get_member(shared.id, CONSUMER).status == 'pending'

    def test_owner_with_bad_status_is_forbidden_not_invalid(
            self, owner, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden):
            members.update_member(owner, authz, repo, shared.id, CONSUMER,
                                  'notavalidstatus')

    @pytest.mark.parametrize('status', ['notavalidstatus', 'Accepted', '',
                                        None, 1, ['accepted'],
                                        {'status': 'accepted'}])
    def test_consumer_with_bad_status_is_invalid(
            self, consumer, authz, repo, shared, share, status):
        share(shared, CONSUMER)
        with pytest.raises(exception.Invalid) as e:
            members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                                  status)
        assert e.value.message == ('Incorrect request: Status must be '
                                   '"pending", "accepted" or "rejected".')
        assert repo.get_member(shared.id, CONSUMER).status == 'pending'

    def test_reader_only_consumer_is_forbidden(
            self, consumer_reader, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden) as e:
            members.update_member(consumer_reader, authz, repo, shared.id,
                                  CONSUMER, 'accepted')
        assert e.value.message == NOT_AUTHORIZED % 'modify_member'

    def test_reader_only_consumer_with_bad_status_is_forbidden(
            self, consumer_reader, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden):
            members.update_member(consumer_reader, authz, repo, shared.id,
                                  CONSUMER, 'bogus')

    def test_consumer_cannot_touch_another_member(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)
        share(shared, CONSUMER2)
        with pytest.raises(exception.NotFound) as e:
            members.update_member(consumer, authz, repo, shared.id,
                                  CONSUMER2, 'accepted')
        assert e.value.message == _member_not_found(CONSUMER2, shared.id)
        assert repo.get_member(shared.id, CONSUMER2).status == 'pending'

    def test_stranger_gets_not_found(self, outsider, authz, repo, shared,
                                     share):
        share(shared, CONSUMER)
        with pytest.raises(exception.NotFound) as e:
            members.update_member(outsider, authz, repo, shared.id, CONSUMER,
                                  'accepted')
        assert e.value.message == _not_found_image(shared.id)

    def test_not_shared_is_forbidden(self, admin, authz, repo, make_image):
        image = make_image(visibility='public')
        with pytest.raises(exception.Forbidden) as e:
            members.update_member(admin, authz, repo, image.id, CONSUMER,
                                  'accepted')
        assert e.value.message == \
            'Not allowed to update members for image %s.' % image.id

    def test_update_after_delete_is_not_found_for_consumer(
            self, owner, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound):
            members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                                  'accepted')
        assert repo.get_member(shared.id, CONSUMER) is None
        assert repo.list_members(shared.id) == []

    def test_update_after_delete_does_not_resurrect_for_admin(
            self, owner, admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound) as e:
            members.update_member(admin, authz, repo, shared.id, CONSUMER,
                                  'accepted')
        assert e.value.message == _member_not_found(CONSUMER, shared.id)
        assert repo.get_member(shared.id, CONSUMER) is None

    def test_delete_racing_an_update_does_not_resurrect(
            self, consumer, authz, repo, shared, share):
        """The member is deleted between the lookup and the write."""
        share(shared, CONSUMER)

        class RacingRepository(type(repo)):
            def update_member_status(self, image_id, member_id, status):
                self.delete_member(image_id, member_id)
                return super().update_member_status(image_id, member_id,
                                                    status)

        racing = RacingRepository(repo.database)
        with pytest.raises(exception.NotFound) as e:
            members.update_member(consumer, authz, racing, shared.id,
                                  CONSUMER, 'accepted')
        assert e.value.message == _member_not_found(CONSUMER, shared.id)
        assert repo.get_member(shared.id, CONSUMER) is None

    def test_readded_after_delete_is_pending_not_the_old_status(
            self, owner, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        members.add_member(owner, authz, repo, shared.id, CONSUMER, QUOTAS)
        assert members.get_member(consumer, authz, repo, shared.id,
                                  CONSUMER).status == 'pending'


# --- delete_member ---------------------------------------------------------

class TestDeleteMember:
    def test_owner_deletes(self, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        share(shared, CONSUMER2)
        assert members.delete_member(owner, authz, repo, shared.id,
                                     CONSUMER) is None
        assert repo.get_member(shared.id, CONSUMER) is None
        assert [m.member_id for m in repo.list_members(shared.id)] == \
            [CONSUMER2]

    def test_admin_deletes(self, admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        members.delete_member(admin, authz, repo, shared.id, CONSUMER)
        assert repo.get_member(shared.id, CONSUMER) is None

    def test_consumer_cannot_delete_its_own_membership(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        with pytest.raises(exception.Forbidden) as e:
            members.delete_member(consumer, authz, repo, shared.id, CONSUMER)
        assert e.value.message == NOT_AUTHORIZED % 'delete_member'
        assert repo.get_member(shared.id, CONSUMER).status == 'accepted'

    def test_reader_only_owner_is_forbidden(
            self, owner_reader, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.Forbidden) as e:
            members.delete_member(owner_reader, authz, repo, shared.id,
                                  CONSUMER)
        assert e.value.message == NOT_AUTHORIZED % 'delete_member'

    def test_consumer_cannot_see_other_members_to_delete(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)
        share(shared, CONSUMER2)
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            members.delete_member(consumer, authz, repo, shared.id,
                                  CONSUMER2)
        assert repo.get_member(shared.id, CONSUMER2) is not None

    def test_unknown_member(self, owner, authz, repo, shared):
        with pytest.raises(exception.NotFound) as e:
            members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        assert e.value.message == _member_not_found(CONSUMER, shared.id)

    def test_already_deleted(self, owner, authz, repo, shared, share):
        share(shared, CONSUMER)
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound):
            members.delete_member(owner, authz, repo, shared.id, CONSUMER)

    def test_not_shared_is_forbidden(self, owner, authz, repo, make_image):
        image = make_image(visibility='private')
        with pytest.raises(exception.Forbidden) as e:
            members.delete_member(owner, authz, repo, image.id, CONSUMER)
        assert e.value.message == \
            'Not allowed to delete members for image %s.' % image.id

    def test_stranger(self, outsider, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.NotFound) as e:
            members.delete_member(outsider, authz, repo, shared.id, CONSUMER)
        assert e.value.message == _not_found_image(shared.id)
        assert repo.get_member(shared.id, CONSUMER) is not None

    def test_consumer_loses_the_image(self, owner, consumer, authz, repo,
                                      shared, share):
        share(shared, CONSUMER, 'accepted')
        members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound):
            images.get_image(consumer, authz, repo, shared.id)
        found_images, _ = images.list_images(consumer, authz, repo,
                                             records.ImageQuery(limit=100))
        assert shared.id not in [i.id for i in found_images]

    def test_deleting_the_image_deletes_its_members(
            self, owner, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        images.delete_image(owner, authz, repo, shared.id)
        assert repo.get_member(shared.id, CONSUMER) is None
        with pytest.raises(exception.NotFound):
            members.list_members(owner, authz, repo, shared.id)


# --- visibility transitions -------------------------------------------------

class TestVisibilityTransitions:
    def test_shared_private_shared_keeps_members(
            self, owner, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        share(shared, CONSUMER2, 'rejected')

        image = _set_visibility(owner, authz, repo, shared, 'private')
        assert image.visibility == 'private'
        assert repo.get_image(shared.id).visibility == 'private'
        # Kept in the database...
        assert len(repo.list_members(shared.id)) == 2
        # ...but the member API is closed and the consumer loses the image.
        with pytest.raises(exception.Forbidden):
            members.list_members(owner, authz, repo, shared.id)
        with pytest.raises(exception.NotFound):
            members.get_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.Forbidden):
            members.add_member(owner, authz, repo, shared.id, OUTSIDER, QUOTAS)
        with pytest.raises(exception.Forbidden):
            members.delete_member(owner, authz, repo, shared.id, CONSUMER)
        with pytest.raises(exception.NotFound):
            images.get_image(consumer, authz, repo, shared.id)
        with pytest.raises(exception.NotFound):
            members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                                  'rejected')
        found_images, _ = images.list_images(
            consumer, authz, repo,
            records.ImageQuery(limit=100, member_status='all'))
        assert shared.id not in [i.id for i in found_images]

        image = _set_visibility(owner, authz, repo, image, 'shared')
        assert image.visibility == 'shared'
        found_members = {m.member_id: m.status for m in
                         members.list_members(owner, authz, repo, shared.id)}
        assert found_members == {CONSUMER: 'accepted', CONSUMER2: 'rejected'}
        assert images.get_image(consumer, authz, repo, shared.id).id == \
            shared.id
        found_images, _ = images.list_images(consumer, authz, repo,
                                             records.ImageQuery(limit=100))
        assert shared.id in [i.id for i in found_images]

    def test_community_round_trip_keeps_members(
            self, owner, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        image = _set_visibility(owner, authz, repo, shared, 'community')
        assert image.visibility == 'community'
        image = _set_visibility(owner, authz, repo, image, 'shared')
        assert [(m.member_id, m.status) for m in
                members.list_members(owner, authz, repo, image.id)] == \
            [(CONSUMER, 'accepted')]

    def test_consumer_cannot_change_visibility(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        with pytest.raises(exception.Forbidden) as e:
            _set_visibility(consumer, authz, repo, shared, 'private')
        assert e.value.message == NOT_AUTHORIZED % 'modify_image'
        assert repo.get_image(shared.id).visibility == 'shared'


class TestPublicize:
    def test_owner_cannot_publicize(self, owner, authz, repo, shared):
        with pytest.raises(exception.Forbidden) as e:
            _set_visibility(owner, authz, repo, shared, 'public')
        assert e.value.message == NOT_AUTHORIZED % 'publicize_image'
        assert repo.get_image(shared.id).visibility == 'shared'

    def test_admin_publicizes_and_members_are_kept(
            self, owner, admin, authz, repo, shared, share):
        share(shared, CONSUMER, 'accepted')
        image = _set_visibility(admin, authz, repo, shared, 'public')
        assert image.visibility == 'public'
        assert len(repo.list_members(shared.id)) == 1
        image = _set_visibility(owner, authz, repo, image, 'shared')
        assert [m.member_id for m in
                members.list_members(owner, authz, repo, image.id)] == \
            [CONSUMER]

    def test_owner_cannot_create_public_image(self, owner, authz, repo):
        image = records.Image(id=None, owner=None, visibility='public')
        with pytest.raises(exception.Forbidden) as e:
            images.create_image(owner, authz, repo, image, QUOTAS)
        assert e.value.message == NOT_AUTHORIZED % 'publicize_image'

    def test_admin_creates_public_image(self, admin, authz, repo):
        image = records.Image(id=None, owner=None, visibility='public')
        created = images.create_image(admin, authz, repo, image,
                                      QUOTAS)
        assert created.visibility == 'public'
        assert created.owner == ADMIN_PROJECT

    def test_owner_may_communitize(self, owner, authz, repo, shared):
        assert _set_visibility(owner, authz, repo, shared,
                               'community').visibility == 'community'

    def test_new_image_defaults_to_shared(self, owner, authz, repo):
        created = images.create_image(
            owner, authz, repo, records.Image(id=None, owner=None),
            QUOTAS)
        assert created.visibility == 'shared'
        assert created.owner == OWNER
        member = members.add_member(owner, authz, repo, created.id, CONSUMER,
                                    QUOTAS)
        assert member.status == 'pending'


# --- system scope ---------------------------------------------------------

class TestSystemScope:
    def test_system_admin_cannot_add(self, system_admin, authz, repo,
                                     shared):
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            members.add_member(system_admin, authz, repo, shared.id,
                               CONSUMER, QUOTAS)
        assert repo.list_members(shared.id) == []

    def test_system_admin_cannot_list_members(
            self, system_admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            members.list_members(system_admin, authz, repo, shared.id)

    def test_system_admin_cannot_get_member(
            self, system_admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises(exception.NotFound):
            members.get_member(system_admin, authz, repo, shared.id,
                               CONSUMER)

    def test_system_admin_cannot_update_member(
            self, system_admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            members.update_member(system_admin, authz, repo, shared.id,
                                  CONSUMER, 'accepted')
        assert repo.get_member(shared.id, CONSUMER).status == 'pending'

    def test_system_admin_cannot_delete_member(
            self, system_admin, authz, repo, shared, share):
        share(shared, CONSUMER)
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            members.delete_member(system_admin, authz, repo, shared.id,
                                  CONSUMER)
        assert repo.get_member(shared.id, CONSUMER) is not None

    def test_system_admin_cannot_list_images(self, system_admin, authz,
                                             repo, shared):
        with pytest.raises(exception.Forbidden) as e:
            images.list_images(system_admin, authz, repo,
                               records.ImageQuery(limit=10))
        assert e.value.message == NOT_AUTHORIZED % 'get_images'

    def test_system_admin_cannot_get_image(self, system_admin, authz, repo,
                                           shared):
        with pytest.raises((exception.NotFound, exception.Forbidden)):
            images.get_image(system_admin, authz, repo, shared.id)

    @pytest.mark.parametrize('rule', ['add_member', 'get_member',
                                      'get_members', 'modify_member',
                                      'delete_member', 'get_image',
                                      'get_images'])
    def test_scoped_rules_refuse_system_scope(self, system_admin, authz,
                                              rule):
        target = {'project_id': OWNER, 'owner': OWNER, 'member_id': None,
                  'visibility': 'shared'}
        assert not authz.check(system_admin, rule, target)


# --- get_image -------------------------------------------------------------

class TestGetImage:
    @pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
    def test_consumer_gets_image_in_any_status(
            self, consumer, authz, repo, shared, share, status):
        share(shared, CONSUMER, status)
        assert images.get_image(consumer, authz, repo, shared.id).id == \
            shared.id

    def test_outsider_gets_not_found(self, outsider, authz, repo, shared):
        with pytest.raises(exception.NotFound) as e:
            images.get_image(outsider, authz, repo, shared.id)
        assert e.value.message == 'No image found with ID %s' % shared.id

    def test_member_role_without_reader_gets_not_found(
            self, make_ctx, authz, repo, shared):
        with pytest.raises(exception.NotFound):
            images.get_image(make_ctx(OWNER, roles=('member',)), authz,
                             repo, shared.id)


# --- list_images -----------------------------------------------------------

class TestListImages:
    @pytest.fixture
    def catalog(self, make_image, share):
        """Images by label; CONSUMER is a member of the three shared_*."""
        found_images = {
            'pending': make_image(),
            'accepted': make_image(),
            'rejected': make_image(),
            'unshared': make_image(),
            'private': make_image(visibility='private'),
            'public': make_image(visibility='public'),
            'community': make_image(visibility='community'),
            'other_private': make_image(owner=OUTSIDER,
                                        visibility='private'),
            'other_shared': make_image(owner=OUTSIDER),
            'consumer_own_private': make_image(owner=CONSUMER,
                                               visibility='private'),
            'consumer_own_community': make_image(owner=CONSUMER,
                                                 visibility='community'),
        }
        for status in ('pending', 'accepted', 'rejected'):
            share(found_images[status], CONSUMER, status)
        return found_images

    @staticmethod
    def _labels(ctx, authz, repo, catalog, **query):
        found_images, _ = images.list_images(
            ctx, authz, repo, records.ImageQuery(limit=1000, **query))
        by_id = {v.id: k for k, v in catalog.items()}
        return {by_id[i.id] for i in found_images}

    def test_member_status_defaults_to_accepted(self):
        assert lifecycle.DEFAULT_LIST_MEMBER_STATUS == 'accepted'
        assert records.ImageQuery(limit=10).member_status is None

    def test_consumer_default_list(self, consumer, authz, repo, catalog):
        assert self._labels(consumer, authz, repo, catalog) == {
            'accepted', 'public', 'consumer_own_private',
            'consumer_own_community'}

    @pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
    def test_consumer_member_status(self, consumer, authz, repo, catalog,
                                    status):
        assert self._labels(consumer, authz, repo, catalog,
                            member_status=status) == {
            status, 'public', 'consumer_own_private',
            'consumer_own_community'}

    def test_consumer_member_status_all(self, consumer, authz, repo,
                                        catalog):
        assert self._labels(consumer, authz, repo, catalog,
                            member_status='all') == {
            'pending', 'accepted', 'rejected', 'public',
            'consumer_own_private', 'consumer_own_community'}

    def test_consumer_pending_shared(self, consumer, authz, repo, catalog):
        assert self._labels(consumer, authz, repo, catalog,
                            member_status='pending',
                            visibility='shared') == {'pending'}

    def test_consumer_community_on_request(self, consumer, authz, repo,
                                           catalog):
        assert self._labels(consumer, authz, repo, catalog,
                            visibility='community') == {
            'community', 'consumer_own_community'}

    def test_consumer_visibility_all(self, consumer, authz, repo, catalog):
        assert self._labels(consumer, authz, repo, catalog,
                            visibility='all') == {
            'accepted', 'public', 'community', 'consumer_own_private',
            'consumer_own_community'}

    @pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected',
                                        'all'])
    def test_owner_sees_own_images_whatever_member_status(
            self, owner, authz, repo, catalog, status):
        assert self._labels(owner, authz, repo, catalog,
                            member_status=status) == {
            'pending', 'accepted', 'rejected', 'unshared', 'private',
            'public', 'community'}

    def test_owner_shared_filter(self, owner, authz, repo, catalog):
        assert self._labels(owner, authz, repo, catalog,
                            visibility='shared', member_status='rejected') \
            == {'pending', 'accepted', 'rejected', 'unshared'}

    def test_stranger_sees_public_only(self, consumer2, authz, repo,
                                       catalog):
        assert self._labels(consumer2, authz, repo, catalog,
                            member_status='all') == {'public'}

    def test_admin_sees_all_but_foreign_community(self, admin, authz, repo,
                                                  catalog):
        assert self._labels(admin, authz, repo, catalog) == \
            set(catalog) - {'community', 'consumer_own_community'}

    def test_admin_member_status_has_no_effect(self, admin, authz, repo,
                                               catalog):
        assert self._labels(admin, authz, repo, catalog,
                            member_status='pending', visibility='shared') \
            == {'pending', 'accepted', 'rejected', 'unshared',
                'other_shared'}

    def test_accept_then_reject_moves_image_in_and_out(
            self, consumer, authz, repo, shared, share):
        share(shared, CONSUMER)

        def listed():
            found_images, _ = images.list_images(consumer, authz, repo,
                                                 records.ImageQuery(limit=100))
            return shared.id in [i.id for i in found_images]
        assert not listed()
        members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                              'accepted')
        assert listed()
        members.update_member(consumer, authz, repo, shared.id, CONSUMER,
                              'rejected')
        assert not listed()

    def test_reader_needed(self, make_ctx, authz, repo, catalog):
        with pytest.raises(exception.Forbidden) as e:
            images.list_images(make_ctx(CONSUMER, roles=('member',)), authz,
                               repo, records.ImageQuery(limit=10))
        assert e.value.message == NOT_AUTHORIZED % 'get_images'

    def test_more_when_page_is_full(self, owner, authz, repo, catalog):
        found_images, more = images.list_images(owner, authz, repo,
                                                records.ImageQuery(limit=3))
        assert len(found_images) == 3 and more
        found_images, more = images.list_images(owner, authz, repo,
                                                records.ImageQuery(limit=100))
        assert len(found_images) == 7 and not more

    def test_marker_pages_through(self, owner, authz, repo, catalog):
        seen, marker = [], None
        while True:
            found_images, more = images.list_images(
                owner, authz, repo, records.ImageQuery(limit=2,
                                                       marker=marker))
            seen += [i.id for i in found_images]
            if not more:
                break
            marker = found_images[-1].id
        assert len(seen) == len(set(seen)) == 7

    def test_invisible_marker_is_invalid(self, consumer, authz, repo,
                                         catalog):
        marker = catalog['other_private'].id
        with pytest.raises(exception.Invalid) as e:
            images.list_images(consumer, authz, repo,
                               records.ImageQuery(limit=10, marker=marker))
        assert e.value.message == 'No image found with ID %s' % marker

    def test_pending_image_is_a_valid_marker_for_its_consumer(
            self, clock, consumer, authz, repo, catalog, make_image, share):
        # A pending share between older and newer listed images: the page
        # after it is exactly the older part of the consumer's list.
        clock.tick()
        pending = make_image()
        share(pending, CONSUMER)
        clock.tick()
        share(make_image(), CONSUMER, 'accepted')
        everything, _ = images.list_images(consumer, authz, repo,
                                           records.ImageQuery(limit=100))
        page, more = images.list_images(consumer, authz, repo,
                                        records.ImageQuery(
                                            limit=100, marker=pending.id))
        older = [i.id for i in everything if i.created_at < pending.created_at]
        assert [i.id for i in page] == older and not more
        assert 0 < len(older) < len(everything)

    def test_admin_and_outsider_ids(self):
        # Guard against fixture constants colliding.
        assert len({OWNER, CONSUMER, CONSUMER2, OUTSIDER,
                    ADMIN_PROJECT}) == 5
