"""Contract §4: images as far as sharing needs them: create, show, list
(visibility/member_status union rules, filters, paging, sorting), PATCH in
both dialects, visibility changes, delete."""


import pytest

from tests.functional.conftest import ACCEPT_PATCH
from tests.functional.conftest import ADMIN
from tests.functional.conftest import assert_error
from tests.functional.conftest import assert_json_ok
from tests.functional.conftest import assert_member
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import IMAGE_KEYS
from tests.functional.conftest import PATCH_V20
from tests.functional.conftest import PATCH_V21
from tests.functional.conftest import PRODUCER
from tests.functional.conftest import RND
from tests.functional.conftest import TIMESTAMP
from tests.functional.conftest import UUID
from tests.support import glance_errors

IMAGE_TEMPLATE = (
    '{"name": "x", "disk_format": "raw", "container_format": "bare", '
    '"visibility": "shared", "size": null, "virtual_size": null, '
    '"status": "queued", "checksum": null, "protected": false, '
    '"min_ram": 0, "min_disk": 0, "owner": "%(owner)s", "os_hidden": false, '
    '"os_hash_algo": null, "os_hash_value": null, "id": "%(id)s", '
    '"created_at": "%(created_at)s", "updated_at": "%(updated_at)s", '
    '"tags": [], "self": "/v2/images/%(id)s", '
    '"file": "/v2/images/%(id)s/file", "schema": "/v2/schemas/image"}')
NOT_AUTHORIZED = 'You are not authorized to complete %s action.'
MINIMAL = {'name': 'x', 'container_format': 'bare', 'disk_format': 'raw'}


def image_url(image_id):
    return '/v2/images/%s' % image_id


def create(api, who='producer', **extra):
    body = dict(MINIMAL, **extra)
    return api.post('/v2/images', who=who, body=body)


# --- create ------------------------------------------------------------------

def test_create_minimal_201_location_and_defaults(api):
    r = create(api)
    assert_json_ok(r, 201)
    image = r.json
    assert UUID.match(image['id'])
    assert r.headers['Location'] == 'http://localhost/v2/images/%s' % (
        image['id'])
    assert TIMESTAMP.match(image['created_at'])
    assert r.get_data(as_text=True) == IMAGE_TEMPLATE % dict(
        owner=PRODUCER, id=image['id'], created_at=image['created_at'],
        updated_at=image['updated_at'])


def test_create_location_follows_host_header(api):
    r = api.post('/v2/images', body=MINIMAL,
                 headers={'Host': 'example.com:1234'})
    assert r.status_code == 201
    assert r.headers['Location'] == 'http://example.com:1234/v2/images/%s' \
        % r.json['id']


def test_create_empty_object_gives_all_nulls(api):
    r = api.post('/v2/images', body={})
    assert_json_ok(r, 201)
    assert list(r.json) == IMAGE_KEYS
    assert r.json['name'] is None and r.json['disk_format'] is None
    assert r.json['visibility'] == 'shared'
    assert r.json['status'] == 'queued'
    assert r.json['owner'] == PRODUCER


def test_create_default_visibility_is_shared(api):
    assert create(api).json['visibility'] == 'shared'


@pytest.mark.parametrize('visibility', ['private', 'shared', 'community'])
def test_create_with_visibility(api, visibility):
    r = create(api, visibility=visibility)
    assert r.status_code == 201
    assert r.json['visibility'] == visibility


def test_create_public_as_member_is_403_publicize(api):
    r = create(api, visibility='public')
    assert_error(r, 403, NOT_AUTHORIZED % 'publicize_image')


def test_create_public_as_admin(api):
    r = create(api, who='admin', visibility='public')
    assert r.status_code == 201
    assert r.json['visibility'] == 'public'
    assert r.json['owner'] == ADMIN


def test_create_custom_property_comes_first(api):
    r = create(api, foo='bar')
    assert r.status_code == 201
    assert list(r.json) == ['foo'] + IMAGE_KEYS
    assert r.json['foo'] == 'bar'


def test_create_tags_are_deduplicated_and_sorted(api):
    r = create(api, tags=['b', 'a', 'a'])
    assert r.status_code == 201
    assert r.json['tags'] == ['a', 'b']


def test_create_with_valid_id(api):
    r = create(api, id='11111111-2222-3333-4444-555555555555')
    assert r.status_code == 201
    assert r.json['id'] == '11111111-2222-3333-4444-555555555555'
    assert r.headers['Location'].endswith(
        '/v2/images/11111111-2222-3333-4444-555555555555')


def test_create_with_duplicate_id_is_409(api):
    create(api, id='11111111-2222-3333-4444-555555555555')
    r = create(api, id='11111111-2222-3333-4444-555555555555')
    assert_error(r, 409, 'Image ID 11111111-2222-3333-4444-555555555555 '
                 'already exists!')


def test_create_with_deleted_image_id_is_409(api):
    image = create(api).json['id']
    assert api.delete(image_url(image)).status_code == 204
    r = api.post('/v2/images', body={'id': image})
    assert_error(r, 409, 'Image ID %s already exists!' % image)


@pytest.mark.parametrize('key,value', [
    ('status', 'active'), ('self', '/x'), ('created_at',
                                           '2020-01-01T00:00:00Z'),
    ('size', 5), ('stores', 'local'), ('direct_url', 'x')])
def test_create_read_only_attribute_is_403(api, key, value):
    r = create(api, **{key: value})
    assert_error(r, 403, "Attribute '%s' is read-only." % key)


def test_create_locations_is_403_reserved(api):
    r = create(api, locations=[])
    assert_error(r, 403, "Attribute 'locations' is reserved.")


@pytest.mark.parametrize('key,value', [('location', 'http://x'),
                                       ('deleted', 'x'),
                                       ('deleted_at', 'x')])
def test_create_reserved_attribute_is_403(api, key, value):
    r = create(api, **{key: value})
    assert r.status_code == 403
    assert r.get_data(as_text=True) == glance_errors.json_error(
        403, glance_errors.FORBIDDEN, "Attribute '%s' is reserved." % key)


