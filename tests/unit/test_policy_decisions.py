"""The Authorizer remembers a decision by what the rule reads of the
target, so a list of many images costs one oslo.policy evaluation per kind
of image, while a rule that reads an image property (or a check it cannot
see into) still decides image by image."""

import yaml

from glance_members import context
from glance_members import policy
from tests.unit.conftest import CONSUMER, OWNER
from tests.support.policies import rackspace_conf


def _image(image_id, owner=OWNER, visibility='shared', **properties):
    return dict(properties, id=image_id, project_id=owner, owner=owner,
                visibility=visibility, status='active', protected=False,
                name='image %s' % image_id, member_id=None)


def _ctx(project_id, roles=('member', 'reader')):
    return context.RequestContext(user_id='u', project_id=project_id,
                                  roles=list(roles))


def _authorizer(tmp_path, rules):
    path = tmp_path / 'policy.yaml'
    path.write_text(yaml.safe_dump(rules))
    return policy.Authorizer(rackspace_conf(str(path)))


def test_images_alike_share_one_decision(authz):
    owner = _ctx(OWNER)
    assert all(authz.check(owner, 'get_image', _image('i%d' % n))
               for n in range(100))
    assert sum(1 for key in authz._decisions if key[0] == 'get_image') == 1
    # Someone else's private image is another decision, and a different one.
    assert not authz.check(_ctx(CONSUMER), 'get_image',
                           _image('i0', visibility='private'))


def test_default_get_image_reads_only_what_it_needs(authz):
    names = policy._target_references(authz.enforcer.rules, 'get_image')
    assert names is not None
    assert not {'id', 'name', 'status'} & set(names)
    assert {'project_id', 'visibility', 'member_id'} <= set(names)


def test_rule_reading_a_property_decides_per_value(tmp_path):
    authz = _authorizer(tmp_path, {
        'get_image': "project_id:%(owner)s and 'open':%(classification)s"})
    owner = _ctx(OWNER)
    assert authz.check(owner, 'get_image', _image('a', classification='open'))
    assert not authz.check(owner, 'get_image',
                           _image('b', classification='secret'))
    assert not authz.check(owner, 'get_image', _image('c'))  # no property
    assert authz.check(owner, 'get_image', _image('d', classification='open'))


def test_rule_through_other_rules_and_negation(tmp_path):
    authz = _authorizer(tmp_path, {
        'not_frozen': "not 'yes':%(frozen)s",
        'get_image': 'project_id:%(owner)s and rule:not_frozen'})
    assert policy._target_references(authz.enforcer.rules, 'get_image') == [
        'frozen', 'owner']
    owner = _ctx(OWNER)
    assert authz.check(owner, 'get_image', _image('a', frozen='no'))
    assert not authz.check(owner, 'get_image', _image('b', frozen='yes'))


def test_check_it_cannot_see_into_keys_on_the_whole_target(tmp_path):
    authz = _authorizer(tmp_path, {
        'get_image': 'http://127.0.0.1:9/never-called or '
                     'project_id:%(owner)s'})
    assert policy._target_references(authz.enforcer.rules,
                                     'get_image') is None
    key_a = authz._decision_key(_ctx(OWNER), 'get_image', _image('a'))
    key_b = authz._decision_key(_ctx(OWNER), 'get_image', _image('b'))
    assert key_a != key_b
