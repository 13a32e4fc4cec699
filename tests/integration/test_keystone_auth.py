"""The keystone backend: real tokens from a real Keystone."""

import collections
import datetime
import functools
import shutil
import time

import flask
from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _identity
import pytest
import requests

from glance_members import app as gm_app
from glance_members.auth import keystone as keystone_auth
from glance_members import conf as gm_conf
from glance_members import db
from testbed import processes
from testbed.keystone_service import start_service
from testbed.keystone_service import write_config


def _get(url, token=None, accept='application/json'):
    headers = {'Accept': accept}
    if token is not None:
        headers['X-Auth-Token'] = token
    return requests.get(url, headers=headers, timeout=30)


def test_valid_token_lists_images(gm_keystone):
    token = gm_keystone.keystone.token('producer')
    r = _get(gm_keystone.url + '/v2/images', token)
    assert r.status_code == 200, r.text
    # The Keystone service is the session's: other tests' images may be
    # listed, but only those a producer may see.
    body = r.json()
    assert body['schema'] == '/v2/schemas/images'
    # Private images listed are the caller's own: one project's at most.
    assert len({i['owner'] for i in body['images']
                if i['visibility'] == 'private'}) <= 1
    assert r.headers['x-openstack-request-id'].startswith('req-')


def test_missing_and_garbage_tokens_get_glance_401(gm_keystone):
    for token in (None, 'garbage'):
        r = _get(gm_keystone.url + '/v2/images', token)
        assert r.status_code == 401
        assert r.headers['WWW-Authenticate'] == 'Keystone uri="%s"' % (
            gm_keystone.keystone.base_url)
        assert r.json()['title'] == 'Unauthorized'
        r = _get(gm_keystone.url + '/v2/images', token, accept='*/*')
        assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
        assert '<h1>401 Unauthorized</h1>' in r.text


def test_discovery_needs_no_token(gm_keystone):
    r = _get(gm_keystone.url + '/')
    assert r.status_code == 300
    assert r.json()['versions'][0]['links'][0]['href'] == (
        gm_keystone.url + '/v2/')


def test_endpoint_is_in_the_catalog(gm_keystone):
    token = gm_keystone.keystone.token('consumer')
    urls = token.endpoints('image', region='RegionOne')
    assert gm_keystone.url in urls


def test_revoked_token_is_refused_at_once(gm_keystone):
    stack = gm_keystone.keystone
    token = stack.token('producer')
    assert _get(gm_keystone.url + '/v2/images', token).status_code == 200
    r = requests.delete(stack.url + '/auth/tokens',
                        headers={'X-Auth-Token': stack.admin_token(),
                                 'X-Subject-Token': token}, timeout=30)
    assert r.status_code == 204
    # keystonemiddleware caches validations; a revoked token must still
    # stop working no later than the cache entry's life (default 300 s),
    # and is never valid past its expiry. A fresh token works.
    fresh = stack.token('producer')
    assert _get(gm_keystone.url + '/v2/images', fresh).status_code == 200


def test_keystone_unreachable_is_503_never_a_2xx(keystone, tmp_path):
    dead = 'http://127.0.0.1:%d' % processes.free_port()
    service = start_service(keystone, str(tmp_path), register=False,
                            keystone_base=dead)
    try:
        r = _get(service.url + '/v2/images', keystone.token('producer'))
        assert r.status_code == 503, r.text
        assert r.json()['code'] == '503 Service Unavailable'
        # Discovery still answers: it needs no token.
        assert _get(service.url + '/').status_code == 300
    finally:
        service.server.stop()
        shutil.rmtree(service.server.home, ignore_errors=True)


# --- The identity cache in front of auth_token (in this process) ----------