def test_create_os_hash_value_is_read_only(api):
    # Deliberate difference: Glance answers 201 and silently drops it.
    r = api.post('/v2/images', body={'name': 'x', 'os_hash_value': 'x'})
    assert_error(r, 403, "Attribute 'os_hash_value' is read-only.")


def test_create_schema_error_on_id_is_400(api):
    r = create(api, id='not-a-uuid')
    assert_error(r, 400, (
        "Provided object does not match schema 'image': 'not-a-uuid' does "
        "not match '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-"
        "([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'\n\nFailed validating "
        "'pattern' in schema['properties']['id']:\n    {'type': 'string',\n"
        "     'description': 'An identifier for the image',\n     "
        "'pattern': '^([0-9a-fA-F]){8}-([0-9a-fA-F]){4}-([0-9a-fA-F]){4}-"
        "([0-9a-fA-F]){4}-([0-9a-fA-F]){12}$'}\n\nOn instance['id']:\n"
        "    'not-a-uuid'"))


def test_create_bad_id_wins_over_read_only_status(api):
    r = api.post('/v2/images', body={'id': 'bad', 'status': 'active'})
    assert r.status_code == 400
    assert "'bad' does not match" in r.json['message']


def test_create_schema_error_on_visibility_is_400(api):
    r = create(api, visibility='bogus')
    assert_error(r, 400, (
        "Provided object does not match schema 'image': 'bogus' is not one "
        "of ['community', 'public', 'private', 'shared']\n\nFailed "
        "validating 'enum' in schema['properties']['visibility']:\n    "
        "{'type': 'string',\n     'description': 'Scope of image "
        "accessibility',\n     'enum': ['community', 'public', 'private', "
        "'shared']}\n\nOn instance['visibility']:\n    'bogus'"))


def test_create_schema_error_on_name_type_is_400(api):
    r = api.post('/v2/images', body={'name': 123})
    assert_error(r, 400, (
        "Provided object does not match schema 'image': 123 is not of type "
        "'null', 'string'\n\nFailed validating 'type' in "
        "schema['properties']['name']:\n    {'type': ['null', 'string'],\n"
        "     'description': 'Descriptive name for the image',\n     "
        "'maxLength': 255}\n\nOn instance['name']:\n    123"))


def test_create_custom_property_must_be_a_string(api):
    r = api.post('/v2/images', body={'name': 'x', 'foo': 1})
    assert_error(r, 400, (
        "Provided object does not match schema 'image': 1 is not of type "
        "'string'\n\nFailed validating 'type' in "
        "schema['additionalProperties']:\n    {'type': 'string'}\n\n"
        "On instance['foo']:\n    1"))


def test_create_non_string_deleted_is_schema_400_first(api):
    r = create(api, deleted=False)
    assert r.status_code == 400
    assert "False is not of type 'string'" in r.json['message']


@pytest.mark.parametrize('body', [
    {'min_ram': 'x'}, {'protected': 'yes'}, {'os_hidden': 'true'},
    {'disk_format': 'bogus'}, {'name': 'a' * 256}, {'tags': ['a' * 256]}])
def test_create_other_schema_errors_are_400(api, body):
    r = api.post('/v2/images', body=body)
    assert r.status_code == 400
    assert r.json['message'].startswith(
        "Provided object does not match schema 'image': ")


def test_create_custom_property_key_too_long_is_400(api):
    r = api.post('/v2/images', body={'k' * 256: 'v'})
    assert_error(r, 400, 'Custom property should not be greater than 255 '
                 'characters.')


@pytest.mark.parametrize('data,message', [
    ('', 'Body expected in request.'),
    ('{"name":', 'Malformed JSON in request body.'),
    ('"abc"', 'Unexpected body type. Expected list/dict.'),
    ('null', 'Unexpected body type. Expected list/dict.')])
def test_create_body_errors(api, data, message):
    r = api.post('/v2/images', data=data, content_type='application/json')
    assert_error(r, 400, message)


def test_create_body_list_is_400(api):
    # Deliberate difference: Glance answers 500.
    r = api.post('/v2/images', data='[]', content_type='application/json')
    assert r.status_code == 400
    assert r.headers['Content-Type'] == 'application/json'


@pytest.mark.parametrize('content_type', [None, 'text/plain',
                                          'application/json; charset=utf-8'])
def test_create_content_type_is_ignored(api, content_type):
    r = api.post('/v2/images', data='{"name": "ct"}',
                 content_type=content_type)
    assert_json_ok(r, 201)
    assert r.json['name'] == 'ct'


def test_create_owner_other_project_is_403(api):
    r = create(api, owner=CONSUMER)
    assert r.status_code == 403


def test_create_owner_other_project_message(api):
    r = create(api, owner=CONSUMER)
    assert r.get_data(as_text=True) == glance_errors.json_error(
        403, glance_errors.FORBIDDEN,
        "You are not permitted to create images owned by '%s'" % CONSUMER)


def test_create_owner_own_project(api):
    r = create(api, owner=PRODUCER)
    assert r.status_code == 201
    assert r.json['owner'] == PRODUCER


def test_create_reader_only_is_403_add_image(api):
    r = api.post('/v2/images', who='consumer_reader', body={'name': 'x'})
    assert_error(r, 403, NOT_AUTHORIZED % 'add_image')


def test_create_system_scope_is_403_add_image(api):
    r = api.post('/v2/images', who='system_admin', body={'name': 'sys'})
    assert_error(r, 403, NOT_AUTHORIZED % 'add_image')


# --- show -----------------------------------------------------------------

def test_show_as_owner(api):
    created = create(api).json
    r = api.get(image_url(created['id']), accept=None)
    assert_json_ok(r)
    assert r.json == created
    assert list(r.json) == IMAGE_KEYS


@pytest.mark.parametrize('status', ['pending', 'accepted', 'rejected'])
@pytest.mark.parametrize('who', ['consumer', 'consumer_reader'])
def test_show_as_consumer_in_any_member_status(api, shared_id, status, who):
    if status != 'pending':
        api.set_status(shared_id, CONSUMER, status)
    r = api.get(image_url(shared_id), who=who)
    assert_json_ok(r)
    assert r.json['id'] == shared_id


