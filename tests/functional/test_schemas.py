"""Contract §2: GET /v2/schemas/{member,members,image,images} serve the
captured documents byte for byte; other methods 405 (Allow: GET); a GET
with a body 400; a token is needed but no policy applies."""

import pathlib

import jsonschema
import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import assert_member
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import NOT_AUTHENTICATED
from tests.functional.conftest import REQUEST_ID
from tests.support import glance_errors

DOCUMENTS = (pathlib.Path(__file__).resolve().parents[2] /
             'glance_members' / 'schemas' / 'documents')
NAMES = ['member', 'members', 'image', 'images']


def document(name):
    return (DOCUMENTS / ('%s.json' % name)).read_bytes()


@pytest.mark.parametrize('name', NAMES)
def test_schema_is_served_byte_for_byte(api, name):
    r = api.get('/v2/schemas/%s' % name, accept=None)
    assert r.status_code == 200
    assert r.headers['Content-Type'] == 'application/json'
    assert REQUEST_ID.match(r.headers['x-openstack-request-id'])
    assert r.data == document(name)


@pytest.mark.parametrize('who', ['producer', 'consumer_reader', 'outsider',
                                 'member_only', 'admin', 'system_admin'])
def test_any_token_may_read_schemas(api, who):
    r = api.get('/v2/schemas/member', who=who)
    assert r.status_code == 200
    assert r.data == document('member')


@pytest.mark.parametrize('name', NAMES)
def test_schema_needs_a_token(api, name):
    r = api.get('/v2/schemas/%s' % name, who=None)
    assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)


@pytest.mark.parametrize('method', ['POST', 'PUT', 'DELETE', 'PATCH'])
@pytest.mark.parametrize('name', NAMES)
def test_schema_other_methods_are_405_allow_get(api, name, method):
    r = api.call(method, '/v2/schemas/%s' % name)
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET'
    assert r.headers['Content-Type'] == 'application/json'
    assert r.get_data(as_text=True) == glance_errors.json_error(
        405, glance_errors.METHOD_NOT_ALLOWED % method, raw=True)


@pytest.mark.parametrize('name', NAMES)
def test_schema_get_with_a_body_is_400(api, name):
    r = api.get('/v2/schemas/%s' % name, body={'a': 1})
    assert_error(r, 400, 'A body is not expected with this request.')


def test_unknown_schema_is_404(api):
    r = api.get('/v2/schemas/bogus')
    assert_error(r, 404, 'The resource could not be found.')


def test_member_schema_content(api):
    schema = api.get('/v2/schemas/member').json
    assert schema['name'] == 'member'
    assert 'additionalProperties' not in schema
    assert set(schema['properties']) == {'member_id', 'image_id',
                                         'created_at', 'updated_at',
                                         'status', 'schema'}
    assert schema['properties']['status']['enum'] == [
        'pending', 'accepted', 'rejected']


def test_members_schema_content(api):
    schema = api.get('/v2/schemas/members').json
    member = api.get('/v2/schemas/member').json
    assert schema['name'] == 'members'
    assert schema['properties']['members'] == {'type': 'array',
                                               'items': member}
    assert schema['links'] == [{'rel': 'describedby', 'href': '{schema}'}]
    assert 'first' not in schema['properties']


def test_image_schema_content(api):
    schema = api.get('/v2/schemas/image').json
    assert schema['name'] == 'image'
    assert schema['additionalProperties'] == {'type': 'string'}
    assert schema['links'] == [{'rel': 'self', 'href': '{self}'},
                               {'rel': 'enclosure', 'href': '{file}'},
                               {'rel': 'describedby', 'href': '{schema}'}]
    assert schema['properties']['visibility']['enum'] == [
        'community', 'public', 'private', 'shared']
    jsonschema.Draft4Validator.check_schema(schema)


def test_images_schema_content(api):
    schema = api.get('/v2/schemas/images').json
    image = api.get('/v2/schemas/image').json
    assert schema['name'] == 'images'
    assert schema['properties']['images'] == {'type': 'array',
                                              'items': image}
    assert schema['links'] == [{'rel': 'first', 'href': '{first}'},
                               {'rel': 'next', 'href': '{next}'},
                               {'rel': 'describedby', 'href': '{schema}'}]


def test_served_member_objects_validate_against_member_schema(api, shared_id):
    """glanceclient validates every member with warlock (pitfall 11)."""
    schema = api.get('/v2/schemas/member').json
    members = api.get('/v2/images/%s/members' % shared_id).json['members']
    assert_member(members[0], shared_id, CONSUMER, 'pending')
    for member in members:
        jsonschema.validate(member, schema)
