"""The recipient check ([sharing] verify_members) against a real Keystone.

glance-members runs on the keystone backend with verify_members on and no
directory cache, so every member add asks Keystone with the service's own
[keystone_authtoken] credentials (gm-service, admin in project service).
"""

import shutil
import uuid

import pytest
import requests

from testbed.keystone_service import start_service

EXTRA = """
[sharing]
verify_members = true
directory_cache_time = 0
"""
DIRECTORY_DOWN = 'cannot be reached to check the members'


@pytest.fixture(scope='module')
def verifying(keystone, tmp_path_factory):
    base = str(tmp_path_factory.mktemp('gm-verify'))
    service = start_service(keystone, base, extra=EXTRA, register=False)
    try:
        yield service
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)


class Client:
    def __init__(self, service, user):
        self.url = service.url
        self.token = service.keystone.token(user)

    def call(self, method, path, body=None):
        return requests.request(method, self.url + path, json=body,
                                headers={'X-Auth-Token': self.token,
                                         'Accept': 'application/json'},
                                timeout=60)

    def image(self):
        r = self.call('POST', '/v2/images', {'name': 'rc-%s' % uuid.uuid4(),
                                             'visibility': 'shared'})
        assert r.status_code == 201, r.text
        return r.json()['id']

    def members(self, image_id):
        r = self.call('GET', '/v2/images/%s/members' % image_id)
        assert r.status_code == 200, r.text
        return sorted(m['member_id'] for m in r.json()['members'])


@pytest.fixture
def producer(verifying):
    return Client(verifying, 'producer')


def projects(keystone):
    return keystone.identities['projects']


def admin(keystone, method, path, body=None):
    r = requests.request(method, keystone.url + path, json=body,
                         headers={'X-Auth-Token': keystone.admin_token()},
                         timeout=30)
    assert r.status_code < 300, r.text
    return r.json() if r.content else None


@pytest.fixture
def disabled_project(keystone):
    project = admin(keystone, 'POST', '/projects', {'project': {
        'name': 'rc-disabled-%s' % uuid.uuid4().hex[:8],
        'domain_id': 'default', 'enabled': False}})['project']
    yield project
    admin(keystone, 'DELETE', '/projects/%s' % project['id'])


def assert_glance_400(r, *fragments):
    assert r.status_code == 400, r.text
    assert r.json()['code'] == '400 Bad Request', r.text
    for fragment in fragments:
        assert fragment in r.text


def test_v2_add_of_an_existing_enabled_project_works(keystone, producer):
    image = producer.image()
    consumer = projects(keystone)['consumer']
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': consumer})
    assert r.status_code == 200, r.text
    assert r.json()['member_id'] == consumer
    assert producer.members(image) == [consumer]


def test_batch_share_of_existing_projects_works(keystone, producer):
    images = [producer.image(), producer.image()]
    ids = sorted([projects(keystone)['consumer'],
                  projects(keystone)['consumer2']])
    r = producer.call('POST', '/sharing/v1/shares',
                      {'images': images, 'members': ids})
    assert r.status_code == 200, r.text
    assert len(r.json()['results']) == 4
    for image in images:
        assert producer.members(image) == ids


def test_a_typo_id_is_a_400_naming_it_and_writes_nothing(keystone,
                                                         producer):
    image = producer.image()
    typo = uuid.uuid4().hex
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': typo})
    assert_glance_400(r, typo)
    r = producer.call('POST', '/sharing/v1/shares', {
        'images': [image],
        'members': [projects(keystone)['consumer'], typo]})
    assert_glance_400(r, typo, 'Nothing was shared')
    assert producer.members(image) == []


def test_a_disabled_project_is_a_400(producer, disabled_project):
    image = producer.image()
    pid = disabled_project['id']
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': pid})
    assert_glance_400(r, pid)
    r = producer.call('POST', '/sharing/v1/shares',
                      {'images': [image], 'members': [pid]})
    assert_glance_400(r, pid)
    r = producer.call('POST', '/sharing/v1/shares', {
        'images': [image],
        'members': [{'name': disabled_project['name'],
                     'domain': 'Default'}]})
    assert_glance_400(r, disabled_project['name'])
    assert producer.members(image) == []