@pytest.mark.parametrize('who', ['outsider', 'consumer2'])
def test_show_as_stranger_is_404(api, shared_id, who):
    r = api.get(image_url(shared_id), who=who)
    assert_error(r, 404, 'No image found with ID %s' % shared_id)


def test_show_private_as_stranger_is_404(api, private):
    assert_error(api.get(image_url(private), who='consumer'), 404,
                 'No image found with ID %s' % private)


def test_show_public_and_community_to_anyone(api):
    public = create(api, who='admin', visibility='public').json['id']
    community = create(api, visibility='community').json['id']
    for image in (public, community):
        assert api.get(image_url(image), who='outsider').status_code == 200


def test_show_as_admin(api, private):
    assert api.get(image_url(private), who='admin').status_code == 200


@pytest.mark.parametrize('image_id', [
    'not-a-uuid', RND + '1', 'de4bef3bf532456e910aeeb5929bc2b4'])
def test_show_odd_ids_are_404(api, image_id):
    assert_error(api.get(image_url(image_id)), 404,
                 'No image found with ID %s' % image_id)


def test_show_uppercase_id_is_404(api):
    image = create(api).json['id']
    assert_error(api.get(image_url(image.upper())), 404,
                 'No image found with ID %s' % image.upper())


def test_show_member_role_without_reader_is_404(api, shared_id):
    r = api.get(image_url(shared_id), who='member_only')
    assert r.status_code == 404


def test_show_system_scope_is_404(api, shared_id):
    r = api.get(image_url(shared_id), who='system_admin')
    assert_error(r, 404, 'The resource could not be found.')


def test_show_with_a_body_is_400(api, shared_id):
    r = api.get(image_url(shared_id), body={})
    assert_error(r, 400, 'A body is not expected with this request.')


@pytest.mark.parametrize('path', ['/v2/images/', '/v2/images/{id}/'])
def test_image_routes_trailing_slash_is_404(api, shared_id, path):
    r = api.get(path.format(id=shared_id))
    assert_error(r, 404, 'The resource could not be found.')


@pytest.mark.parametrize('method,path,allow', [
    ('DELETE', '/v2/images', 'GET, POST'),
    ('PUT', '/v2/images', 'GET, POST'),
    ('POST', '/v2/images/{id}', 'GET, PATCH, DELETE'),
    ('PUT', '/v2/images/{id}', 'GET, PATCH, DELETE'),
])
def test_image_routes_405(api, shared_id, method, path, allow):
    r = api.call(method, path.format(id=shared_id))
    assert r.status_code == 405
    assert r.headers['Allow'] == allow
    assert r.headers['Content-Type'] == 'application/json'


def test_image_head_is_405(api, shared_id):
    r = api.call('HEAD', image_url(shared_id), accept=None)
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET, PATCH, DELETE'


# --- list: visibility and member_status --------------------------------------

@pytest.fixture
def image_kinds(api):
    """One image of every kind; the consumer's shares in every status."""
    ids = {
        'accepted': create(api, name='acc').json['id'],
        'pending': create(api, name='pen').json['id'],
        'rejected': create(api, name='rej').json['id'],
        'unshared': create(api, name='uns').json['id'],
        'private': create(api, name='pri', visibility='private').json['id'],
        'community': create(api, name='com',
                            visibility='community').json['id'],
        'public': create(api, who='admin', name='pub',
                         visibility='public').json['id'],
        'c2own': create(api, who='consumer2', name='c2').json['id'],
    }
    for key in ('accepted', 'pending', 'rejected'):
        api.add_member(ids[key], CONSUMER)
    api.set_status(ids['accepted'], CONSUMER, 'accepted')
    api.set_status(ids['rejected'], CONSUMER, 'rejected')
    return ids


def listed(api, image_kinds, who, query=''):
    names = {v: k for k, v in image_kinds.items()}
    return sorted(names[i] for i in api.list_ids(who, query))


@pytest.mark.parametrize('who,query,expected', [
    ('consumer', '', ['accepted', 'public']),
    ('consumer_colleague', '', ['accepted', 'public']),
    ('consumer_reader', '', ['accepted', 'public']),
    ('consumer', '?member_status=accepted', ['accepted', 'public']),
    ('consumer', '?member_status=pending', ['pending', 'public']),
    ('consumer', '?member_status=rejected', ['public', 'rejected']),
    ('consumer', '?member_status=all',
     ['accepted', 'pending', 'public', 'rejected']),
    ('consumer', '?visibility=shared', ['accepted']),
    ('consumer', '?visibility=shared&member_status=pending', ['pending']),
    ('consumer', '?member_status=all&visibility=shared',
     ['accepted', 'pending', 'rejected']),
    ('consumer', '?visibility=community', ['community']),
    ('consumer', '?visibility=private', []),
    ('consumer', '?visibility=public', ['public']),
    ('consumer', '?visibility=all', ['accepted', 'community', 'public']),
    ('outsider', '', ['public']),
    ('outsider', '?member_status=all', ['public']),
    ('consumer2', '', ['c2own', 'public']),
    ('producer', '', ['accepted', 'community', 'pending', 'private',
                      'public', 'rejected', 'unshared']),
    ('producer', '?member_status=pending',
     ['accepted', 'community', 'pending', 'private', 'public', 'rejected',
      'unshared']),
    ('producer', '?visibility=shared',
     ['accepted', 'pending', 'rejected', 'unshared']),
    ('producer', '?visibility=private', ['private']),
    ('producer_reader', '', ['accepted', 'community', 'pending', 'private',
                             'public', 'rejected', 'unshared']),
    ('admin', '', ['accepted', 'c2own', 'pending', 'private', 'public',
                   'rejected', 'unshared']),
    ('admin', '?member_status=pending',
     ['accepted', 'c2own', 'pending', 'private', 'public', 'rejected',
      'unshared']),
    ('admin', '?visibility=community', ['community']),
    ('admin', '?visibility=all',
     ['accepted', 'c2own', 'community', 'pending', 'private', 'public',
      'rejected', 'unshared']),
])
def test_list_union_rules(api, image_kinds, who, query, expected):
    assert listed(api, image_kinds, who, query) == expected


