"""Contract Appendix A: the twelve pitfalls, one named test (or more) each,
plus the persona RBAC matrix of the member routes."""

import jsonschema
import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import assert_member
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import NOT_AUTHENTICATED
from tests.functional.conftest import OUTSIDER
from tests.functional.conftest import TIMESTAMP

NOT_AUTHORIZED = 'You are not authorized to complete %s action.'


def members_url(image_id):
    return '/v2/images/%s/members' % image_id


def member_url(image_id, member_id):
    return '/v2/images/%s/members/%s' % (image_id, member_id)


def test_pitfall_01_member_create_200_member_delete_204_image_create_201(
        api):
    r = api.post('/v2/images', body={'name': 'p1'})
    assert r.status_code == 201
    image = r.json['id']
    r = api.post(members_url(image), body={'member': CONSUMER})
    assert r.status_code == 200
    r = api.delete(member_url(image, CONSUMER))
    assert r.status_code == 204
    assert r.data == b''
    r = api.delete('/v2/images/%s' % image)
    assert r.status_code == 204
    assert r.data == b''


def test_pitfall_01_image_upload_is_204(api):
    image = api.create_image()['id']
    r = api.put('/v2/images/%s/file' % image, data=b'hello',
                content_type='application/octet-stream')
    assert r.status_code == 204
    assert r.data == b''
    shown = api.get('/v2/images/%s' % image).json
    assert shown['status'] == 'active'
    assert shown['size'] == 5
    assert shown['checksum'] == '5d41402abc4b2a76b9719d911017c592'


def test_pitfall_02_default_visibility_is_shared_and_only_shared_has_members(
        api):
    image = api.post('/v2/images', body={}).json
    assert image['visibility'] == 'shared'
    api.add_member(image['id'], CONSUMER)
    private = api.create_image(visibility='private')['id']
    r = api.post(members_url(private), body={'member': CONSUMER})
    assert_error(r, 403, 'Not allowed to create members for image %s.'
                 % private)
    r = api.get(member_url(private, CONSUMER))
    assert_error(r, 404, 'Only shared images have members.')


def test_pitfall_03_consumer_list_hides_pending_and_rejected(api, shared_id):
    assert shared_id not in api.list_ids('consumer')
    assert shared_id in api.list_ids('consumer', '?member_status=pending')
    assert shared_id in api.list_ids(
        'consumer', '?member_status=pending&visibility=shared')
    api.set_status(shared_id, CONSUMER, 'rejected')
    assert shared_id not in api.list_ids('consumer')
    assert api.get('/v2/images/%s' % shared_id,
                   who='consumer').status_code == 200
    api.set_status(shared_id, CONSUMER, 'accepted')
    assert shared_id in api.list_ids('consumer')
    # The owner's own images appear whatever member_status says.
    for status in ('pending', 'accepted', 'rejected', 'all'):
        assert shared_id in api.list_ids('producer',
                                         '?member_status=%s' % status)


def test_pitfall_03_consumer_can_get_image_in_any_member_status(
        api, shared_id):
    for status in ('pending', 'rejected', 'accepted'):
        if status != 'pending':
            api.set_status(shared_id, CONSUMER, status)
        r = api.get('/v2/images/%s' % shared_id, who='consumer')
        assert r.status_code == 200


def test_pitfall_04_owner_cannot_change_status(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), body={'status': 'accepted'})
    assert_error(r, 403, NOT_AUTHORIZED % 'modify_member')
    assert shared_id not in api.list_ids('consumer')


def test_pitfall_04_policy_before_status_validation(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), body={'status': 'bogus'})
    assert_error(r, 403, NOT_AUTHORIZED % 'modify_member')
    r = api.put(member_url(shared_id, CONSUMER), who='consumer',
                body={'status': 'bogus'})
    assert_error(r, 400, 'Incorrect request: Status must be "pending", '
                 '"accepted" or "rejected".')


def test_pitfall_04_admin_may_change_status(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='admin',
                body={'status': 'rejected'})
    assert r.status_code == 200
    assert r.json['status'] == 'rejected'