def test_batch_members_by_name_and_domain_resolve_to_ids(keystone,
                                                         producer):
    image = producer.image()
    r = producer.call('POST', '/sharing/v1/shares', {
        'images': [image],
        'members': [{'name': 'consumer', 'domain': 'Default'},
                    {'name': 'consumer2', 'domain': 'default'}]})
    assert r.status_code == 200, r.text
    want = sorted([projects(keystone)['consumer'],
                   projects(keystone)['consumer2']])
    assert sorted(p['member_id'] for p in r.json()['results']) == want
    assert producer.members(image) == want
    r = producer.call('POST', '/sharing/v1/shares', {
        'images': [image],
        'members': [{'name': 'no-such-project', 'domain': 'Default'}]})
    assert_glance_400(r, 'no-such-project')
    r = producer.call('POST', '/sharing/v1/shares/revoke', {
        'images': [image],
        'members': [{'name': 'consumer2', 'domain': 'Default'}]})
    assert r.status_code == 200, r.text
    assert producer.members(image) == [projects(keystone)['consumer']]


@pytest.fixture
def other_domain(keystone):
    suffix = uuid.uuid4().hex[:8]
    domain = admin(keystone, 'POST', '/domains', {'domain': {
        'name': 'rc-domain-%s' % suffix}})['domain']
    project = admin(keystone, 'POST', '/projects', {'project': {
        'name': 'rc-elsewhere', 'domain_id': domain['id']}})['project']
    yield domain, project
    admin(keystone, 'DELETE', '/projects/%s' % project['id'])
    admin(keystone, 'PATCH', '/domains/%s' % domain['id'],
          {'domain': {'enabled': False}})
    admin(keystone, 'DELETE', '/domains/%s' % domain['id'])


def test_a_project_of_another_domain_by_id_and_by_name(producer,
                                                       other_domain):
    """The service user (admin in project service) may read projects of
    every domain: README 'Beyond Glance' names the role it needs."""
    domain, project = other_domain
    image = producer.image()
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': project['id']})
    assert r.status_code == 200, r.text
    image = producer.image()
    for name in (domain['name'], domain['id']):
        r = producer.call('POST', '/sharing/v1/shares', {
            'images': [image],
            'members': [{'name': 'rc-elsewhere', 'domain': name}]})
        assert r.status_code == 200, r.text
        assert r.json()['results'][0]['member_id'] == project['id']
    r = producer.call('POST', '/sharing/v1/shares', {
        'images': [image],
        'members': [{'name': 'rc-elsewhere', 'domain': 'Default'}]})
    assert_glance_400(r, 'rc-elsewhere')


def test_keystone_down_is_503_then_recovers(keystone, producer):
    """Last in the module: stops the session's Keystone and starts it
    again (same database and fernet keys, so tokens stay valid)."""
    image = producer.image()  # the user's token is now validated (cached)
    consumer = projects(keystone)['consumer']
    keystone.server.stop()
    try:
        r = producer.call('POST', '/v2/images/%s/members' % image,
                          {'member': consumer})
        assert r.status_code == 503, r.text
        assert r.json()['code'] == '503 Service Unavailable'
        assert DIRECTORY_DOWN in r.text
        r = producer.call('POST', '/sharing/v1/shares',
                          {'images': [image], 'members': [consumer]})
        assert r.status_code == 503, r.text
        assert DIRECTORY_DOWN in r.text
        r = producer.call('POST', '/sharing/v1/shares', {
            'images': [image],
            'members': [{'name': 'consumer', 'domain': 'Default'}]})
        assert r.status_code == 503, r.text
        assert producer.members(image) == []
    finally:
        keystone.server.start()
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': consumer})
    assert r.status_code == 200, r.text
    assert producer.members(image) == [consumer]


def test_names_and_whose_project_from_keystone(verifying, producer):
    """Keystone's names (read with the service user) beside the ids of
    /sharing/v1, and the Share form's lookup of an id (issue 25)."""
    consumer = projects(verifying.keystone)['consumer']
    r = producer.call('GET', '/sharing/v1/projects/%s' % consumer)
    assert r.status_code == 200, r.text
    assert r.json() == {'id': consumer, 'name': 'consumer'}
    missing = uuid.uuid4().hex
    r = producer.call('GET', '/sharing/v1/projects/%s' % missing)
    assert r.status_code == 404, r.text
    assert r.json()['message'] == 'No enabled project has the id %s.' % (
        missing)
    image = producer.image()
    r = producer.call('POST', '/v2/images/%s/members' % image,
                      {'member': consumer})
    assert r.status_code == 200, r.text
    assert 'member_name' not in r.json()  # /v2 stays Glance's
    r = producer.call('GET', '/sharing/v1/images/%s/members' % image)
    assert [(m['member_id'], m['member_name'])
            for m in r.json()['members']] == [(consumer, 'consumer')]
    [entry] = producer.call('GET', '/sharing/v1/images/%s/history'
                            % image).json()['history']
    assert (entry['member_name'], entry['actor']['user_name'],
            entry['actor']['project_name']) == ('consumer', 'producer',
                                                'producer')