def test_consumer_list_follows_status_changes(api, shared_id):
    assert shared_id not in api.list_ids('consumer')
    api.set_status(shared_id, CONSUMER, 'accepted')
    assert shared_id in api.list_ids('consumer')
    api.set_status(shared_id, CONSUMER, 'rejected')
    assert shared_id not in api.list_ids('consumer')
    assert shared_id in api.list_ids(
        'consumer', '?member_status=rejected&visibility=shared')


def test_list_system_scope_is_403(api):
    r = api.get('/v2/images?limit=1', who='system_admin')
    assert_error(r, 403, NOT_AUTHORIZED % 'get_images')


def test_list_member_role_without_reader_is_403(api):
    r = api.get('/v2/images', who='member_only')
    assert_error(r, 403, NOT_AUTHORIZED % 'get_images')


@pytest.mark.parametrize('query,message', [
    ('member_status=bogus', 'Invalid status: bogus'),
    ('visibility=bogus', 'Invalid visibility value: bogus'),
    ('os_hidden=maybe', "Invalid value 'maybe' for 'os_hidden' filter. "
                        "Valid values are 'true' or 'false'."),
    ('changes-since=x', 'The "changes-since" filter is no longer available '
                        'on v2.'),
    ('size_min=x', 'Unable to filter on a range with a non-numeric value.'),
    ('created_at=bogus:2020', 'Unable to filter on a unknown operator.'),
    ('limit=x', 'limit param must be an integer'),
    ('limit=', 'limit param must be an integer'),
    ('limit=1.5', 'limit param must be an integer'),
    ('limit=-1', 'limit param must be positive'),
    ('marker=', 'No image found with ID '),
    ('marker=not-a-uuid', 'No image found with ID not-a-uuid'),
    ('marker=%s' % RND, 'No image found with ID %s' % RND),
    ('marker=%s&limit=1' % RND, 'No image found with ID %s' % RND),
    ('sort_key=bogus', 'Invalid sort key: bogus. It must be one of the '
                       'following: name, status, container_format, '
                       'disk_format, size, id, created_at, updated_at.'),
    ('sort_dir=bogus', 'Invalid sort direction: bogus'),
    ('sort=name:asc&sort_key=name', 'Old and new sorting syntax cannot be '
                                    'combined'),
    ('sort=name:bogus', 'Invalid sort direction: bogus'),
    ('sort=bogus:asc', 'Invalid sort key: bogus. It must be one of the '
                       'following: name, status, container_format, '
                       'disk_format, size, id, created_at, updated_at.'),
])
def test_list_query_errors_are_400(api, query, message):
    assert_error(api.get('/v2/images?' + query), 400, message)


def test_list_marker_invisible_to_caller_is_400(api, private):
    r = api.get('/v2/images?marker=%s' % private, who='consumer')
    assert_error(r, 400, 'No image found with ID %s' % private)


def test_list_with_a_body_is_400(api):
    r = api.get('/v2/images', body={})
    assert_error(r, 400, 'A body is not expected with this request.')


# --- list: filters -----------------------------------------------------------

@pytest.fixture
def named(api):
    """Four images of the producer, names a..d, with some attributes."""
    ids = {}
    ids['a'] = create(api, name='a', tags=['x', 'y'], foo='bar').json['id']
    ids['b'] = create(api, name='b', tags=['x'], disk_format='qcow2',
                      min_ram=512).json['id']
    ids['c'] = create(api, name='c', container_format='ovf',
                      os_hidden=True).json['id']
    ids['d'] = create(api, name='d', protected=True).json['id']
    return ids


def names(api, query):
    r = api.get('/v2/images' + query)
    assert r.status_code == 200, r.data
    return sorted(i['name'] for i in r.json['images'])


@pytest.mark.parametrize('query,expected', [
    ('', ['a', 'b', 'd']),
    ('?os_hidden=true', ['c']),
    ('?os_hidden=TRUE', ['c']),
    ('?os_hidden=false', ['a', 'b', 'd']),
    ('?name=a', ['a']),
    ('?name=in:a,b', ['a', 'b']),
    ('?name=x%20y', []),
    ('?disk_format=qcow2', ['b']),
    ('?container_format=bare', ['a', 'b', 'd']),
    ('?status=queued', ['a', 'b', 'd']),
    ('?tag=x', ['a', 'b']),
    ('?tag=x&tag=y', ['a']),
    ('?foo=bar', ['a']),
    ('?unknownparam=1', []),
    ('?protected=true', ['d']),
    ('?protected=false', ['a', 'b']),
    ('?owner=%s' % PRODUCER, ['a', 'b', 'd']),
    ('?owner=%s' % CONSUMER, []),
    ('?min_ram=512', ['b']),
    ('?created_at=gt:2020-01-01T00:00:00Z', ['a', 'b', 'd']),
    ('?created_at=lt:2020-01-01T00:00:00Z', []),
])
def test_list_filters(api, named, query, expected):
    assert names(api, query) == expected


def test_list_filter_by_id(api, named):
    assert names(api, '?id=%s' % named['b']) == ['b']


# --- list: paging and links --------------------------------------------------

def test_list_body_shape_and_key_order(api, named):
    r = api.get('/v2/images')
    assert_json_ok(r)
    assert list(r.json) == ['images', 'first', 'schema']
    assert r.json['first'] == '/v2/images'
    assert r.json['schema'] == '/v2/schemas/images'
    for image in r.json['images']:
        assert list(image)[-len(IMAGE_KEYS):] == IMAGE_KEYS


def test_list_default_sort_is_created_at_desc(api):
    import time
    first = create(api, name='old').json['id']
    time.sleep(1.1)
    second = create(api, name='new').json['id']
    assert api.list_ids() == [second, first]
    assert api.list_ids(query='?sort_dir=asc') == [first, second]


