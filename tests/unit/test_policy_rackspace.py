"""The Rackspace Cloud Images example policy (etc/policy.rackspace.yaml),
loaded through the real Authorizer, and the policy sample generation.

The roles and the matrix are Rackspace's published ones, the rules they
sit on Glance 33.0.0's: tests/glance-33-facts.md §5 (§5.2 for Rackspace,
with the pages it was read from).
"""


import pytest
import yaml
from oslo_config import cfg
from oslo_policy import _checks
from oslo_policy import _parser
from oslo_policy import generator

from glance_members import context
from glance_members import exception
from glance_members import policy
from glance_members import records
from glance_members.sharing import images
from glance_members.sharing import members
from tests.support.policies import POLICY_FILE
from tests.support.policies import rackspace_conf
from tests.unit.conftest import CONSUMER, CONSUMER2, OUTSIDER, OWNER

QUOTAS = records.Quotas(members=128, properties=128, tags=128)

CREATOR = ('cloudImages:creator',)
CI_ADMIN = ('cloudImages:admin',)
OBSERVER = ('cloudImages:observer',)
PLAIN_MEMBER = ('member', 'reader')

GLANCE_RULES = ('add_member', 'get_member', 'get_members', 'modify_member',
                'delete_member', 'add_image', 'get_image', 'get_images',
                'modify_image', 'delete_image', 'publicize_image',
                'communitize_image', 'download_image', 'upload_image',
                'deactivate', 'reactivate', 'context_is_admin', 'default')


@pytest.fixture
def rs_authz():
    return policy.Authorizer(rackspace_conf())


@pytest.fixture
def ctx_for(rs_authz):
    def _make(project_id, roles):
        ctx = context.RequestContext(user_id='u-%s' % project_id,
                                     project_id=project_id, roles=list(roles))
        ctx.is_admin = rs_authz.is_admin(ctx)
        return ctx
    return _make


@pytest.fixture
def image(make_image):
    return make_image()


def _target(image_owner=OWNER, member_id=None, visibility='shared'):
    return {'project_id': image_owner, 'owner': image_owner,
            'member_id': member_id, 'visibility': visibility}


# --- the file itself --------------------------------------------------------

class TestPolicyFile:
    def test_file_is_yaml_mapping_of_strings(self):
        with open(POLICY_FILE) as f:
            rules = yaml.safe_load(f)
        assert isinstance(rules, dict) and rules
        assert all(isinstance(k, str) and isinstance(v, str)
                   for k, v in rules.items())

    def test_every_check_string_parses(self):
        with open(POLICY_FILE) as f:
            rules = yaml.safe_load(f)
        for name, check_str in rules.items():
            parsed = _parser.parse_rule(check_str)
            # A syntax error makes oslo.policy fail closed with FalseCheck.
            assert not isinstance(parsed, _checks.FalseCheck), name
            assert '!' not in str(parsed), name

    def test_role_names_are_lower_case(self):
        with open(POLICY_FILE) as f:
            rules = yaml.safe_load(f)
        for check_str in rules.values():
            for token in check_str.replace('(', ' ').replace(')', ' ').split():
                if token.startswith('role:'):
                    assert token == token.lower(), token

    def test_overrides_only_known_rules_or_aliases(self):
        with open(POLICY_FILE) as f:
            rules = yaml.safe_load(f)
        known = {r.name for r in policy.list_rules()}
        extra = set(rules) - known
        assert extra == {'cloudimages_observer', 'cloudimages_creator',
                         'cloudimages_admin'}

    def test_authorizer_loads_the_file(self, rs_authz):
        rules = rs_authz.enforcer.rules
        assert 'rule:cloudimages_creator' in str(rules['add_member'])
        assert 'rule:cloudimages_admin' in str(rules['modify_member'])
        assert str(rules['cloudimages_admin']) == 'role:cloudimages:admin'
        # Untouched rules keep Glance's defaults.
        assert str(rules['publicize_image']) == 'rule:context_is_admin'


# --- how oslo.policy reads role:cloudimages:creator --------------------------

