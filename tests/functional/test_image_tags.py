"""PUT and DELETE /v2/images/{id}/tags/{tag}: codes, messages, order of
checks, quota and roles as a real Glance 33 answered them (same Keystone
roles, image_tag_quota 128)."""

import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import RND

NOT_AUTHORIZED = 'You are not authorized to complete modify_image action.'
TOO_LONG = (
    "Provided object does not match schema 'image': '%s' is too long\n\n"
    "Failed validating 'maxLength' in schema['properties']['tags']"
    "['items']:\n    {'type': 'string', 'maxLength': 255}\n\n"
    "On instance['tags'][0]:\n    '%s'")


def tag_url(image_id, tag):
    return '/v2/images/%s/tags/%s' % (image_id, tag)


def tags_of(api, image_id, who='producer'):
    r = api.get('/v2/images/%s' % image_id, who=who)
    assert r.status_code == 200, r.data
    return r.json['tags']


def assert_no_content(r):
    assert r.status_code == 204, r.data
    assert r.data == b''
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'


def test_add_then_delete(api, shared_id):
    before = api.get('/v2/images/%s' % shared_id).json['updated_at']
    assert_no_content(api.put(tag_url(shared_id, 'gold')))
    assert_no_content(api.put(tag_url(shared_id, 'amber')))
    assert tags_of(api, shared_id) == ['amber', 'gold']
    assert api.get('/v2/images/%s' % shared_id).json['updated_at'] >= before
    assert_no_content(api.delete(tag_url(shared_id, 'gold')))
    assert tags_of(api, shared_id) == ['amber']


def test_adding_a_tag_twice_keeps_one(api, shared_id):
    assert_no_content(api.put(tag_url(shared_id, 'gold')))
    assert_no_content(api.put(tag_url(shared_id, 'gold')))
    assert tags_of(api, shared_id) == ['gold']


def test_tags_are_listed_and_filtered(api, shared_id):
    other = api.create_image(name='other')['id']
    api.put(tag_url(shared_id, 'gold'))
    api.put(tag_url(other, 'silver'))
    assert api.list_ids(query='?tag=gold') == [shared_id]
    assert api.list_ids(query='?tag=gold&tag=silver') == []


def test_url_encoded_tag(api, shared_id):
    assert_no_content(api.put(tag_url(shared_id, 'sp%20ace')))
    assert tags_of(api, shared_id) == ['sp ace']
    assert_no_content(api.delete(tag_url(shared_id, 'sp%20ace')))
    assert tags_of(api, shared_id) == []


def test_delete_missing_tag_is_bare_404(api, shared_id):
    assert_error(api.delete(tag_url(shared_id, 'nope')), 404,
                 'The resource could not be found.')


def test_tag_of_255_characters_is_taken_256_is_400(api, shared_id):
    assert_no_content(api.put(tag_url(shared_id, 'x' * 255)))
    long_tag = 'x' * 256
    assert_error(api.put(tag_url(shared_id, long_tag)), 400,
                 TOO_LONG % (long_tag, long_tag))
    assert tags_of(api, shared_id) == ['x' * 255]


def test_too_long_tag_is_400_before_the_image_is_looked_up(api):
    long_tag = 'y' * 256
    assert_error(api.put(tag_url(RND, long_tag)), 400,
                 TOO_LONG % (long_tag, long_tag))


def test_four_byte_tag_is_400_as_in_patch(api, shared_id):
    # Glance on SQLite stores it; its PATCH refuses it, and a 4-byte
    # character is not stored faithfully by every database: refused.
    assert_error(api.put(tag_url(shared_id, '%F0%9F%98%80')), 400,
                 "Tags can't contain 4 byte unicode characters.")
    assert tags_of(api, shared_id) == []


def test_put_with_a_body_is_400(api, shared_id):
    r = api.put(tag_url(shared_id, 'gold'), body={})
    assert_error(r, 400, 'A body is not expected with this request.')
    assert tags_of(api, shared_id) == []