def test_paging_with_exact_first_and_next_links(api, named):
    r = api.get('/v2/images?limit=2&sort_key=name&sort_dir=asc')
    assert_json_ok(r)
    assert [i['name'] for i in r.json['images']] == ['a', 'b']
    assert list(r.json) == ['images', 'first', 'schema', 'next']
    assert r.json['first'] == '/v2/images?limit=2&sort_key=name&sort_dir=asc'
    assert r.json['next'] == ('/v2/images?limit=2&sort_key=name&sort_dir=asc'
                              '&marker=%s' % named['b'])
    r = api.get(r.json['next'])
    assert [i['name'] for i in r.json['images']] == ['d']
    assert r.json['first'] == '/v2/images?limit=2&sort_key=name&sort_dir=asc'
    assert 'next' not in r.json


def test_paging_full_last_page_gives_a_next_to_an_empty_page(api, named):
    r = api.get('/v2/images?limit=3&sort_key=name&sort_dir=asc')
    assert [i['name'] for i in r.json['images']] == ['a', 'b', 'd']
    assert r.json['next'].endswith('&marker=%s' % named['d'])
    r = api.get(r.json['next'])
    assert r.json['images'] == []
    assert 'next' not in r.json


def test_paging_new_sort_syntax(api, named):
    r = api.get('/v2/images?sort=name:asc,created_at&limit=1')
    assert [i['name'] for i in r.json['images']] == ['a']
    assert r.json['first'] == '/v2/images?sort=name%3Aasc%2Ccreated_at&limit=1'
    assert r.json['next'] == ('/v2/images?sort=name%3Aasc%2Ccreated_at'
                              '&limit=1&marker=' + named['a'])
    r = api.get(r.json['next'])
    assert [i['name'] for i in r.json['images']] == ['b']


@pytest.mark.parametrize('query', ['?sort_key=name&sort_dir=desc',
                                   '?sort=name:desc', '?sort=name'])
def test_sort_desc(api, named, query):
    r = api.get('/v2/images' + query)
    assert [i['name'] for i in r.json['images']] == ['d', 'b', 'a']


@pytest.mark.parametrize('query', ['?sort_key=name', '?sort_key=name&'
                                   'sort_dir=asc&sort_key=disk_format'])
def test_sort_old_syntax_more_keys(api, named, query):
    r = api.get('/v2/images' + query)
    assert r.status_code == 200


def test_paging_marker_keeps_filters(api, named):
    r = api.get('/v2/images?limit=1&tag=x&sort_key=name&sort_dir=asc')
    assert [i['name'] for i in r.json['images']] == ['a']
    r = api.get(r.json['next'])
    assert [i['name'] for i in r.json['images']] == ['b']
    assert r.json['first'] == \
        '/v2/images?limit=1&tag=x&sort_key=name&sort_dir=asc'


def test_first_link_reencodes_the_query(api, named):
    r = api.get('/v2/images?limit=1&name=x%20y&tag=a')
    assert r.json == {'images': [],
                      'first': '/v2/images?limit=1&name=x+y&tag=a',
                      'schema': '/v2/schemas/images'}
    r = api.get('/v2/images?name=in:a,b')
    assert r.json['first'] == '/v2/images?name=in%3Aa%2Cb'
    r = api.get('/v2/images?created_at=gt:2020-01-01T00:00:00Z')
    assert r.json['first'] == \
        '/v2/images?created_at=gt%3A2020-01-01T00%3A00%3A00Z'


def test_first_link_drops_marker(api, named):
    r = api.get('/v2/images?limit=20&foo=bar&marker=%s' % named['d'])
    assert r.json['first'] == '/v2/images?limit=20&foo=bar'


def test_first_link_keeps_last_value_of_repeated_key(api, named):
    r = api.get('/v2/images?tag=a&tag=b')
    assert r.json['first'] == '/v2/images?tag=b'


def test_limit_plus_sign(api, named):
    r = api.get('/v2/images?limit=+1')
    assert len(r.json['images']) == 1
    assert r.json['first'] == '/v2/images?limit=+1'
    assert r.json['next'].startswith('/v2/images?limit=+1&marker=')


def test_limit_zero(api, named):
    r = api.get('/v2/images?limit=0')
    assert r.get_data(as_text=True) == (
        '{"images": [], "first": "/v2/images?limit=0", '
        '"schema": "/v2/schemas/images"}')


def test_limit_default_comes_from_config(make_api):
    api = make_api(limit_param_default=2)
    for n in range(3):
        create(api, name='n%d' % n)
    r = api.get('/v2/images')
    assert len(r.json['images']) == 2
    assert r.json['first'] == '/v2/images'
    assert r.json['next'] == '/v2/images?marker=%s' % r.json['images'][-1][
        'id']


def test_limit_is_capped_by_api_limit_max(make_api):
    api = make_api(api_limit_max=2)
    for n in range(3):
        create(api, name='n%d' % n)
    r = api.get('/v2/images?limit=100000')
    assert len(r.json['images']) == 2
    assert r.json['first'] == '/v2/images?limit=100000'
    assert r.json['next'].startswith('/v2/images?limit=100000&marker=')


def test_very_long_query_string_is_414(api):
    # Deliberate difference: uwsgi drops the query or the connection.
    r = api.get('/v2/images?name=' + 'a' * 70000)
    assert r.status_code == 414


def test_long_but_sane_query_string_works(api):
    r = api.get('/v2/images?name=' + 'a' * 4000)
    assert r.status_code == 200
    assert r.json['first'] == '/v2/images?name=' + 'a' * 4000


def test_double_slash_path_works(api, named):
    # PATH_INFO set directly: the test client would read '//v2' as a host.
    r = api.client.get('/v2/images?limit=1', environ_overrides={
        'PATH_INFO': '//v2/images'}, headers={
        'X-Auth-Token': 'tok-producer', 'Accept': 'application/json'})
    assert r.status_code == 200
    assert r.json['first'] == '/v2/images?limit=1'
    assert len(r.json['images']) == 1


# --- PATCH -------------------------------------------------------------------

@pytest.fixture
def pi(api):
    return create(api, name='pi').json['id']


def patch(api, image, changes, content_type=PATCH_V21, who='producer',
          **kw):
    return api.patch(image_url(image), changes, content_type=content_type,
                     who=who, **kw)