class TestColonInRoleName:
    def test_role_check_splits_on_first_colon(self):
        check = _parser.parse_rule('role:cloudimages:creator')
        assert isinstance(check, _checks.RoleCheck)
        assert check.kind == 'role'
        assert check.match == 'cloudimages:creator'

    @pytest.mark.parametrize('roles, expected', [
        (['cloudimages:creator'], True),
        (['cloudImages:creator'], True),   # oslo.policy compares lower-cased
        (['cloudimages'], False),
        (['creator'], False),
        (['cloudimages:admin'], False),
        (['cloudimages:creatorx'], False),
    ])
    def test_role_check_matches_whole_name(self, roles, expected):
        check = _parser.parse_rule('role:cloudimages:creator')
        assert check({}, {'roles': roles}, None) is expected

    def test_context_lower_cases_roles(self, ctx_for):
        ctx = ctx_for(OWNER, ('cloudImages:Creator', 'CloudImages:Observer'))
        assert ctx.roles == ['cloudimages:creator', 'cloudimages:observer']

    def test_mixed_case_token_role_passes_through_authorizer(
            self, rs_authz, ctx_for):
        ctx = ctx_for(OWNER, ('CLOUDIMAGES:CREATOR',))
        assert rs_authz.check(ctx, 'add_member', _target())

    def test_cloudimages_admin_is_not_cloud_admin(self, ctx_for):
        assert not ctx_for(OWNER, CI_ADMIN).is_admin

    def test_operator_admin_is_still_admin(self, ctx_for):
        assert ctx_for(OUTSIDER, ('admin',)).is_admin


# --- the rules, checked directly ---------------------------------------------

class TestRules:
    @pytest.mark.parametrize('roles, expected', [
        (CREATOR, True), (CI_ADMIN, True), (OBSERVER, False),
        (PLAIN_MEMBER, False), (('admin',), True)])
    @pytest.mark.parametrize('rule', ['add_member', 'delete_member'])
    def test_sharing(self, rs_authz, ctx_for, rule, roles, expected):
        project = OUTSIDER if roles == ('admin',) else OWNER
        assert rs_authz.check(ctx_for(project, roles), rule,
                              _target()) is expected

    @pytest.mark.parametrize('rule', ['add_member', 'delete_member'])
    def test_sharing_keeps_the_owner_check(self, rs_authz, ctx_for, rule):
        for roles in (CREATOR, CI_ADMIN):
            assert not rs_authz.check(ctx_for(OUTSIDER, roles), rule,
                                      _target())
            assert not rs_authz.check(ctx_for(CONSUMER, roles), rule,
                                      _target(member_id=CONSUMER))

    @pytest.mark.parametrize('roles, expected', [
        (CREATOR, False), (CI_ADMIN, True), (OBSERVER, False),
        (PLAIN_MEMBER, False)])
    def test_modify_member_for_consumer(self, rs_authz, ctx_for, roles,
                                        expected):
        assert rs_authz.check(ctx_for(CONSUMER, roles), 'modify_member',
                              _target(member_id=CONSUMER)) is expected

    def test_modify_member_keeps_the_consumer_check(self, rs_authz, ctx_for):
        # The owner's Cloud Images admin cannot accept on the consumer's
        # behalf: member_id is None for the owner.
        assert not rs_authz.check(ctx_for(OWNER, CI_ADMIN), 'modify_member',
                                  _target())

    @pytest.mark.parametrize('roles, expected', [
        (CREATOR, True), (CI_ADMIN, True), (OBSERVER, True),
        (PLAIN_MEMBER, False)])
    @pytest.mark.parametrize('rule', ['get_image', 'get_images',
                                      'get_member', 'get_members'])
    def test_reading(self, rs_authz, ctx_for, rule, roles, expected):
        assert rs_authz.check(ctx_for(OWNER, roles), rule,
                              _target()) is expected
        if rule != 'get_images':
            assert rs_authz.check(ctx_for(CONSUMER, roles), rule,
                                  _target(member_id=CONSUMER)) is expected

    @pytest.mark.parametrize('rule', ['get_member', 'get_members',
                                      'get_images'])
    def test_reading_keeps_project_checks(self, rs_authz, ctx_for, rule):
        target = _target()
        if rule == 'get_images':
            target = {'project_id': OWNER}
        assert not rs_authz.check(ctx_for(OUTSIDER, OBSERVER), rule, target)

    @pytest.mark.parametrize('roles, expected', [
        (CREATOR, False), (CI_ADMIN, True), (OBSERVER, False),
        (PLAIN_MEMBER, False)])
    @pytest.mark.parametrize('rule', ['modify_image', 'delete_image'])
    def test_modify_and_delete_image(self, rs_authz, ctx_for, rule, roles,
                                     expected):
        assert rs_authz.check(ctx_for(OWNER, roles), rule,
                              _target()) is expected
        assert not rs_authz.check(ctx_for(OUTSIDER, roles), rule, _target())

    @pytest.mark.parametrize('roles, expected', [
        (CREATOR, True), (CI_ADMIN, True), (OBSERVER, False),
        (PLAIN_MEMBER, False)])
    def test_add_image(self, rs_authz, ctx_for, roles, expected):
        assert rs_authz.check(ctx_for(OWNER, roles), 'add_image',
                              _target()) is expected
        # ...only for its own project.
        assert not rs_authz.check(ctx_for(OUTSIDER, roles), 'add_image',
                                  _target())

    def test_publicize_stays_cloud_admin_only(self, rs_authz, ctx_for):
        assert not rs_authz.check(ctx_for(OWNER, CI_ADMIN),
                                  'publicize_image', _target())
        assert rs_authz.check(ctx_for(OUTSIDER, ('admin',)),
                              'publicize_image', _target())

    def test_system_scope_still_refused(self, rs_authz):
        ctx = context.RequestContext(user_id='u', system_scope='all',
                                     roles=['cloudimages:admin', 'admin'])
        ctx.is_admin = rs_authz.is_admin(ctx)
        assert not rs_authz.check(ctx, 'add_member', _target())


