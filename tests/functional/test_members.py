"""Contract §3.1-3.6: the members API, every table row, in Glance's order
of checks, with Glance's exact messages (JSON error bodies)."""

import time

import pytest

from tests.functional.conftest import ADMIN
from tests.functional.conftest import assert_error
from tests.functional.conftest import assert_json_ok
from tests.functional.conftest import assert_member
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import OUTSIDER
from tests.functional.conftest import PRODUCER
from tests.functional.conftest import RND

BAD_STATUS = ('Incorrect request: Status must be "pending", "accepted" or '
              '"rejected".')


def members_url(image_id):
    return '/v2/images/%s/members' % image_id


def member_url(image_id, member_id):
    return '/v2/images/%s/members/%s' % (image_id, member_id)


def not_in_list(member_id, image_id):
    return '%s not found in the member list of the image %s.' % (member_id,
                                                                 image_id)


def not_authorized(rule):
    return 'You are not authorized to complete %s action.' % rule


# --- §3.2 POST /v2/images/{id}/members ------------------------------------

def test_create_member_is_200_pending_without_location(api):
    image = api.create_image()['id']
    r = api.post(members_url(image), body={'member': CONSUMER})
    assert_json_ok(r, 200)
    assert 'Location' not in r.headers
    assert_member(r.json, image, CONSUMER, 'pending')
    assert r.json['created_at'] == r.json['updated_at']


@pytest.mark.parametrize('data,message', [
    ('', 'Body expected in request.'),
    ('{bad', 'Malformed JSON in request body.'),
    ('"abc"', 'Unexpected body type. Expected list/dict.'),
    ('null', 'Unexpected body type. Expected list/dict.'),
    ('[]', 'Expected a member in the form: {"member": "image_id"}'),
    ('{}', 'Member to be added not specified'),
    ('{"member": ""}', "Member can't be empty"),
    ('{"member": null}', "Member can't be empty"),
    ('{"member": "\\ud83d\\ude00"}',
     "Member can't contain 4 byte unicode characters."),
], ids=['empty', 'malformed', 'scalar', 'null', 'list', 'no-member-key',
        'member-empty', 'member-null', 'member-4-byte'])
def test_create_member_body_errors(api, shared_id, data, message):
    r = api.post(members_url(shared_id), data=data,
                 content_type='application/json')
    assert_error(r, 400, message)


def test_create_member_raw_utf8_4_byte_is_400(api, shared_id):
    r = api.post(members_url(shared_id),
                 data='{"member": "\U0001f600"}'.encode(),
                 content_type='application/json')
    assert_error(r, 400, "Member can't contain 4 byte unicode characters.")


@pytest.mark.parametrize('member', [
    1.5, True, False, 0, {'id': 'x'}, ['a'], 10 ** 255],
    ids=['float', 'true', 'false', 'zero', 'dict', 'list', '256-digits'])
def test_create_member_non_string_is_400(api, shared_id, member):
    # Deliberate difference: Glance echoes floats (200) and 500s on dicts
    # and lists; we refuse anything but a string or an integer, never 500.
    r = api.post(members_url(shared_id), body={'member': member})
    assert r.status_code == 400, r.data
    assert r.headers['Content-Type'] == 'application/json'
    members = api.get(members_url(shared_id)).json['members']
    assert [m['member_id'] for m in members] == [CONSUMER]


@pytest.mark.parametrize('member, stored', [
    (12345, '12345'), (-7, '-7'), (10 ** 254, '1' + '0' * 254)],
    ids=['tenant-number', 'negative', '255-digits'])
def test_create_member_integer_is_stored_as_its_decimal_string(
        api, shared_id, member, stored):
    # Rackspace tenant ids are numbers; Glance takes them unquoted.
    r = api.post(members_url(shared_id), body={'member': member})
    assert_json_ok(r)
    assert_member(r.json, shared_id, stored, 'pending')
    assert api.get(member_url(shared_id, stored)).json['member_id'] == stored
    r = api.post(members_url(shared_id), body={'member': stored})
    assert r.status_code == 409, r.data