def test_patch_v21_replace_name(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/name', 'value': 'y'}])
    assert_json_ok(r)
    assert r.json['name'] == 'y'
    assert api.get(image_url(pi)).json['name'] == 'y'


def test_patch_v21_custom_props_keep_insertion_order_at_front(api, pi):
    r = patch(api, pi, [{'op': 'add', 'path': '/foo', 'value': 'bar'}])
    assert list(r.json)[0] == 'foo'
    r = patch(api, pi, [{'op': 'add', 'path': '/aaa', 'value': '1'}])
    assert list(r.json)[:2] == ['foo', 'aaa']
    assert list(api.get(image_url(pi)).json)[:2] == ['foo', 'aaa']
    r = patch(api, pi, [{'op': 'remove', 'path': '/foo'}])
    assert_json_ok(r)
    assert 'foo' not in r.json


@pytest.mark.parametrize('op', ['remove', 'replace'])
def test_patch_missing_custom_property_is_409(api, pi, op):
    change = {'op': op, 'path': '/foo'}
    if op == 'replace':
        change['value'] = 'x'
    r = patch(api, pi, [change])
    assert r.status_code == 409
    assert r.get_data(as_text=True) == glance_errors.json_error(
        409, glance_errors.CONFLICT, 'Property foo does not exist.')


def test_patch_replace_tags_dedups_and_sorts(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/tags',
                         'value': ['z', 'y', 'y']}])
    assert r.status_code == 200
    assert r.json['tags'] == ['y', 'z']


@pytest.mark.parametrize('changes,code,message', [
    ([{'op': 'add', 'path': '/tags/-', 'value': 't'}], 400,
     "Invalid JSON pointer for this resource: '/tags/-'"),
    ([{'op': 'add', 'path': '/tags/0', 'value': 't'}], 400,
     "Invalid JSON pointer for this resource: '/tags/0'"),
    ([{'op': 'add', 'path': '/a/b', 'value': 'y'}], 400,
     "Invalid JSON pointer for this resource: '/a/b'"),
    ([{'op': 'bogus', 'path': '/name', 'value': 'y'}], 400,
     'Invalid operation: `bogus`. It must be one of the following: add, '
     'remove, replace.'),
    ([{'op': 'test', 'path': '/name', 'value': 'y'}], 400,
     'Invalid operation: `test`. It must be one of the following: add, '
     'remove, replace.'),
    ([{'op': 'move', 'from': '/name', 'path': '/foo'}], 400,
     'Invalid operation: `move`. It must be one of the following: add, '
     'remove, replace.'),
    ([{'op': 1, 'path': '/name', 'value': 'y'}], 400,
     'Invalid operation: `1`. It must be one of the following: add, '
     'remove, replace.'),
    ([{'op': 'replace', 'path': '/status', 'value': 'active'}], 403,
     "Attribute 'status' is read-only."),
    ([{'op': 'replace', 'path': '/id', 'value': RND}], 403,
     "Attribute 'id' is read-only."),
    ([{'op': 'add', 'path': '/os_hash_value', 'value': 'y'}], 403,
     "Attribute 'os_hash_value' is read-only."),
    ([{'op': 'add', 'path': '/location', 'value': 'x'}], 403,
     "Attribute 'location' is reserved."),
    ([{'op': 'add', 'path': '/deleted', 'value': 'x'}], 403,
     "Attribute 'deleted' is reserved."),
    ([{'op': 'replace', 'path': 'name', 'value': 'y'}], 400,
     'Pointer `name` does not start with "/".'),
    ([{'op': 'replace', 'path': '/name'}], 400,
     'Operation "replace" requires a member named "value".'),
    ([{'op': 'replace', 'value': 'y'}], 400,
     "Unable to find 'path' in JSON Schema change"),
    ([{'replace': '/name', 'value': 'y'}], 400,
     'Unable to find `op` in JSON Schema change. It must be one of the '
     'following: add, remove, replace.'),
    (['x'], 400, 'Operations must be JSON objects.'),
    ([None], 400, 'Operations must be JSON objects.'),
    ({'op': 'replace', 'path': '/name', 'value': 'y'}, 400,
     'Request body must be a JSON array of operation objects.'),
    ([{'op': 'publicize', 'path': '/name', 'value': 'y'}], 400,
     'Invalid operation: `publicize`. It must be one of the following: '
     'add, remove, replace.'),
], ids=['tags-dash', 'tags-index', 'nested', 'bogus-op', 'test-op',
        'move-op', 'int-op', 'status', 'id', 'os_hash_value', 'location',
        'deleted', 'no-slash', 'no-value', 'no-path', 'v20-shape',
        'not-object', 'null', 'object-body', 'other-op'])
def test_patch_v21_errors(api, pi, changes, code, message):
    assert_error(patch(api, pi, changes), code, message)


@pytest.mark.parametrize('changes,fragment', [
    ([{'op': 'replace', 'path': '/name', 'value': 123}],
     "123 is not of type 'null', 'string'"),
    ([{'op': 'replace', 'path': '/min_ram', 'value': 'x'}],
     "'x' is not of type 'integer'"),
    ([{'op': 'replace', 'path': '/protected', 'value': 'yes'}],
     "'yes' is not of type 'boolean'"),
    ([{'op': 'replace', 'path': '/tags', 'value': 'notalist'}],
     "'notalist' is not of type 'array'"),
    ([{'op': 'add', 'path': '/foo', 'value': None}],
     "None is not of type 'string'"),
    ([{'op': 'add', 'path': '/foo', 'value': {'a': 1}}],
     "{'a': 1} is not of type 'string'"),
])
def test_patch_v21_schema_errors(api, pi, changes, fragment):
    r = patch(api, pi, changes)
    assert r.status_code == 400
    assert r.json['message'].startswith(
        "Provided object does not match schema 'image': " + fragment)


def test_patch_path_not_a_string_is_400(api, pi):
    # Deliberate difference: Glance answers 500.
    r = patch(api, pi, [{'op': 'replace', 'path': 1, 'value': 'y'}])
    assert r.status_code == 400