@pytest.mark.parametrize('image_id', [RND, 'not-a-uuid'])
@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
def test_unknown_image_is_404(api, method, image_id):
    assert_error(api.call(method, tag_url(image_id, 'gold')), 404,
                 'Image %s not found.' % image_id)


@pytest.mark.parametrize('method', ['PUT', 'DELETE'])
def test_private_image_of_another_project_is_404(api, private, method):
    assert_error(api.call(method, tag_url(private, 'gold'), who='consumer'),
                 404, 'Image %s not found.' % private)


@pytest.mark.parametrize('method,path,allow', [
    ('GET', '/v2/images/{id}/tags/gold', 'PUT, DELETE'),
    ('POST', '/v2/images/{id}/tags/gold', 'PUT, DELETE'),
    ('PATCH', '/v2/images/{id}/tags/gold', 'PUT, DELETE'),
])
def test_tag_route_405(api, shared_id, method, path, allow):
    r = api.call(method, path.format(id=shared_id))
    assert r.status_code == 405
    assert r.headers['Allow'] == allow


@pytest.mark.parametrize('path', ['/v2/images/{id}/tags',
                                  '/v2/images/{id}/tags/',
                                  '/v2/images/{id}/tags/gold/'])
def test_tag_routes_without_a_tag_are_404(api, shared_id, path):
    assert_error(api.put(path.format(id=shared_id)), 404,
                 'The resource could not be found.')


def test_quota_counts_distinct_tags(make_api):
    api = make_api(image_tag_quota=2)
    image = api.create_image(tags=['a', 'b'])['id']
    assert_no_content(api.put(tag_url(image, 'a')))  # already there
    assert_error(api.put(tag_url(image, 'c')), 413,
                 'Image tag limit exceeded for image %s: The limit has been '
                 'exceeded on the number of allowed image tags. Attempted: '
                 '3, Maximum: 2:' % image)
    assert tags_of(api, image) == ['a', 'b']
    assert_no_content(api.delete(tag_url(image, 'a')))
    assert_no_content(api.put(tag_url(image, 'c')))


def test_negative_quota_is_unlimited(make_api):
    api = make_api(image_tag_quota=-1)
    image = api.create_image()['id']
    for n in range(5):
        assert_no_content(api.put(tag_url(image, 't%d' % n)))
    assert len(tags_of(api, image)) == 5


# --- roles: modify_image, on a shared image of the producer with the
# consumer as a pending member; the admin's, then the owner's writes.

RBAC = [
    # persona, PUT, DELETE (of the tag 't0' the image has)
    ('producer', 204, 204),
    ('producer_reader', 403, 403),
    ('consumer', 403, 403),
    ('consumer_reader', 403, 403),
    ('member_only', 404, 404),
    ('consumer2', 404, 404),
    ('outsider', 404, 404),
    ('admin', 204, 204),
    ('system_admin', 404, 404),
]


@pytest.mark.parametrize('who,put,delete', RBAC, ids=[r[0] for r in RBAC])
def test_rbac_tag_routes(api, who, put, delete):
    image = api.create_image(tags=['t0'])['id']
    api.add_member(image, 'b2a5b2c3d4e5f60718293a4b5c6d7e8f')  # consumer
    r = api.put(tag_url(image, 'new'), who=who)
    assert r.status_code == put, r.data
    r = api.delete(tag_url(image, 't0'), who=who)
    assert r.status_code == delete, r.data
    expected = (['new'] if put == 204 else []) + \
        (['t0'] if delete != 204 else [])
    assert tags_of(api, image) == sorted(expected)
    if put == 403:
        assert_error(api.put(tag_url(image, 'new'), who=who), 403,
                     NOT_AUTHORIZED)
    if put == 404:
        r = api.put(tag_url(image, 'new'), who=who)
        assert r.status_code == 404


def test_no_token_is_401(api, shared_id):
    for method in ('PUT', 'DELETE'):
        assert api.call(method, tag_url(shared_id, 'gold'),
                        who=None).status_code == 401