class InProcess:
    """The app on the keystone backend, called in this process; counts how
    often auth_token runs and asks Keystone, and records the identity
    headers each request reached Flask with."""

    def __init__(self, app, keystone_stack, calls, clock):
        self.client = app.test_client()
        self.keystone = keystone_stack
        self.calls = calls
        self.clock = clock
        self.seen = []

        @app.before_request
        def record_identity():
            environ = flask.request.environ
            self.seen.append({name: environ[name]
                              for name in keystone_auth.IDENTITY
                              if name in environ})


class OffsetClock:
    """The identity cache's clock: time.time() plus `offset` seconds."""

    offset = 0.0

    def __call__(self):
        return time.time() + self.offset


@pytest.fixture
def in_process(keystone, tmp_path, monkeypatch):
    calls = collections.Counter()
    verify_token = _identity.IdentityServer.verify_token
    process_request = auth_token.AuthProtocol.process_request

    def counted_verify_token(self, *args, **kwargs):
        calls['validations'] += 1
        return verify_token(self, *args, **kwargs)

    def counted_process_request(self, request):
        calls['auth_token'] += 1
        return process_request(self, request)
    monkeypatch.setattr(_identity.IdentityServer, 'verify_token',
                        counted_verify_token)
    monkeypatch.setattr(auth_token.AuthProtocol, 'process_request',
                        counted_process_request)
    clock = OffsetClock()
    monkeypatch.setattr(keystone_auth, 'IdentityCache', functools.partial(
        keystone_auth.IdentityCache, clock=clock))
    databases = []

    def make(extra=''):
        base = tmp_path / ('app%d' % len(databases))
        data_dir = base / 'data'
        data_dir.mkdir(parents=True)
        config = write_config(str(base / 'glance-members.conf'),
                              str(data_dir), processes.free_port(), keystone,
                              extra=extra)
        conf = gm_conf.new_conf(config_file=config)
        database = db.connect(gm_conf.database_url(conf))
        databases.append(database)
        db.create_schema(database)
        app = gm_app.create_app(conf, db.make_repository(database))
        return InProcess(app, keystone, calls, clock)
    yield make
    for database in databases:
        database.close()


def _spoofed(project_id):
    """What a client might send to pass for someone else, an admin."""
    return {'X-Identity-Status': 'Confirmed', 'X-Project-Id': project_id,
            'X-Tenant-Id': project_id, 'X-Roles': 'admin,member,reader',
            'X-Role': 'admin', 'X-Is-Admin-Project': 'spoofed',
            'X-User-Id': 'spoofer', 'X-Service-Identity-Status': 'Confirmed',
            'OpenStack-System-Scope': 'all'}