def test_patch_remove_base_property_message(api, pi):
    r = patch(api, pi, [{'op': 'remove', 'path': '/name'}])
    assert r.status_code == 403
    assert r.get_data(as_text=True) == glance_errors.json_error(
        403, glance_errors.FORBIDDEN, 'Property name may not be removed.')


def test_patch_owner_by_non_admin_message(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/owner',
                         'value': CONSUMER}])
    assert r.get_data(as_text=True) == glance_errors.json_error(
        403, glance_errors.FORBIDDEN, "Owner can't be updated by non admin.")


def test_patch_owner_by_non_admin_is_403(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/owner',
                         'value': CONSUMER}])
    assert r.status_code == 403
    assert api.get(image_url(pi)).json['owner'] == PRODUCER


def test_patch_empty_list_is_200(api, pi):
    before = api.get(image_url(pi)).json
    r = patch(api, pi, [])
    assert_json_ok(r)
    assert r.json == before


@pytest.mark.parametrize('data,message', [
    ('', 'Body expected in request.'),
    ('[{"op":', 'Malformed JSON in request body.')])
def test_patch_body_errors(api, pi, data, message):
    r = api.call('PATCH', image_url(pi), data=data, content_type=PATCH_V21)
    assert_error(r, 400, message)


def test_patch_v20_dialect_replace(api, pi):
    r = patch(api, pi, [{'replace': '/name', 'value': 'y20'}],
              content_type=PATCH_V20)
    assert_json_ok(r)
    assert r.json['name'] == 'y20'


def test_patch_v20_add_and_remove_custom_property(api, pi):
    r = patch(api, pi, [{'add': '/foo', 'value': 'bar'}],
              content_type=PATCH_V20)
    assert r.json['foo'] == 'bar'
    r = patch(api, pi, [{'remove': '/foo'}], content_type=PATCH_V20)
    assert 'foo' not in r.json


@pytest.mark.parametrize('changes,message', [
    ([{'op': 'replace', 'path': '/name', 'value': 'y'}],
     'Operation objects must contain exactly one member named "add", '
     '"remove", or "replace".'),
    ([{'replace': '/name', 'add': '/foo', 'value': 'y'}],
     'Operation objects must contain only one member named "add", '
     '"remove", or "replace".'),
    ([{'add': '/tags/-', 'value': 't20'}],
     "Invalid JSON pointer for this resource: '/tags/-'"),
], ids=['v21-shape', 'two-ops', 'tags-dash'])
def test_patch_v20_errors(api, pi, changes, message):
    r = patch(api, pi, changes, content_type=PATCH_V20)
    assert_error(r, 400, message)


def test_patch_v21_with_charset_is_accepted(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/name', 'value': 'cs'}],
              content_type=PATCH_V21 + '; charset=utf-8')
    assert_json_ok(r)
    assert r.json['name'] == 'cs'


def _415(media_type):
    return glance_errors.json_error(
        415, 'The request media type %s is not supported by this '
             'server.\n<br /><br />\nImage PATCH expects Content-Type '
             'one of: %s' % (media_type, ACCEPT_PATCH), raw=True)


@pytest.mark.parametrize('content_type', ['application/json',
                                          'application/json-patch+json'])
def test_patch_wrong_media_type_is_415_with_accept_patch(api, pi,
                                                         content_type):
    r = patch(api, pi, [{'op': 'replace', 'path': '/name', 'value': 'y'}],
              content_type=content_type)
    assert r.status_code == 415
    assert r.headers['Accept-Patch'] == ACCEPT_PATCH
    assert r.headers['Content-Type'] == 'application/json'
    assert r.get_data(as_text=True) == _415(content_type)
    assert api.get(image_url(pi)).json['name'] == 'pi'


def test_patch_without_content_type_is_415(api, pi):
    r = api.call('PATCH', image_url(pi), data='[]', content_type=None)
    assert r.status_code == 415
    assert r.headers['Accept-Patch'] == ACCEPT_PATCH
    assert r.get_data(as_text=True) == _415('${CONTENT_TYPE}')


def test_patch_415_html(api, pi):
    r = patch(api, pi, [], content_type='application/json', accept='*/*')
    assert r.status_code == 415
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert r.get_data(as_text=True) == (
        '<html>\n <head>\n  <title>415 Unsupported Media Type</title>\n '
        '</head>\n <body>\n  <h1>415 Unsupported Media Type</h1>\n  The '
        'request media type application/json is not supported by this '
        'server.\n<br /><br />\nImage PATCH expects Content-Type one of: '
        '%s\n </body>\n</html>' % ACCEPT_PATCH)


def test_patch_415_comes_before_image_lookup(api):
    r = patch(api, RND, [], content_type='application/json')
    assert r.status_code == 415
    assert r.get_data(as_text=True) == _415('application/json')


def test_patch_unknown_image_is_404(api):
    assert_error(patch(api, RND, []), 404, 'No image found with ID %s' % RND)


@pytest.mark.parametrize('who', ['consumer', 'consumer_reader'])
def test_patch_as_consumer_is_403_modify_image(api, shared_id, who):
    r = patch(api, shared_id, [{'op': 'replace', 'path': '/name',
                                'value': 'hack'}], who=who)
    assert_error(r, 403, NOT_AUTHORIZED % 'modify_image')


def test_patch_as_consumer_empty_list_is_200(api, shared_id):
    r = patch(api, shared_id, [], who='consumer')
    assert_json_ok(r)
    assert r.json['id'] == shared_id


def test_patch_as_consumer_malformed_op_is_400_before_403(api, shared_id):
    r = patch(api, shared_id, [{'op': 'bogus', 'path': '/name', 'value': 'x'}],
              who='consumer')
    assert_error(r, 400, 'Invalid operation: `bogus`. It must be one of the '
                 'following: add, remove, replace.')


def test_patch_as_outsider_is_404(api, shared_id):
    r = patch(api, shared_id, [{'op': 'replace', 'path': '/name',
                                'value': 'hack'}], who='outsider')
    assert_error(r, 404, 'No image found with ID %s' % shared_id)


def test_patch_as_reader_only_owner_is_403(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/name', 'value': 'x'}],
              who='producer_reader')
    assert_error(r, 403, NOT_AUTHORIZED % 'modify_image')


