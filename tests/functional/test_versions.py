"""Contract §1: version discovery (GET / 300, GET /versions 200, no token,
/v2.N aliases). Our versions list is Glance 33's no-cache/no-multistore
one: v2.15, v2.9, v2.17 CURRENT, v2.7 .. v2.0."""

import json

import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import NOT_AUTHENTICATED

EXPECTED_IDS = [('v2.15', 'SUPPORTED'), ('v2.9', 'SUPPORTED'),
                ('v2.17', 'CURRENT'), ('v2.7', 'SUPPORTED'),
                ('v2.6', 'SUPPORTED'), ('v2.5', 'SUPPORTED'),
                ('v2.4', 'SUPPORTED'), ('v2.3', 'SUPPORTED'),
                ('v2.2', 'SUPPORTED'), ('v2.1', 'SUPPORTED'),
                ('v2.0', 'SUPPORTED')]


def expected_document(href='http://localhost/v2/'):
    return json.dumps({'versions': [
        {'id': vid, 'status': status,
         'links': [{'rel': 'self', 'href': href}]}
        for vid, status in EXPECTED_IDS]})


def assert_versions(response, code, href='http://localhost/v2/'):
    assert response.status_code == code, response.data
    assert response.headers['Content-Type'] == 'application/json'
    assert response.get_data(as_text=True) == expected_document(href)
    # Glance sends none here; we put one on every response.
    assert response.headers['x-openstack-request-id'].startswith('req-')


def test_root_is_300_multiple_choices_without_token(api):
    assert_versions(api.get('/', who=None, accept=None), 300)


def test_versions_is_200_without_token(api):
    assert_versions(api.get('/versions', who=None, accept=None), 200)


def test_versions_ignores_a_garbage_token(api):
    r = api.get('/versions', who=None, headers={'X-Auth-Token': 'garbage'})
    assert_versions(r, 200)


@pytest.mark.parametrize('path', ['/v1', '/v1/images', '/v3', '/v3/x',
                                  '/foo'])
def test_unknown_version_prefix_is_300(api, path):
    assert_versions(api.get(path, who=None, accept=None), 300)


def test_post_root_is_300(api):
    assert_versions(api.post('/', who=None, accept=None), 300)


def test_document_shape_three_keys_one_current(api):
    versions = api.get('/versions', who=None).json['versions']
    assert all(list(v) == ['id', 'status', 'links'] for v in versions)
    assert all(v['links'] == [{'rel': 'self', 'href': 'http://localhost/v2/'}]
               for v in versions)
    assert [v['status'] for v in versions].count('CURRENT') == 1
    assert any(v['id'].startswith('v2') for v in versions)


def test_href_follows_host_header(api):
    r = api.get('/versions', who=None, headers={'Host': 'img.example:1234'})
    assert_versions(r, 200, 'http://img.example:1234/v2/')


def test_href_uses_public_endpoint_when_set(make_api):
    api = make_api(public_endpoint='https://images.example.com')
    assert_versions(api.get('/', who=None), 300,
                    'https://images.example.com/v2/')


@pytest.mark.parametrize('prefix', ['/v2', '/v2.0', '/v2.1', '/v2.9',
                                    '/v2.15', '/v2.17'])
def test_v2_minor_prefix_is_an_alias_of_v2(api, shared_id, prefix):
    r = api.get('%s/images/%s/members' % (prefix, shared_id))
    assert r.status_code == 200, r.data
    assert [m['image_id'] for m in r.json['members']] == [shared_id]
    r = api.get('%s/schemas/member' % prefix)
    assert r.status_code == 200


def test_v2_alias_still_needs_a_token(api):
    r = api.get('/v2.17', who=None, accept='*/*')
    assert r.status_code == 401
    r = api.get('/v2.17/images', who=None)
    assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)


def test_v2_without_token_is_401(api):
    r = api.get('/v2', who=None)
    assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)


@pytest.mark.parametrize('accept', [None, 'application/json', 'text/html'])
def test_v2_with_token_redirects_to_v2_slash(api, accept):
    # As Glance 33 answered: an empty text/plain body, whatever Accept says.
    r = api.get('/v2', accept=accept)
    assert r.status_code == 302
    assert r.headers['Location'] == 'http://localhost/v2/'
    assert r.headers['Content-Type'] == 'text/plain; charset=utf8'
    assert r.data == b''
    assert r.headers['Content-Length'] == '0'


def test_v2_slash_with_token_is_404(api):
    r = api.get('/v2/', accept='*/*')
    assert_error(r, 404, 'The resource could not be found.', fmt='html')