def test_create_member_longer_than_255_is_400(api, shared_id):
    # Deliberate difference: Glance (SQLite) takes 256 and 300 chars.
    for length in (256, 300):
        r = api.post(members_url(shared_id), body={'member': 'a' * length})
        assert r.status_code == 400, r.data


def test_create_member_of_255_chars_is_200(api, shared_id):
    r = api.post(members_url(shared_id), body={'member': 'a' * 255})
    assert_json_ok(r)
    assert_member(r.json, shared_id, 'a' * 255, 'pending')


@pytest.mark.parametrize('member', [
    '   ', 'nonexistent-project-xyz', PRODUCER, CONSUMER2.upper(), '\u00e9'])
def test_create_member_ids_are_not_validated(api, shared_id, member):
    r = api.post(members_url(shared_id), body={'member': member})
    assert_json_ok(r)
    assert_member(r.json, shared_id, member, 'pending')


def test_create_member_non_ascii_is_raw_utf8_in_success_body(api, shared_id):
    r = api.post(members_url(shared_id), body={'member': '\u00e9'})
    assert '"member_id": "\u00e9"'.encode() in r.data


def test_create_member_ignores_unknown_keys(api, shared_id):
    r = api.post(members_url(shared_id), body={'member': 'abc', 'extra': 1})
    assert_json_ok(r)
    assert_member(r.json, shared_id, 'abc', 'pending')


@pytest.mark.parametrize('content_type', [None, 'text/plain',
                                          'application/json; charset=utf-8'])
def test_create_member_content_type_is_not_checked(api, shared_id,
                                                   content_type):
    r = api.post(members_url(shared_id), data='{"member": "%s"}' % CONSUMER2,
                 content_type=content_type)
    assert_json_ok(r)
    assert_member(r.json, shared_id, CONSUMER2, 'pending')


def test_create_member_unknown_image_is_404(api):
    r = api.post(members_url(RND), body={'member': CONSUMER})
    assert_error(r, 404, 'Image %s not found.' % RND)


def test_create_member_not_a_uuid_image_is_404(api):
    r = api.post(members_url('not-a-uuid'), body={'member': 'x'})
    assert_error(r, 404, 'Image not-a-uuid not found.')


def test_create_member_stranger_is_404(api, shared_id):
    r = api.post(members_url(shared_id), who='outsider',
                 body={'member': OUTSIDER})
    assert_error(r, 404, 'Image %s not found.' % shared_id)


@pytest.mark.parametrize('visibility', ['private', 'community'])
def test_create_member_on_non_shared_image_is_403_even_for_owner(
        api, visibility):
    image = api.create_image(visibility=visibility)['id']
    r = api.post(members_url(image), body={'member': CONSUMER})
    assert_error(r, 403, 'Not allowed to create members for image %s.'
                 % image)


def test_create_member_on_public_image_is_403_even_for_admin(api):
    image = api.create_image(who='admin', visibility='public')['id']
    for who in ('admin', 'producer'):
        r = api.post(members_url(image), who=who, body={'member': CONSUMER})
        assert_error(r, 403, 'Not allowed to create members for image %s.'
                     % image)


@pytest.mark.parametrize('who', ['consumer', 'consumer_reader'])
def test_create_member_by_consumer_is_403_add_member(api, shared_id, who):
    r = api.post(members_url(shared_id), who=who, body={'member': OUTSIDER})
    assert_error(r, 403, not_authorized('add_member'))


def test_create_member_by_reader_only_owner_is_403_add_member(api, shared_id):
    r = api.post(members_url(shared_id), who='producer_reader',
                 body={'member': OUTSIDER})
    assert_error(r, 403, not_authorized('add_member'))


def test_create_member_duplicate_is_409(api, shared_id):
    r = api.post(members_url(shared_id), body={'member': CONSUMER})
    assert_error(r, 409, 'Member %s is duplicated for image %s'
                 % (CONSUMER, shared_id))


