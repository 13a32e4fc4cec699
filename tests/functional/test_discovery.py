"""GET /v2/info/import, /v2/info/stores, /v2/info/stores/detail and
/v2/info/usage as Glance 33 answers them, for this service's configuration
(no import method; the [glance_store] stores by their kind)."""

import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import assert_json_ok

NOT_AUTHORIZED = 'You are not authorized to complete %s action.'


def test_import_info_lists_no_method(api):
    r = api.get('/v2/info/import')
    assert_json_ok(r)
    assert r.get_data(as_text=True) == (
        '{"import-methods": {"description": "Import methods available.", '
        '"type": "array", "value": []}}')


def test_stores_default_file_store(api):
    r = api.get('/v2/info/stores')
    assert_json_ok(r)
    assert r.json == {'stores': [{'id': 'file', 'default': 'true'}]}


def test_stores_http_is_read_only(make_api):
    api = make_api(**{'glance_store.stores': ['file', 'http']})
    assert api.get('/v2/info/stores').json == {'stores': [
        {'id': 'file', 'default': 'true'}, {'id': 'http',
                                            'read-only': 'true'}]}


def test_stores_detail_for_admin(api, tmp_path):
    r = api.get('/v2/info/stores/detail', who='admin')
    assert_json_ok(r)
    assert r.json == {'stores': [{
        'id': 'file', 'default': 'true', 'type': 'file',
        'properties': {'data_dir': str(tmp_path / 'data' / 'images'),
                       'chunk_size': 65536, 'thin_provisioning': False},
        'weight': 0}]}
    assert list(r.json['stores'][0]) == ['id', 'default', 'type',
                                         'properties', 'weight']


def test_usage_is_empty_without_unified_limits(api):
    r = api.get('/v2/info/usage')
    assert_json_ok(r)
    assert r.get_data(as_text=True) == '{"usage": {}}'


# persona -> import, stores, stores/detail, usage
RBAC = [
    ('producer', 200, 200, 403, 200),
    ('producer_reader', 200, 200, 403, 200),
    ('consumer', 200, 200, 403, 200),
    ('member_only', 200, 200, 403, 200),
    ('admin', 200, 200, 200, 200),
    ('system_admin', 200, 200, 403, 200),
]


@pytest.mark.parametrize('who,import_,stores,detail,usage', RBAC,
                         ids=[r[0] for r in RBAC])
def test_rbac_info_routes(api, who, import_, stores, detail, usage):
    assert api.get('/v2/info/import', who=who).status_code == import_
    assert api.get('/v2/info/stores', who=who).status_code == stores
    r = api.get('/v2/info/stores/detail', who=who)
    assert r.status_code == detail
    if detail == 403:
        assert_error(r, 403, NOT_AUTHORIZED % 'stores_info_detail')
    assert api.get('/v2/info/usage', who=who).status_code == usage


@pytest.mark.parametrize('path', ['/v2/info/import', '/v2/info/stores',
                                  '/v2/info/stores/detail',
                                  '/v2/info/usage'])
def test_no_token_is_401(api, path):
    assert api.get(path, who=None).status_code == 401


@pytest.mark.parametrize('path', ['/v2/info/import', '/v2/info/stores',
                                  '/v2/info/stores/detail'])
def test_post_is_405(api, path):
    r = api.post(path)
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET'


def test_get_with_a_body_is_400(api):
    r = api.call('GET', '/v2/info/stores', data='x')
    assert_error(r, 400, 'A body is not expected with this request.')


@pytest.mark.parametrize('path', ['/v2/info', '/v2/info/', '/v2/info/x',
                                  '/v2/info/stores/'])
def test_other_info_paths_are_404(api, path):
    assert_error(api.get(path), 404, 'The resource could not be found.')


# Metadata definitions, tasks, interoperable import and the cache API are
# not served by the standalone service (README, "What is served"): they are
# unknown resources, answered as Glance answers one.
@pytest.mark.parametrize('method,path', [
    ('GET', '/v2/metadefs/namespaces'),
    ('POST', '/v2/metadefs/namespaces'),
    ('GET', '/v2/metadefs/resource_types'),
    ('GET', '/v2/schemas/metadefs/namespace'),
    ('GET', '/v2/tasks'),
    ('POST', '/v2/tasks'),
    ('GET', '/v2/schemas/task'),
    ('GET', '/v2/schemas/tasks'),
    ('POST', '/v2/images/{id}/import'),
    ('PUT', '/v2/images/{id}/stage'),
    ('GET', '/v2/cache'),
    ('DELETE', '/v2/stores/file/{id}'),
])
def test_unserved_resources_are_404(api, shared_id, method, path):
    r = api.call(method, path.format(id=shared_id), body={})
    assert_error(r, 404, 'The resource could not be found.')