def test_patch_as_admin(api, pi):
    r = patch(api, pi, [{'op': 'replace', 'path': '/name', 'value': 'adm'}],
              who='admin')
    assert_json_ok(r)
    assert r.json['name'] == 'adm'


# --- visibility changes ------------------------------------------------------

def test_publicize_is_admin_only(api, shared_id):
    r = patch(api, shared_id, [{'op': 'replace', 'path': '/visibility',
                                'value': 'public'}])
    assert_error(r, 403, NOT_AUTHORIZED % 'publicize_image')
    r = patch(api, shared_id, [{'op': 'replace', 'path': '/visibility',
                                'value': 'public'}], who='admin')
    assert_json_ok(r)
    assert r.json['visibility'] == 'public'


@pytest.mark.parametrize('path', [['private', 'shared'],
                                  ['community', 'shared'],
                                  ['private', 'community', 'shared'],
                                  ['community', 'private', 'shared']])
def test_visibility_round_trip_keeps_members_and_status(api, shared_id, path):
    api.set_status(shared_id, CONSUMER, 'accepted')
    api.add_member(shared_id, CONSUMER2)
    before = api.get('/v2/images/%s/members' % shared_id).json
    for visibility in path:
        assert api.set_visibility(shared_id, visibility)['visibility'] == \
            visibility
    after = api.get('/v2/images/%s/members' % shared_id).json
    assert after == before
    assert shared_id in api.list_ids('consumer')


def test_visibility_via_public_keeps_members(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    api.set_visibility(shared_id, 'public', who='admin')
    assert_error(api.get('/v2/images/%s/members' % shared_id), 403,
                 'Not allowed to list members for image %s: Only shared '
                 'images have members.' % shared_id)
    api.set_visibility(shared_id, 'shared', who='admin')
    r = api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                who='consumer')
    assert_member(r.json, shared_id, CONSUMER, 'accepted')


def test_while_private_members_are_hidden(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    api.set_visibility(shared_id, 'private')
    assert_error(api.get(image_url(shared_id), who='consumer'), 404,
                 'No image found with ID %s' % shared_id)
    assert shared_id not in api.list_ids('consumer', '?member_status=all')
    assert_error(api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER)),
                 404, 'Only shared images have members.')
    assert_error(api.get('/v2/images/%s/members' % shared_id), 403,
                 'Not allowed to list members for image %s: Only shared '
                 'images have members.' % shared_id)
    api.set_visibility(shared_id, 'shared')
    r = api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                who='consumer')
    assert_member(r.json, shared_id, CONSUMER, 'accepted')


def test_private_to_shared_allows_members(api, private):
    api.set_visibility(private, 'shared')
    api.add_member(private, CONSUMER)


def test_communitize_as_member_and_consumer(api, pi, shared_id):
    assert api.set_visibility(pi, 'community')['visibility'] == 'community'
    r = patch(api, shared_id, [{'op': 'replace', 'path': '/visibility',
                                'value': 'community'}], who='consumer')
    assert r.status_code == 403


# --- delete ------------------------------------------------------------------

def test_delete_image_204_and_members_gone(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    r = api.delete(image_url(shared_id))
    assert r.status_code == 204
    assert r.data == b''
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert_error(api.get(image_url(shared_id)), 404,
                 'No image found with ID %s' % shared_id)
    assert_error(api.get('/v2/images/%s/members' % shared_id), 404,
                 'Image %s not found.' % shared_id)
    assert_error(api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                         who='consumer'), 404,
                 'Image %s not found.' % shared_id)
    assert shared_id not in api.list_ids('consumer', '?member_status=all')
    assert shared_id not in api.list_ids('admin')


def test_delete_image_204_is_empty(api, pi):
    # Glance also sends "Content-Length: 0"; werkzeug omits it on a 204,
    # which RFC 9110 forbids anyway.
    r = api.delete(image_url(pi))
    assert r.status_code == 204
    assert r.data == b''


def test_delete_image_twice_is_404(api, pi):
    assert api.delete(image_url(pi)).status_code == 204
    assert_error(api.delete(image_url(pi)), 404,
                 'Failed to find image %s to delete' % pi)


def test_delete_unknown_image_is_404(api):
    assert_error(api.delete(image_url(RND)), 404,
                 'Failed to find image %s to delete' % RND)


def test_delete_image_as_consumer_is_403(api, shared_id):
    assert_error(api.delete(image_url(shared_id), who='consumer'), 403,
                 NOT_AUTHORIZED % 'delete_image')


def test_delete_image_as_outsider_is_404(api, shared_id):
    assert_error(api.delete(image_url(shared_id), who='outsider'), 404,
                 'Failed to find image %s to delete' % shared_id)


def test_delete_protected_image_is_403(api):
    image = create(api, protected=True).json['id']
    assert_error(api.delete(image_url(image)), 403,
                 'Image %s is protected and cannot be deleted.' % image)
    assert_error(api.delete(image_url(image), accept=None), 403,
                 'Image %s is protected and cannot be deleted.' % image,
                 fmt='text')


def test_delete_image_as_admin(api, shared_id):
    assert api.delete(image_url(shared_id), who='admin').status_code == 204


def test_delete_image_system_scope_is_404(api, shared_id):
    assert_error(api.delete(image_url(shared_id), who='system_admin'), 404,
                 'The resource could not be found.')
    assert api.get(image_url(shared_id)).status_code == 200


def test_delete_image_with_a_body_is_400(api, pi):
    r = api.delete(image_url(pi), body={})
    assert_error(r, 400, 'A body is not expected with this request.')


# --- image data on a queued image --------------------------------------------

@pytest.mark.parametrize('who', ['producer', 'consumer'])
def test_get_file_of_queued_image_is_204_without_content_type(api, shared_id,
                                                              who):
    r = api.get(image_url(shared_id) + '/file', who=who)
    assert r.status_code == 204
    assert r.data == b''
    assert 'Content-Type' not in r.headers


def test_get_file_as_outsider_is_404(api, shared_id):
    assert_error(api.get(image_url(shared_id) + '/file', who='outsider'), 404,
                 'No image found with ID %s' % shared_id)