def test_create_member_duplicate_of_accepted_member_is_409(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    r = api.post(members_url(shared_id), body={'member': CONSUMER})
    assert_error(r, 409, 'Member %s is duplicated for image %s'
                 % (CONSUMER, shared_id))
    r = api.get(member_url(shared_id, CONSUMER))
    assert r.json['status'] == 'accepted'


def test_create_member_member_ids_are_case_sensitive(api, shared_id):
    r = api.post(members_url(shared_id), body={'member': CONSUMER.upper()})
    assert_json_ok(r)


def test_create_member_admin_may_add_to_any_shared_image(api, shared_id):
    r = api.post(members_url(shared_id), who='admin',
                 body={'member': OUTSIDER})
    assert_json_ok(r)
    assert_member(r.json, shared_id, OUTSIDER, 'pending')


# --- quota (413) ------------------------------------------------------------

QUOTA_MESSAGE = ('Image member limit exceeded for image %s: The limit has '
                 'been exceeded on the number of allowed image members for '
                 'this image. Attempted: %d, Maximum: %d:')


def test_create_member_over_quota_is_413(make_api):
    api = make_api(image_member_quota=2)
    image = api.create_image()['id']
    api.add_member(image, CONSUMER)
    api.add_member(image, CONSUMER2)
    r = api.post(members_url(image), body={'member': OUTSIDER})
    assert_error(r, 413, QUOTA_MESSAGE % (image, 3, 2))
    assert len(api.get(members_url(image)).json['members']) == 2


def test_quota_is_checked_before_duplicates(make_api):
    api = make_api(image_member_quota=2)
    image = api.create_image()['id']
    api.add_member(image, CONSUMER)
    api.add_member(image, CONSUMER2)
    r = api.post(members_url(image), body={'member': CONSUMER})
    assert_error(r, 413, QUOTA_MESSAGE % (image, 3, 2))


def test_quota_counts_only_live_members(make_api):
    api = make_api(image_member_quota=2)
    image = api.create_image()['id']
    api.add_member(image, CONSUMER)
    api.add_member(image, CONSUMER2)
    assert api.delete(member_url(image, CONSUMER2)).status_code == 204
    api.add_member(image, OUTSIDER)


def test_quota_is_checked_after_policy(make_api):
    api = make_api(image_member_quota=1)
    image = api.create_image()['id']
    api.add_member(image, CONSUMER)
    r = api.post(members_url(image), who='consumer',
                 body={'member': OUTSIDER})
    assert_error(r, 403, not_authorized('add_member'))


def test_quota_zero_refuses_first_member(make_api):
    api = make_api(image_member_quota=0)
    image = api.create_image()['id']
    r = api.post(members_url(image), body={'member': CONSUMER})
    assert_error(r, 413, QUOTA_MESSAGE % (image, 1, 0))


def test_negative_quota_is_unlimited(make_api):
    api = make_api(image_member_quota=-1)
    image = api.create_image()['id']
    for n in range(5):
        api.add_member(image, 'project-%d' % n)


# --- re-adding a deleted member ---------------------------------------------

def test_readd_resets_to_pending_and_keeps_created_at(api, shared_id):
    first = api.get(member_url(shared_id, CONSUMER)).json
    api.set_status(shared_id, CONSUMER, 'accepted')
    assert api.delete(member_url(shared_id, CONSUMER)).status_code == 204
    time.sleep(1.1)
    again = api.add_member(shared_id, CONSUMER)
    assert_member(again, shared_id, CONSUMER, 'pending')
    assert again['created_at'] == first['created_at']
    assert again['updated_at'] > first['updated_at']


def test_readd_keeps_list_position(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    assert api.delete(member_url(shared_id, CONSUMER)).status_code == 204
    api.add_member(shared_id, CONSUMER)
    members = api.get(members_url(shared_id)).json['members']
    assert [m['member_id'] for m in members] == [CONSUMER, CONSUMER2]


# --- §3.3 GET /v2/images/{id}/members ----------------------------------------

def test_list_members_as_owner_sees_all(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(members_url(shared_id))
    assert_json_ok(r)
    assert list(r.json) == ['members', 'schema']
    assert r.json['schema'] == '/v2/schemas/members'
    assert [m['member_id'] for m in r.json['members']] == [
        CONSUMER, CONSUMER2]
    for m in r.json['members']:
        assert_member(m, shared_id, m['member_id'], 'pending')


@pytest.mark.parametrize('who', ['consumer', 'consumer_colleague',
                                 'consumer_reader'])
def test_list_members_as_consumer_sees_only_own_row(api, shared_id, who):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(members_url(shared_id), who=who)
    assert_json_ok(r)
    assert len(r.json['members']) == 1
    assert_member(r.json['members'][0], shared_id, CONSUMER, 'pending')


def test_list_members_as_admin_sees_all(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(members_url(shared_id), who='admin')
    assert_json_ok(r)
    assert [m['member_id'] for m in r.json['members']] == [
        CONSUMER, CONSUMER2]


def test_list_members_as_reader_only_owner(api, shared_id):
    r = api.get(members_url(shared_id), who='producer_reader')
    assert_json_ok(r)
    assert [m['member_id'] for m in r.json['members']] == [CONSUMER]


def test_list_members_of_image_without_members_is_empty(api):
    image = api.create_image()['id']
    r = api.get(members_url(image))
    assert_json_ok(r)
    assert r.json == {'members': [], 'schema': '/v2/schemas/members'}


def test_list_members_stranger_is_404(api, shared_id):
    r = api.get(members_url(shared_id), who='outsider')
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_list_members_unknown_image_is_404(api):
    assert_error(api.get(members_url(RND)), 404, 'Image %s not found.' % RND)
    assert_error(api.get(members_url('a' * 300)), 404,
                 'Image %s not found.' % ('a' * 300))


@pytest.mark.parametrize('visibility', ['private', 'community'])
def test_list_members_of_non_shared_image_is_403(api, visibility):
    image = api.create_image(visibility=visibility)['id']
    r = api.get(members_url(image))
    assert_error(r, 403, 'Not allowed to list members for image %s: Only '
                 'shared images have members.' % image)


def test_list_members_of_community_image_as_stranger_is_403(api):
    image = api.create_image(visibility='community')['id']
    r = api.get(members_url(image), who='consumer')
    assert_error(r, 403, 'Not allowed to list members for image %s: Only '
                 'shared images have members.' % image)


def test_list_members_of_private_image_as_old_member_is_404(api, shared_id):
    api.set_visibility(shared_id, 'private')
    r = api.get(members_url(shared_id), who='consumer')
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_list_members_member_role_without_reader_is_404(api, shared_id):
    r = api.get(members_url(shared_id), who='member_only')
    assert_error(r, 404, 'The resource could not be found.')


def test_list_members_ignores_query_string(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(members_url(shared_id) + '?limit=1&marker=zzz')
    assert_json_ok(r)
    assert len(r.json['members']) == 2


# --- §3.4 GET /v2/images/{id}/members/{member} -------------------------------

def test_show_member_as_owner(api, shared_id):
    r = api.get(member_url(shared_id, CONSUMER))
    assert_json_ok(r)
    assert_member(r.json, shared_id, CONSUMER, 'pending')


@pytest.mark.parametrize('who', ['consumer', 'consumer_colleague',
                                 'consumer_reader', 'admin',
                                 'producer_reader'])
def test_show_member_allowed(api, shared_id, who):
    r = api.get(member_url(shared_id, CONSUMER), who=who)
    assert_json_ok(r)
    assert_member(r.json, shared_id, CONSUMER, 'pending')


def test_show_other_member_as_consumer_is_404(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(member_url(shared_id, CONSUMER2), who='consumer')
    assert_error(r, 404, not_in_list(CONSUMER2, shared_id))


def test_show_non_member_as_owner_is_404(api, shared_id):
    r = api.get(member_url(shared_id, OUTSIDER))
    assert_error(r, 404, not_in_list(OUTSIDER, shared_id))


def test_show_member_stranger_is_404(api, shared_id):
    r = api.get(member_url(shared_id, CONSUMER), who='outsider')
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_show_member_unknown_image_is_404(api):
    r = api.get(member_url(RND, CONSUMER))
    assert_error(r, 404, 'Image %s not found.' % RND)


@pytest.mark.parametrize('visibility', ['private', 'community'])
def test_show_member_of_non_shared_image_is_404_not_403(api, shared_id,
                                                        visibility):
    api.set_visibility(shared_id, visibility)
    r = api.get(member_url(shared_id, CONSUMER))
    assert_error(r, 404, 'Only shared images have members.')


def test_show_member_member_role_without_reader_is_404(api, shared_id):
    r = api.get(member_url(shared_id, CONSUMER), who='member_only')
    assert_error(r, 404, 'The resource could not be found.')


def test_show_member_long_member_id_is_404(api, shared_id):
    r = api.get(member_url(shared_id, 'a' * 300))
    assert_error(r, 404, not_in_list('a' * 300, shared_id))


def test_show_member_with_spaces_in_path(api, shared_id):
    api.add_member(shared_id, '   ')
    r = api.get(member_url(shared_id, '%20%20%20'))
    assert_json_ok(r)
    assert_member(r.json, shared_id, '   ', 'pending')


def test_show_member_ignores_query_string(api, shared_id):
    r = api.get(member_url(shared_id, CONSUMER) + '?image_id=%s' % shared_id)
    assert_json_ok(r)


# --- §3.5 PUT /v2/images/{id}/members/{member} -------------------------------

@pytest.mark.parametrize('status', ['accepted', 'rejected', 'pending'])
def test_update_member_status_as_consumer(api, shared_id, status):
    before = api.get(member_url(shared_id, CONSUMER)).json
    if status == 'pending':
        api.set_status(shared_id, CONSUMER, 'rejected')
    time.sleep(1.1)
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                body={'status': status})
    assert_json_ok(r)
    assert_member(r.json, shared_id, CONSUMER, status)
    assert r.json['created_at'] == before['created_at']
    assert r.json['updated_at'] > before['updated_at']
    assert api.get(member_url(shared_id, CONSUMER)).json == r.json


def test_update_member_any_transition_allowed(api, shared_id):
    for status in ('accepted', 'rejected', 'pending', 'rejected',
                   'accepted', 'pending'):
        assert api.set_status(shared_id, CONSUMER, status)['status'] == status


def test_update_member_by_colleague_of_same_project(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer_colleague',
                body={'status': 'accepted'})
    assert_json_ok(r)
    assert r.json['status'] == 'accepted'


def test_update_member_noop_keeps_updated_at(api, shared_id):
    first = api.set_status(shared_id, CONSUMER, 'accepted')
    time.sleep(1.1)
    again = api.set_status(shared_id, CONSUMER, 'accepted')
    assert again == first


def test_update_member_ignores_extra_keys(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                body={'status': 'accepted', 'member': CONSUMER, 'foo': 1})
    assert_json_ok(r)
    assert r.json['status'] == 'accepted'


@pytest.mark.parametrize('content_type', [None, 'text/plain'])
def test_update_member_content_type_is_not_checked(api, shared_id,
                                                   content_type):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                data='{"status": "accepted"}', content_type=content_type)
    assert_json_ok(r)


@pytest.mark.parametrize('data,message', [
    ('', 'Body expected in request.'),
    ('{"status":', 'Malformed JSON in request body.'),
    ('"accepted"', 'Unexpected body type. Expected list/dict.'),
    ('[]', 'Expected a status in the form: {"status": "status"}'),
    ('{}', 'Status not specified'),
], ids=['empty', 'malformed', 'scalar', 'list', 'no-status-key'])
@pytest.mark.parametrize('who', ['consumer', 'producer'])
def test_update_member_body_errors_come_before_policy(api, shared_id, data,
                                                      message, who):
    r = api.put(member_url(shared_id, CONSUMER), who=who, data=data,
                content_type='application/json')
    assert_error(r, 400, message)


@pytest.mark.parametrize('status', ['bogus', 'ACCEPTED', 123, None, ''],
                         ids=['bogus', 'upper', 'int', 'null', 'empty'])
def test_update_member_bad_status_as_consumer_is_400(api, shared_id, status):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                body={'status': status})
    assert_error(r, 400, BAD_STATUS)


@pytest.mark.parametrize('status', ['accepted', 'rejected', 'pending',
                                    'bogus'])
def test_update_member_as_owner_is_403_whatever_the_status(api, shared_id,
                                                           status):
    r = api.put(member_url(shared_id, CONSUMER), body={'status': status})
    assert_error(r, 403, not_authorized('modify_member'))
    assert api.get(member_url(shared_id, CONSUMER)).json['status'] == 'pending'


def test_update_member_reader_only_consumer_is_403(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer_reader',
                body={'status': 'accepted'})
    assert_error(r, 403, not_authorized('modify_member'))


def test_update_member_member_role_without_reader_is_404(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='member_only',
                body={'status': 'accepted'})
    assert_error(r, 404, 'The resource could not be found.')
    assert api.get(member_url(shared_id, CONSUMER)).json['status'] == 'pending'


def test_update_other_member_as_consumer_is_404(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.put(member_url(shared_id, CONSUMER2), who='consumer',
                body={'status': 'accepted'})
    assert_error(r, 404, not_in_list(CONSUMER2, shared_id))
    assert api.get(member_url(shared_id, CONSUMER2)
                   ).json['status'] == 'pending'


def test_update_unknown_member_as_consumer_is_404(api, shared_id):
    r = api.put(member_url(shared_id, OUTSIDER), who='consumer',
                body={'status': 'accepted'})
    assert_error(r, 404, not_in_list(OUTSIDER, shared_id))


def test_update_member_stranger_is_404(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='outsider',
                body={'status': 'accepted'})
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_update_member_unknown_image_is_404(api):
    r = api.put(member_url(RND, CONSUMER), who='consumer',
                body={'status': 'accepted'})
    assert_error(r, 404, 'Image %s not found.' % RND)


def test_update_member_of_private_image_as_owner_is_403(api, shared_id):
    api.set_visibility(shared_id, 'private')
    r = api.put(member_url(shared_id, CONSUMER), body={'status': 'accepted'})
    assert_error(r, 403, 'Not allowed to update members for image %s.'
                 % shared_id)


def test_update_member_of_community_image_as_consumer_is_403(api, shared_id):
    api.set_visibility(shared_id, 'community')
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                body={'status': 'accepted'})
    assert_error(r, 403, 'Not allowed to update members for image %s.'
                 % shared_id)


def test_update_member_admin_may_change_status(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='admin',
                body={'status': 'accepted'})
    assert_json_ok(r)
    assert_member(r.json, shared_id, CONSUMER, 'accepted')
    assert CONSUMER == r.json['member_id']
    assert shared_id in api.list_ids('consumer')


def test_update_member_admin_bad_status_is_400(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='admin',
                body={'status': 'bogus'})
    assert_error(r, 400, BAD_STATUS)


# --- §3.6 DELETE /v2/images/{id}/members/{member} ----------------------------

def test_delete_member_is_204_empty_without_content_type(api, shared_id):
    r = api.delete(member_url(shared_id, CONSUMER))
    assert r.status_code == 204
    assert r.data == b''
    assert 'Content-Type' not in r.headers
    assert r.headers.get('Content-Length') in (None, '0')
    assert api.get(members_url(shared_id)).json['members'] == []


def test_delete_member_revokes_access_at_once(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    assert shared_id in api.list_ids('consumer')
    assert api.delete(member_url(shared_id, CONSUMER)).status_code == 204
    assert shared_id not in api.list_ids('consumer')
    r = api.get('/v2/images/%s' % shared_id, who='consumer')
    assert_error(r, 404, 'No image found with ID %s' % shared_id)
    r = api.get(members_url(shared_id), who='consumer')
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_delete_member_twice_is_404(api, shared_id):
    assert api.delete(member_url(shared_id, CONSUMER)).status_code == 204
    r = api.delete(member_url(shared_id, CONSUMER))
    assert_error(r, 404, not_in_list(CONSUMER, shared_id))


def test_delete_unknown_member_is_404(api, shared_id):
    r = api.delete(member_url(shared_id, OUTSIDER))
    assert_error(r, 404, not_in_list(OUTSIDER, shared_id))


@pytest.mark.parametrize('who', ['consumer', 'consumer_reader'])
def test_delete_own_membership_as_consumer_is_403(api, shared_id, who):
    r = api.delete(member_url(shared_id, CONSUMER), who=who)
    assert_error(r, 403, not_authorized('delete_member'))


def test_delete_member_reader_only_owner_is_403(api, shared_id):
    r = api.delete(member_url(shared_id, CONSUMER), who='producer_reader')
    assert_error(r, 403, not_authorized('delete_member'))


def test_delete_other_member_as_consumer_is_404(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.delete(member_url(shared_id, CONSUMER2), who='consumer')
    assert_error(r, 404, not_in_list(CONSUMER2, shared_id))


def test_delete_member_stranger_is_404(api, shared_id):
    r = api.delete(member_url(shared_id, CONSUMER), who='outsider')
    assert_error(r, 404, 'Image %s not found.' % shared_id)


def test_delete_member_unknown_image_is_404(api):
    r = api.delete(member_url(RND, CONSUMER))
    assert_error(r, 404, 'Image %s not found.' % RND)


def test_delete_member_of_private_image_is_403(api, shared_id):
    api.set_visibility(shared_id, 'private')
    r = api.delete(member_url(shared_id, CONSUMER))
    assert_error(r, 403, 'Not allowed to delete members for image %s.'
                 % shared_id)


def test_delete_member_admin(api, shared_id):
    api.add_member(shared_id, OUTSIDER, who='admin')
    r = api.delete(member_url(shared_id, OUTSIDER), who='admin')
    assert r.status_code == 204
    assert r.data == b''


# --- §3.1 order of checks ----------------------------------------------------

def test_order_body_before_image_lookup(api):
    r = api.post(members_url(RND), data='{bad',
                 content_type='application/json')
    assert_error(r, 400, 'Malformed JSON in request body.')


def test_order_body_before_visibility(api, private):
    r = api.post(members_url(private), body={})
    assert_error(r, 400, 'Member to be added not specified')


def test_order_body_before_stranger_404(api, shared_id):
    r = api.post(members_url(shared_id), who='outsider', data='{bad',
                 content_type='application/json')
    assert_error(r, 400, 'Malformed JSON in request body.')


def test_order_image_404_before_not_shared_403(api, private):
    r = api.post(members_url(private), who='consumer',
                 body={'member': CONSUMER})
    assert_error(r, 404, 'Image %s not found.' % private)


def test_order_not_shared_403_before_policy_403(api):
    image = api.create_image(visibility='community')['id']
    r = api.post(members_url(image), who='consumer',
                 body={'member': CONSUMER})
    assert_error(r, 403, 'Not allowed to create members for image %s.'
                 % image)


def test_order_policy_403_before_duplicate_409(api, shared_id):
    r = api.post(members_url(shared_id), who='consumer',
                 body={'member': CONSUMER})
    assert_error(r, 403, not_authorized('add_member'))


def test_order_member_lookup_before_status_validation(api, shared_id):
    r = api.put(member_url(shared_id, OUTSIDER), who='consumer',
                body={'status': 'bogus'})
    assert_error(r, 404, not_in_list(OUTSIDER, shared_id))


# --- routes ------------------------------------------------------------------

@pytest.mark.parametrize('method', ['PUT', 'PATCH', 'DELETE'])
def test_members_collection_405(api, shared_id, method):
    r = api.call(method, members_url(shared_id))
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET, POST'
    assert REQUEST_ID_OK(r)


@pytest.mark.parametrize('method', ['POST', 'PATCH'])
def test_member_resource_405(api, shared_id, method):
    r = api.call(method, member_url(shared_id, CONSUMER))
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET, PUT, DELETE'
    assert REQUEST_ID_OK(r)


def REQUEST_ID_OK(r):
    return r.headers['x-openstack-request-id'].startswith('req-')


def test_members_head_is_405(api, shared_id):
    r = api.call('HEAD', members_url(shared_id), accept=None)
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET, POST'


@pytest.mark.parametrize('path', [
    '/v2/images/{id}/members/', '/v2/images/{id}/members/%s/' % CONSUMER])
@pytest.mark.parametrize('method', ['GET', 'POST'])
def test_member_routes_trailing_slash_is_404(api, shared_id, path, method):
    body = {'member': OUTSIDER} if method == 'POST' else None
    kw = {'body': body} if body else {}
    r = api.call(method, path.format(id=shared_id), **kw)
    assert_error(r, 404, 'The resource could not be found.')


def test_get_members_with_a_body_is_400(api, shared_id):
    r = api.get(members_url(shared_id), body={'junk': 1})
    assert_error(r, 400, 'A body is not expected with this request.')
    r = api.get(members_url(shared_id), data='x', content_type=None)
    assert_error(r, 400, 'A body is not expected with this request.')


def test_get_member_with_a_body_is_400(api, shared_id):
    r = api.get(member_url(shared_id, CONSUMER), body={'junk': 1})
    assert_error(r, 400, 'A body is not expected with this request.')


def test_delete_member_with_a_body_is_400(api, shared_id):
    r = api.delete(member_url(shared_id, CONSUMER), body={'x': 1})
    assert_error(r, 400, 'A body is not expected with this request.')
    assert api.get(member_url(shared_id, CONSUMER)).status_code == 200


def test_get_members_with_zero_content_length_is_fine(api, shared_id):
    r = api.get(members_url(shared_id), data=b'',
                content_type='application/json')
    assert_json_ok(r)


# --- system scope ------------------------------------------------------------

@pytest.mark.parametrize('method,path,body', [
    ('GET', '/v2/images/{id}/members', None),
    ('POST', '/v2/images/{id}/members', {'member': OUTSIDER}),
    ('GET', '/v2/images/{id}/members/%s' % CONSUMER, None),
    ('PUT', '/v2/images/{id}/members/%s' % CONSUMER, {'status': 'accepted'}),
    ('DELETE', '/v2/images/{id}/members/%s' % CONSUMER, None),
], ids=['list', 'create', 'show', 'update', 'delete'])
def test_system_scoped_token_is_refused_on_member_routes(
        api, shared_id, method, path, body):
    kw = {'body': body} if body else {}
    r = api.call(method, path.format(id=shared_id), who='system_admin', **kw)
    assert_error(r, 404, 'The resource could not be found.')
    r = api.get(member_url(shared_id, CONSUMER))
    assert_member(r.json, shared_id, CONSUMER, 'pending')
    assert [m['member_id'] for m in
            api.get(members_url(shared_id)).json['members']] == [CONSUMER]


def test_admin_project_is_not_a_member(api, shared_id):
    assert ADMIN != CONSUMER
    r = api.get(member_url(shared_id, ADMIN), who='admin')
    assert_error(r, 404, not_in_list(ADMIN, shared_id))