# --- the sharing flows under the Rackspace policy ----------------------------

class TestSharingFlows:
    def test_creator_can_share_but_not_accept(self, rs_authz, repo, ctx_for,
                                              image):
        owner = ctx_for(OWNER, CREATOR)
        member = members.add_member(owner, rs_authz, repo, image.id,
                                    CONSUMER, QUOTAS)
        assert member.status == 'pending'
        consumer = ctx_for(CONSUMER, CREATOR)
        # It sees the share...
        assert images.get_image(consumer, rs_authz, repo, image.id)
        assert [m.member_id for m in members.list_members(
            consumer, rs_authz, repo, image.id)] == [CONSUMER]
        # ...but may not accept it.
        with pytest.raises(exception.Forbidden) as e:
            members.update_member(consumer, rs_authz, repo, image.id,
                                  CONSUMER, 'accepted')
        assert e.value.message == \
            'You are not authorized to complete modify_member action.'
        assert repo.get_member(image.id, CONSUMER).status == 'pending'
        # The owner's creator may revoke it.
        members.delete_member(owner, rs_authz, repo, image.id, CONSUMER)
        assert repo.get_member(image.id, CONSUMER) is None

    def test_creator_cannot_delete_or_modify_image(self, rs_authz, repo,
                                                   ctx_for, image):
        owner = ctx_for(OWNER, CREATOR)
        with pytest.raises(exception.Forbidden):
            images.delete_image(owner, rs_authz, repo, image.id)
        with pytest.raises(exception.Forbidden):
            images.update_image(owner, rs_authz, repo, image.id,
                                [('replace', ['name'], 'x')], QUOTAS)

    def test_cloudimages_admin_can_share_and_accept(self, rs_authz, repo,
                                                    ctx_for, image):
        owner = ctx_for(OWNER, CI_ADMIN)
        members.add_member(owner, rs_authz, repo, image.id, CONSUMER, QUOTAS)
        consumer = ctx_for(CONSUMER, CI_ADMIN)
        member = members.update_member(consumer, rs_authz, repo, image.id,
                                       CONSUMER, 'accepted')
        assert member.status == 'accepted'
        found_images, _ = images.list_images(consumer, rs_authz, repo,
                                             records.ImageQuery(limit=10))
        assert image.id in [i.id for i in found_images]
        # Still only for its own membership, and never the owner's.
        with pytest.raises(exception.Forbidden):
            members.update_member(owner, rs_authz, repo, image.id, CONSUMER,
                                  'rejected')
        # And it owns its found_images fully.
        members.delete_member(owner, rs_authz, repo, image.id, CONSUMER)
        images.delete_image(owner, rs_authz, repo, image.id)
        assert repo.get_image(image.id) is None

    def test_observer_can_only_read(self, rs_authz, repo, ctx_for, image):
        members.add_member(ctx_for(OWNER, CREATOR), rs_authz, repo, image.id,
                           CONSUMER, QUOTAS)
        owner_observer = ctx_for(OWNER, OBSERVER)
        consumer_observer = ctx_for(CONSUMER, OBSERVER)
        # Reads pass.
        for ctx in (owner_observer, consumer_observer):
            assert images.get_image(ctx, rs_authz, repo, image.id).id == \
                image.id
            assert members.get_member(ctx, rs_authz, repo, image.id,
                                      CONSUMER).member_id == CONSUMER
            assert [m.member_id for m in members.list_members(
                ctx, rs_authz, repo, image.id)] == [CONSUMER]
        found_images, _ = images.list_images(
            consumer_observer, rs_authz, repo,
            records.ImageQuery(limit=10, member_status='pending'))
        assert [i.id for i in found_images] == [image.id]
        # Writes do not.
        with pytest.raises(exception.Forbidden):
            members.add_member(owner_observer, rs_authz, repo, image.id,
                               CONSUMER2, QUOTAS)
        with pytest.raises(exception.Forbidden):
            members.delete_member(owner_observer, rs_authz, repo, image.id,
                                  CONSUMER)
        with pytest.raises(exception.Forbidden):
            members.update_member(consumer_observer, rs_authz, repo,
                                  image.id, CONSUMER, 'accepted')
        with pytest.raises(exception.Forbidden):
            images.delete_image(owner_observer, rs_authz, repo, image.id)
        with pytest.raises(exception.Forbidden):
            images.create_image(owner_observer, rs_authz, repo,
                                records.Image(id=None, owner=None),
                                QUOTAS)
        assert [(m.member_id, m.status) for m in repo.list_members(
            image.id)] == [(CONSUMER, 'pending')]

    def test_plain_member_role_cannot_share(self, rs_authz, repo, ctx_for,
                                            image):
        owner = ctx_for(OWNER, PLAIN_MEMBER)
        assert not rs_authz.check(owner, 'add_member', _target())
        # It cannot even read the image under this policy: hidden (404).
        with pytest.raises(exception.NotFound):
            members.add_member(owner, rs_authz, repo, image.id, CONSUMER,
                               QUOTAS)
        with pytest.raises(exception.Forbidden):
            images.list_images(owner, rs_authz, repo,
                               records.ImageQuery(limit=10))
        assert repo.list_members(image.id) == []

    def test_creator_of_another_project_cannot_share(self, rs_authz, repo,
                                                     ctx_for, image):
        with pytest.raises(exception.NotFound):
            members.add_member(ctx_for(OUTSIDER, CREATOR), rs_authz, repo,
                               image.id, OUTSIDER, QUOTAS)

    def test_consumer_creator_cannot_reshare(self, rs_authz, repo, ctx_for,
                                             image):
        members.add_member(ctx_for(OWNER, CREATOR), rs_authz, repo, image.id,
                           CONSUMER, QUOTAS)
        with pytest.raises(exception.Forbidden):
            members.add_member(ctx_for(CONSUMER, CREATOR), rs_authz, repo,
                               image.id, CONSUMER2, QUOTAS)

    def test_creator_creates_images(self, rs_authz, repo, ctx_for):
        created = images.create_image(ctx_for(OWNER, CREATOR), rs_authz,
                                      repo, records.Image(id=None,
                                                          owner=None),
                                      QUOTAS)
        assert created.owner == OWNER


