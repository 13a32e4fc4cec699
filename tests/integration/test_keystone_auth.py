"""The keystone backend: real tokens from a real Keystone."""

import os
import shutil

import requests

from tests.integration import conftest as helpers
from tests.integration.keystone_fixtures import keystone  # noqa: F401
from tests.integration.keystone_service import gm_keystone  # noqa: F401
from tests.integration.keystone_service import start_service


def _get(url, token=None, accept='application/json'):
    headers = {'Accept': accept}
    if token is not None:
        headers['X-Auth-Token'] = token
    return requests.get(url, headers=headers, timeout=30)


def test_valid_token_lists_images(gm_keystone):  # noqa: F811
    token = gm_keystone.keystone.token('producer')
    r = _get(gm_keystone.url + '/v2/images', token)
    assert r.status_code == 200, r.text
    assert r.json()['images'] == []
    assert r.headers['x-openstack-request-id'].startswith('req-')


def test_missing_and_garbage_tokens_get_glance_401(gm_keystone):  # noqa
    for token in (None, 'garbage'):
        r = _get(gm_keystone.url + '/v2/images', token)
        assert r.status_code == 401
        assert r.headers['WWW-Authenticate'] == 'Keystone uri="%s"' % (
            gm_keystone.keystone.base_url)
        assert r.json()['title'] == 'Unauthorized'
        r = _get(gm_keystone.url + '/v2/images', token, accept='*/*')
        assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
        assert '<h1>401 Unauthorized</h1>' in r.text


def test_discovery_needs_no_token(gm_keystone):  # noqa: F811
    r = _get(gm_keystone.url + '/')
    assert r.status_code == 300
    assert r.json()['versions'][0]['links'][0]['href'] == (
        gm_keystone.url + '/v2/')


def test_endpoint_is_in_the_catalog(gm_keystone):  # noqa: F811
    token = gm_keystone.keystone.token('consumer')
    urls = token.endpoints('image', region='RegionOne')
    assert gm_keystone.url in urls


def test_revoked_token_is_refused_at_once(gm_keystone):  # noqa: F811
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


def test_keystone_unreachable_is_503_never_a_2xx(keystone, tmp_path):  # noqa
    dead = 'http://127.0.0.1:%d' % helpers.free_port()
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