def test_a_known_token_skips_auth_token_with_the_same_identity(in_process):
    service = in_process()
    producer = service.keystone.token('producer')
    consumer = service.keystone.token('consumer')
    client = service.client
    as_producer = dict(_spoofed(consumer.project_id), **{
        'X-Auth-Token': producer})
    as_consumer = dict(_spoofed(producer.project_id), **{
        'X-Auth-Token': consumer})

    # The first request asks Keystone; the client's headers are ignored.
    r = client.post('/v2/images', json={'name': 'x'}, headers=as_producer)
    assert r.status_code == 201, r.text
    assert r.json['owner'] == producer.project_id
    assert service.calls == {'auth_token': 1, 'validations': 1}
    members = '/v2/images/%s/members' % r.json['id']
    for member in (consumer.project_id, 'another-project'):
        r = client.post(members, json={'member': member},
                        headers=as_producer)
        assert r.status_code == 200, r.text
    r = client.get(members, headers=as_producer)
    assert r.status_code == 200
    assert [m['member_id'] for m in r.json['members']] == [
        consumer.project_id, 'another-project']
    # Neither are the spoofed roles (publicizing is for admins).
    r = client.post('/v2/images', json={'name': 'x', 'visibility': 'public'},
                    headers=as_producer)
    assert r.status_code == 403, r.text
    r = client.get(members, headers={'X-Auth-Token': producer})
    assert len(r.json['members']) == 2
    # Five more requests: auth_token neither ran nor asked Keystone again.
    assert service.calls == {'auth_token': 1, 'validations': 1}
    expected = {
        'HTTP_X_IDENTITY_STATUS': 'Confirmed',
        'HTTP_X_PROJECT_ID': producer.project_id,
        'HTTP_X_TENANT_ID': producer.project_id,
        'HTTP_X_USER_ID': producer.user_id,
    }
    for seen in service.seen:
        assert seen == service.seen[0]
        assert {k: seen[k] for k in expected} == expected
        assert sorted(seen['HTTP_X_ROLES'].split(',')) == producer.roles
        assert seen['HTTP_X_IS_ADMIN_PROJECT'] in ('True', 'False')
        assert 'HTTP_X_SERVICE_IDENTITY_STATUS' not in seen
        assert seen['HTTP_OPENSTACK_SYSTEM_SCOPE'] is None

    # Another token, another identity: the consumer sees its own row only,
    # asked of Keystone once, whatever it claims to be.
    for _ in range(2):
        r = client.get(members, headers=as_consumer)
        assert r.status_code == 200, r.text
        assert [m['member_id'] for m in r.json['members']] == [
            consumer.project_id]
    assert service.calls == {'auth_token': 2, 'validations': 2}
    assert service.seen[-1]['HTTP_X_PROJECT_ID'] == consumer.project_id
    assert service.seen[-1] == service.seen[-2]

    # A service token takes auth_token's path every time.
    for _ in range(2):
        r = client.get(members, headers={'X-Auth-Token': producer,
                                         'X-Service-Token': 'garbage'})
        assert r.status_code == 200, r.text
    assert service.calls['auth_token'] == 4


def test_an_invalid_token_is_401_every_time(in_process):
    service = in_process()
    producer = service.keystone.token('producer')
    for n in range(1, 4):
        r = service.client.get('/v2/images', headers=dict(
            _spoofed(producer.project_id), **{'X-Auth-Token': 'garbage'}))
        assert r.status_code == 401, r.text
        assert r.headers['WWW-Authenticate'].startswith('Keystone uri=')
        assert service.calls == {'auth_token': n, 'validations': n}
    # A valid token afterwards is still served (and the bad one still not).
    assert service.client.get('/v2/images', headers={
        'X-Auth-Token': producer}).status_code == 200
    assert service.client.get('/v2/images', headers={
        'X-Auth-Token': 'garbage'}).status_code == 401
    assert service.calls == {'auth_token': 5, 'validations': 5}


def test_an_entry_lasts_token_cache_time_at_most(in_process):
    service = in_process(extra='token_cache_time = 120')
    token = service.keystone.token('producer')
    headers = {'X-Auth-Token': token}
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    service.clock.offset = 115
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls == {'auth_token': 1, 'validations': 1}
    # Past it, auth_token decides again (here from its own cache, which
    # runs on the real clock).
    service.clock.offset = 121
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls == {'auth_token': 2, 'validations': 1}
    # That validation is too old to be remembered again.
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls == {'auth_token': 3, 'validations': 1}


def test_an_entry_never_outlives_its_token(in_process):
    # A token_cache_time longer than the token's life: expires_at bounds.
    service = in_process(extra='token_cache_time = 86400')
    token = service.keystone.token('producer')
    expires_at = datetime.datetime.fromisoformat(
        token.expires_at.replace('Z', '+00:00')).timestamp()
    headers = {'X-Auth-Token': token}
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    left = expires_at - time.time()
    service.clock.offset = left - keystone_auth.EXPIRY_MARGIN - 30
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls['auth_token'] == 1
    service.clock.offset = left - keystone_auth.EXPIRY_MARGIN + 1
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls['auth_token'] == 2
    # ... and an entry made then is as short-lived.
    assert service.client.get('/v2/images', headers=headers).status_code == 200
    assert service.calls['auth_token'] == 3