# --- sample generation -------------------------------------------------------

class TestGeneration:
    def test_list_rules_has_every_glance_rule(self):
        names = [r.name for r in policy.list_rules()]
        assert len(names) == len(set(names))
        assert set(GLANCE_RULES) <= set(names)

    def test_scoped_rules_are_project_scoped(self):
        for rule in policy.list_rules():
            if rule.name not in ('default', 'context_is_admin',
                                 'service_api'):
                assert rule.scope_types == ['project'], rule.name

    def test_sample_generator(self, tmp_path):
        out = tmp_path / 'policy.yaml.sample'
        generator.generate_sample(
            args=['--namespace', 'glance_members', '--output-file', str(out)],
            conf=cfg.ConfigOpts())
        text = out.read_text()
        # Rules are written commented out: '#"name": "check"'.
        sample = yaml.safe_load('\n'.join(
            line[1:] for line in text.splitlines()
            if line.startswith('#"')))
        assert set(GLANCE_RULES) <= set(sample)
        assert sample['add_member'] == (
            'rule:context_is_admin or (role:member and '
            'project_id:%(project_id)s)')
        assert sample['modify_member'] == (
            'rule:context_is_admin or (role:member and '
            'project_id:%(member_id)s)')

    def test_enforcer_entry_point(self):
        enforcer = policy.get_enforcer()
        assert set(GLANCE_RULES) <= set(enforcer.registered_rules)

    def test_missing_policy_file_keeps_defaults(self, tmp_path):
        authz = policy.Authorizer(rackspace_conf(
            str(tmp_path / 'nonexistent.yaml')))
        ctx = context.RequestContext(user_id='u', project_id=OWNER,
                                     roles=['member', 'reader'])
        assert authz.check(ctx, 'add_member', _target())