def test_pitfall_05_consumer_sees_only_its_own_row(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    r = api.get(members_url(shared_id), who='consumer')
    assert [m['member_id'] for m in r.json['members']] == [CONSUMER]
    r = api.get(members_url(shared_id), who='consumer2')
    assert [m['member_id'] for m in r.json['members']] == [CONSUMER2]


def test_pitfall_05_other_member_show_update_404_delete_403(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    missing = '%s not found in the member list of the image %s.' % (
        CONSUMER2, shared_id)
    assert_error(api.get(member_url(shared_id, CONSUMER2), who='consumer'),
                 404, missing)
    assert_error(api.put(member_url(shared_id, CONSUMER2), who='consumer',
                         body={'status': 'accepted'}), 404, missing)
    assert_error(api.delete(member_url(shared_id, CONSUMER), who='consumer'),
                 403, NOT_AUTHORIZED % 'delete_member')


def test_pitfall_06_order_404_403_403_413_409(make_api):
    api = make_api(image_member_quota=1)
    shared_id = api.create_image()['id']
    private = api.create_image(visibility='private')['id']
    api.add_member(shared_id, CONSUMER)
    # 1. image missing or invisible: 404
    r = api.post(members_url(private), who='consumer',
                 body={'member': CONSUMER})
    assert_error(r, 404, 'Image %s not found.' % private)
    # 2. not shared: 403 even for the owner
    r = api.post(members_url(private), body={'member': CONSUMER})
    assert_error(r, 403, 'Not allowed to create members for image %s.'
                 % private)
    # 3. policy: 403 for a consumer, even for a duplicate over quota
    r = api.post(members_url(shared_id), who='consumer',
                 body={'member': CONSUMER})
    assert_error(r, 403, NOT_AUTHORIZED % 'add_member')
    # 4. quota before duplicate: 413
    r = api.post(members_url(shared_id), body={'member': CONSUMER})
    assert r.status_code == 413
    # 5. duplicate: 409 once the quota allows it
    api2 = make_api()
    image = api2.create_image()['id']
    api2.add_member(image, CONSUMER)
    r = api2.post(members_url(image), body={'member': CONSUMER})
    assert_error(r, 409, 'Member %s is duplicated for image %s'
                 % (CONSUMER, image))


def test_pitfall_06_show_turns_403_into_404(api, shared_id):
    api.set_visibility(shared_id, 'private')
    r = api.get(member_url(shared_id, CONSUMER))
    assert_error(r, 404, 'Only shared images have members.')


def test_pitfall_07_readd_resets_pending_keeps_created_at(api, shared_id):
    original = api.set_status(shared_id, CONSUMER, 'accepted')
    assert api.delete(member_url(shared_id, CONSUMER)).status_code == 204
    again = api.add_member(shared_id, CONSUMER)
    assert again['status'] == 'pending'
    assert again['created_at'] == original['created_at']
    assert shared_id not in api.list_ids('consumer')


def test_pitfall_08_versions_300_and_200_without_auth(api):
    r = api.get('/', who=None)
    assert r.status_code == 300
    hrefs = {link['href'] for v in r.json['versions'] for link in v['links']}
    assert hrefs == {'http://localhost/v2/'}
    r = api.get('/versions', who=None)
    assert r.status_code == 200
    # The href is the client's API base: it must work.
    base = hrefs.pop().replace('http://localhost', '')
    r = api.get(base + 'images')
    assert r.status_code == 200


@pytest.mark.parametrize('accept,content_type', [
    ('*/*', 'text/html; charset=UTF-8'),
    ('application/json', 'application/json'),
    (None, 'text/plain; charset=UTF-8')])
def test_pitfall_09_error_content_types_are_ones_tempest_accepts(
        api, shared_id, accept, content_type):
    r = api.post(members_url(shared_id), accept=accept,
                 body={'member': CONSUMER})
    assert r.status_code == 409
    assert r.headers['Content-Type'] == content_type
    assert r.headers['Content-Type'].split(';')[0].lower() in (
        'application/json', 'text/plain', 'text/html')


def test_pitfall_09_glanceclient_gets_html_not_flat_json(api, shared_id):
    # glanceclient sends Accept: */* and crashes on flat JSON.
    r = api.post(members_url(shared_id), accept='*/*',
                 body={'member': CONSUMER})
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert b'Member %s is duplicated' % CONSUMER.encode() in r.data


def test_pitfall_10_patch_accepts_both_dialects(api):
    image = api.create_image()['id']
    r = api.patch('/v2/images/%s' % image,
                  [{'replace': '/name', 'value': 'v20'}],
                  content_type='application/openstack-images-v2.0-json-patch')
    assert r.status_code == 200 and r.json['name'] == 'v20'
    r = api.patch('/v2/images/%s' % image,
                  [{'op': 'replace', 'path': '/name', 'value': 'v21'}],
                  content_type='application/openstack-images-v2.1-json-patch')
    assert r.status_code == 200 and r.json['name'] == 'v21'
    r = api.patch('/v2/images/%s' % image,
                  [{'op': 'replace', 'path': '/name', 'value': 'x'}],
                  content_type='application/json')
    assert r.status_code == 415
    assert r.headers['Accept-Patch'] == (
        'application/openstack-images-v2.0-json-patch, '
        'application/openstack-images-v2.1-json-patch')


def test_pitfall_11_member_json_validates_against_served_schema(
        api, shared_id):
    schema = api.get('/v2/schemas/member').json
    bodies = [api.get(member_url(shared_id, CONSUMER)).json,
              api.set_status(shared_id, CONSUMER, 'accepted'),
              api.add_member(shared_id, CONSUMER2)]
    bodies += api.get(members_url(shared_id)).json['members']
    for body in bodies:
        jsonschema.validate(body, schema)
        assert isinstance(body['member_id'], str)
        assert TIMESTAMP.match(body['created_at'])
        assert TIMESTAMP.match(body['updated_at'])


def test_pitfall_11_member_id_is_always_a_string(api, shared_id):
    # An integer is taken (as Glance takes it) as its decimal string.
    r = api.post(members_url(shared_id), body={'member': 123})
    assert r.status_code == 200, r.data
    assert r.json['member_id'] == '123'
    r = api.post(members_url(shared_id), body={'member': '123'})
    assert r.status_code == 409, r.data
    assert api.get(member_url(shared_id, '123')).json['member_id'] == '123'


def test_pitfall_12_member_role_without_reader_is_refused(api, shared_id):
    # member_only is in the consumer project but its token lacks the
    # implied reader role: every read is refused.
    assert_error(api.get(members_url(shared_id), who='member_only'), 404,
                 'The resource could not be found.')
    assert api.get('/v2/images/%s' % shared_id,
                   who='member_only').status_code == 404
    r = api.put(member_url(shared_id, CONSUMER), who='member_only',
                body={'status': 'accepted'})
    assert r.status_code == 404


def test_pitfall_12_reader_only_cannot_write(api, shared_id):
    r = api.put(member_url(shared_id, CONSUMER), who='consumer_reader',
                body={'status': 'accepted'})
    assert_error(r, 403, NOT_AUTHORIZED % 'modify_member')
    r = api.post(members_url(shared_id), who='producer_reader',
                 body={'member': OUTSIDER})
    assert_error(r, 403, NOT_AUTHORIZED % 'add_member')


def test_pitfall_12_system_scoped_token_is_refused(api, shared_id):
    assert_error(api.get('/v2/images', who='system_admin'), 403,
                 NOT_AUTHORIZED % 'get_images')
    assert_error(api.post('/v2/images', who='system_admin', body={}), 403,
                 NOT_AUTHORIZED % 'add_image')
    for path in ('/v2/images/%s' % shared_id, members_url(shared_id),
                 member_url(shared_id, CONSUMER)):
        assert_error(api.get(path, who='system_admin'), 404,
                     'The resource could not be found.')


# --- RBAC matrix of the member routes, one persona at a time -----------------
# On a shared image of the producer with the consumer (pending) as member.

RBAC = [
    # persona, list, show own(consumer) row, create, update, delete
    ('producer', 200, 200, 200, 403, 204),
    ('producer_reader', 200, 200, 403, 403, 403),
    ('consumer', 200, 200, 403, 200, 403),
    ('consumer_colleague', 200, 200, 403, 200, 403),
    ('consumer_reader', 200, 200, 403, 403, 403),
    ('member_only', 404, 404, 404, 404, 404),
    ('consumer2', 404, 404, 404, 404, 404),
    ('outsider', 404, 404, 404, 404, 404),
    ('admin', 200, 200, 200, 200, 204),
    ('system_admin', 404, 404, 404, 404, 404),
]


@pytest.mark.parametrize('who,list_,show,create,update,delete', RBAC,
                         ids=[row[0] for row in RBAC])
def test_rbac_member_routes(api, shared_id, who, list_, show, create, update,
                            delete):
    assert api.get(members_url(shared_id), who=who).status_code == list_
    assert api.get(member_url(shared_id, CONSUMER),
                   who=who).status_code == show
    assert api.post(members_url(shared_id), who=who,
                    body={'member': 'new-project'}).status_code == create
    assert api.put(member_url(shared_id, CONSUMER), who=who,
                   body={'status': 'accepted'}).status_code == update
    assert api.delete(member_url(shared_id, CONSUMER),
                      who=who).status_code == delete


def test_rbac_no_token_is_401_everywhere(api, shared_id):
    for method, path in [('GET', members_url(shared_id)),
                         ('POST', members_url(shared_id)),
                         ('GET', member_url(shared_id, CONSUMER)),
                         ('PUT', member_url(shared_id, CONSUMER)),
                         ('DELETE', member_url(shared_id, CONSUMER))]:
        r = api.call(method, path, who=None)
        assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)
    r = api.get(member_url(shared_id, CONSUMER))
    assert_member(r.json, shared_id, CONSUMER, 'pending')


def test_options_is_bare_200_without_token(api, shared_id):
    r = api.call('OPTIONS', members_url(shared_id), who=None, accept=None)
    assert r.status_code == 200
    assert r.data == b''
