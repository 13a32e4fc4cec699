"""/sharing/v1, the sharing extension: every route as every persona (codes,
and that a refusal writes nothing), the bodies, and the extension's effect
on /v2 (trust auto-accept, expiry hiding memberships, history rows)."""

import datetime

import pytest

from glance_members.api import identity
from glance_members.db import models
from tests.functional import conftest
# Every error below is /sharing/v1's (plain-text message), but one.
from tests.functional.conftest import assert_sharing_error as assert_error
from tests.functional.conftest import assert_json_ok
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import CONSUMER2
from tests.functional.conftest import OUTSIDER
from tests.functional.conftest import PRODUCER
from tests.functional.conftest import RND
from tests.functional.conftest import TIMESTAMP

ROOT = '/sharing/v1'
FUTURE = '2099-01-01T00:00:00Z'
SHARE_KEYS = ['image_id', 'member_id', 'status', 'created_at', 'updated_at',
              'expires_at']
SUMMARY_KEYS = ['id', 'name', 'owner', 'disk_format', 'container_format',
                'size', 'status', 'created_at']


def snapshot(api):
    """Every row of every data table (lock bookkeeping aside), to show a
    refusal or a repeated request wrote nothing."""
    database = api.client.application.extensions[
        'glance_members'].repo.database
    with database.bind_ctx(models.DATA_MODELS):
        return {m._meta.table_name: sorted(map(repr, m.select(
            *models.data_fields(m)).tuples())) for m in models.DATA_MODELS}


def routes(image, producer=PRODUCER, consumer=CONSUMER,
           consumer2=CONSUMER2):
    """(name, method, path, body) of every /sharing/v1 route, in an order
    where no success changes what a later call of the row expects (the
    projects: the personas', or a real Keystone's beside Glance,
    tests/integration/test_beside_glance.py)."""
    return [
        ('inbox', 'GET', ROOT + '/inbox', None),
        ('trusts', 'GET', ROOT + '/trusted-producers', None),
        ('image_history', 'GET', ROOT + '/images/%s/history' % image, None),
        ('history', 'GET', ROOT + '/history?as=producer', None),
        ('expiry', 'PATCH',
         ROOT + '/images/%s/members/%s' % (image, consumer),
         {'expires_at': FUTURE}),
        ('share', 'POST', ROOT + '/shares',
         {'images': [image], 'members': [consumer2]}),
        ('decide', 'POST', ROOT + '/inbox/decisions',
         {'status': 'accepted', 'images': [image]}),
        ('trust', 'PUT', ROOT + '/trusted-producers/' + producer,
         {'accept_pending': True}),
        ('untrust', 'DELETE', ROOT + '/trusted-producers/' + producer, None),
        ('revoke', 'POST', ROOT + '/shares/revoke',
         {'images': [image], 'members': [consumer2]}),
        ('leave', 'DELETE', ROOT + '/inbox/' + image, None),
        ('members', 'GET', ROOT + '/images/%s/members' % image, None),
        ('project', 'GET', ROOT + '/projects/' + consumer, None),
    ]


ROUTE_NAMES = [r[0] for r in routes('x')]
# persona: the code of each route above, in order.
RBAC = {
    'producer': (200, 200, 200, 200, 200, 200, 404, 400, 404, 200, 404, 200,
                 200),
    'producer_reader': (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403,
                        200, 403),
    'consumer': (200, 200, 200, 200, 403, 403, 200, 200, 204, 403, 204, 404,
                 200),
    'consumer_colleague': (200, 200, 200, 200, 403, 403, 200, 200, 204, 403,
                           204, 404, 200),
    'consumer_reader': (200, 200, 200, 200, 403, 403, 403, 403, 403, 403, 403,
                        200, 403),
    'member_only': (403, 403, 404, 403, 404, 404, 200, 200, 204, 404, 204, 404,
                    200),
    'consumer2': (200, 200, 404, 200, 404, 404, 404, 200, 204, 404, 404, 404,
                  200),
    'outsider': (200, 200, 404, 200, 404, 404, 404, 200, 204, 404, 404, 404,
                 200),
    'admin': (200, 200, 200, 200, 200, 200, 404, 200, 204, 200, 404, 200, 200),
    'system_admin': (403, 403, 404, 403, 404, 404, 403, 403, 403, 404, 403,
                     404, 403),
}


@pytest.mark.parametrize('who', sorted(RBAC))
def test_rbac_every_route_and_refusals_write_nothing(api, shared_id, who):
    codes = []
    for name, method, path, body in routes(shared_id):
        before = snapshot(api)
        kwargs = {} if body is None else {'body': body}
        r = api.call(method, path, who=who, **kwargs)
        codes.append(r.status_code)
        if r.status_code >= 400:
            assert r.headers['Content-Type'] == 'application/json', name
            assert snapshot(api) == before, (who, name, r.data)
    assert dict(zip(ROUTE_NAMES, codes)) == dict(zip(ROUTE_NAMES,
                                                     RBAC[who]))


def test_rbac_no_token_is_401_everywhere(api, shared_id):
    for name, method, path, body in routes(shared_id):
        r = api.call(method, path, who=None)
        assert r.status_code == 401, name


def test_versions_document_without_token(api):
    for path in ('/sharing', '/sharing/'):
        r = api.get(path, who=None)
        assert r.status_code == 200
        assert r.json == {'versions': [{
            'id': 'v1.0', 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': 'http://localhost/sharing/v1/'}]}]}


def test_disabled_extension_is_not_served(make_api):
    api = make_api(**{'sharing.enabled': False})
    assert api.get('/sharing').status_code == 300
    assert api.get(ROOT + '/inbox', who='consumer').status_code == 300


# --- inbox ---------------------------------------------------------------

def test_inbox_body_counts_and_pages(api):
    images = [api.create_image(name='i%d' % n)['id'] for n in range(3)]
    for image in images:
        api.add_member(image, CONSUMER)
    api.set_status(images[0], CONSUMER, 'rejected')
    r = api.get(ROOT + '/inbox?limit=1', who='consumer')
    assert_json_ok(r)
    assert list(r.json) == ['inbox', 'counts', 'next']
    assert r.json['counts'] == {'pending': 2, 'accepted': 0, 'rejected': 1}
    [item] = r.json['inbox']
    assert list(item) == SHARE_KEYS + ['image', 'producer_name']
    assert list(item['image']) == SUMMARY_KEYS
    assert item['producer_name'] is None  # the personas have no names
    assert (item['image_id'], item['member_id'], item['status'],
            item['expires_at']) == (images[2], CONSUMER, 'pending', None)
    assert item['image']['owner'] == PRODUCER
    assert TIMESTAMP.match(item['created_at'])
    assert r.json['next'] == ROOT + '/inbox?limit=1&marker=%s&status=' \
        'pending' % images[2]
    r = api.get(r.json['next'], who='consumer')
    assert [i['image_id'] for i in r.json['inbox']] == [images[1]]
    r = api.get(r.json['next'], who='consumer')
    assert r.json['inbox'] == [] and 'next' not in r.json
    r = api.get(ROOT + '/inbox?status=all', who='consumer')
    assert [i['image_id'] for i in r.json['inbox']] == images[::-1]


def test_inbox_follows_the_image_visibility(api):
    """A membership gives access only while its image is 'shared': the
    inbox, its counts and the decisions follow every visibility change."""
    pending, accepted = api.create_image()['id'], api.create_image()['id']
    for image in (pending, accepted):
        api.add_member(image, CONSUMER)
    api.set_status(accepted, CONSUMER, 'accepted')

    def inbox():
        r = api.get(ROOT + '/inbox?status=all', who='consumer')
        assert_json_ok(r)
        return ({i['image_id'] for i in r.json['inbox']},
                r.json['counts'])

    for visibility in ('private', 'public', 'community'):
        api.set_visibility(pending, visibility, who='admin' if
                           visibility == 'public' else 'producer')
        assert inbox() == ({accepted}, {'pending': 0, 'accepted': 1,
                                        'rejected': 0})
        r = api.post(ROOT + '/inbox/decisions', who='consumer', body={
            'status': 'accepted', 'images': [pending]})
        assert r.status_code == 404, r.data
    api.set_visibility(pending, 'shared')
    assert inbox() == ({pending, accepted}, {'pending': 1, 'accepted': 1,
                                             'rejected': 0})
    # A membership added back while the image is private is not counted
    # until the image is shared again.
    api.delete('/v2/images/%s/members/%s' % (accepted, CONSUMER))
    api.set_visibility(accepted, 'private')
    api.set_visibility(accepted, 'shared')
    api.add_member(accepted, CONSUMER)
    assert inbox()[1] == {'pending': 2, 'accepted': 0, 'rejected': 0}


@pytest.mark.parametrize('query,message', [
    ('status=bogus', 'Invalid request: status: Must be one of: pending, '
                     'accepted, rejected, all.'),
    ('limit=0', 'Invalid request: limit: Must be greater than or equal to '
                '1 and less than or equal to 1000.'),
    ('limit=x', 'Invalid request: limit: Not a valid integer.'),
    ('marker=' + RND, 'Marker %s is not one of your shares.' % RND),
])
def test_inbox_bad_query_is_400(api, query, message):
    assert_error(api.get(ROOT + '/inbox?' + query, who='consumer'), 400,
                 message)


def test_decisions_bodies_and_atomicity(api, shared_id):
    other = api.create_image()['id']
    before = snapshot(api)
    r = api.post(ROOT + '/inbox/decisions', who='consumer',
                 body={'status': 'accepted', 'images': [shared_id, other]})
    assert_error(r, 404, 'Not shared with your project: %s.' % other)
    assert snapshot(api) == before
    r = api.post(ROOT + '/inbox/decisions', who='consumer',
                 body={'status': 'accepted', 'images': [shared_id]})
    assert_json_ok(r)
    assert r.json == {'results': [{'image_id': shared_id, 'status': 'accepted',
                                   'previous_status': 'pending',
                                   'result': 'changed'}]}
    r = api.post(ROOT + '/inbox/decisions', who='consumer',
                 body={'status': 'accepted', 'all_pending': True})
    assert r.json == {'results': []}
    r = api.post(ROOT + '/inbox/decisions', who='consumer',
                 body={'status': 'accepted', 'images': [shared_id]})
    assert r.json['results'][0]['result'] == 'unchanged'
    assert api.list_ids(who='consumer') == [shared_id]


@pytest.mark.parametrize('body', [
    {}, {'status': 'accepted'}, {'status': 'bogus', 'all_pending': True},
    {'status': 'accepted', 'images': []},
    {'status': 'accepted', 'images': ['a'], 'all_pending': True},
    {'status': 'accepted', 'all_pending': False},
    {'status': 'accepted', 'images': 'abc'},
    {'status': 'accepted', 'all_pending': True, 'extra': 1}, [], 'x'])
def test_decisions_bad_body_is_400_and_writes_nothing(api, shared_id, body):
    before = snapshot(api)
    r = api.post(ROOT + '/inbox/decisions', who='consumer', body=body)
    assert r.status_code == 400, r.data
    assert snapshot(api) == before


def test_leave_then_share_again_is_pending(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    r = api.delete(ROOT + '/inbox/' + shared_id, who='consumer')
    assert r.status_code == 204 and r.data == b''
    assert api.list_ids(who='consumer') == []
    assert api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                   who='producer').status_code == 404
    assert_error(api.delete(ROOT + '/inbox/' + shared_id, who='consumer'), 404,
                 'Image %s is not shared with your project.' % shared_id)
    assert api.add_member(shared_id, CONSUMER)['status'] == 'pending'


# --- trusted producers ----------------------------------------------------

def test_trust_accepts_pending_and_new_v2_shares(api, shared_id):
    r = api.put(ROOT + '/trusted-producers/' + PRODUCER, who='consumer',
                body={'accept_pending': True})
    assert_json_ok(r)
    assert list(r.json) == ['project_id', 'project_name', 'created_at',
                            'created', 'accepted']
    assert (r.json['project_id'], r.json['created'], r.json['accepted']) == (
        PRODUCER, True, [shared_id])
    image = api.create_image()['id']
    member = api.add_member(image, CONSUMER)
    assert member['status'] == 'accepted'
    assert list(member) == ['member_id', 'image_id', 'status', 'created_at',
                            'updated_at', 'schema']
    r = api.put(ROOT + '/trusted-producers/' + PRODUCER, who='consumer')
    assert (r.status_code, r.json['created'], r.json['accepted']) == (
        200, False, [])
    r = api.get(ROOT + '/trusted-producers', who='consumer')
    assert [t['project_id'] for t in r.json['trusted_producers']] == [
        PRODUCER]
    assert api.delete(ROOT + '/trusted-producers/' + PRODUCER,
                      who='consumer').status_code == 204
    assert_error(api.delete(ROOT + '/trusted-producers/' + PRODUCER,
                            who='consumer'), 404,
                 'Project %s is not a trusted producer of your project.'
                 % PRODUCER)
    assert api.add_member(image, CONSUMER2)['status'] == 'pending'


def test_trusts_page(api):
    for producer in ('p1', 'p2', 'p3'):
        api.put(ROOT + '/trusted-producers/' + producer, who='consumer')
    r = api.get(ROOT + '/trusted-producers?limit=2', who='consumer')
    assert [t['project_id'] for t in r.json['trusted_producers']] == [
        'p1', 'p2']
    r = api.get(r.json['next'], who='consumer')
    assert [t['project_id'] for t in r.json['trusted_producers']] == ['p3']


# --- batch ---------------------------------------------------------------

def test_batch_share_and_revoke_results(api, shared_id):
    other = api.create_image()['id']
    body = {'images': [shared_id, other], 'members': [CONSUMER, CONSUMER2],
            'expires_at': FUTURE}
    r = api.post(ROOT + '/shares', body=body)
    assert_json_ok(r)
    assert [(p['image_id'], p['member_id'], p['result'], p['expires_at'])
            for p in r.json['results']] == [
        (shared_id, CONSUMER, 'existing', None),
        (shared_id, CONSUMER2, 'created', FUTURE),
        (other, CONSUMER, 'created', FUTURE),
        (other, CONSUMER2, 'created', FUTURE)]
    before = snapshot(api)
    r = api.post(ROOT + '/shares', body=body)
    assert {p['result'] for p in r.json['results']} == {'existing'}
    assert snapshot(api) == before
    r = api.post(ROOT + '/shares/revoke', body={
        'images': [other], 'members': [CONSUMER, OUTSIDER]})
    assert [p['result'] for p in r.json['results']] == ['removed', 'absent']
    r = api.post(ROOT + '/shares', body={'images': [other],
                                         'members': [CONSUMER]})
    assert r.json['results'][0]['result'] == 'revived'


def test_batch_refusal_lists_every_failing_pair(api, shared_id):
    private = api.create_image(visibility='private')['id']
    before = snapshot(api)
    r = api.post(ROOT + '/shares', body={
        'images': [shared_id, private, RND], 'members': [CONSUMER2]})
    assert_error(
        r, 404, 'Nothing was shared. 2 failing pairs: %s / every member: '
        'Only shared images have members.; %s / every member: no such '
        'image' % (private, RND), failures=[
            {'image': private, 'member': None,
             'reason': 'Only shared images have members.'},
            {'image': RND, 'member': None, 'reason': 'no such image'}])
    assert snapshot(api) == before


def test_batch_quota_is_413_listing_pairs(make_api):
    api = make_api(image_member_quota=1)
    image = api.create_image()['id']
    before = snapshot(api)
    r = api.post(ROOT + '/shares', body={'images': [image],
                                         'members': [CONSUMER, CONSUMER2]})
    assert_error(
        r, 413, 'Nothing was shared. 1 failing pair: %s / %s: image member '
        'limit exceeded (attempted 2, maximum 1)' % (image, CONSUMER2),
        failures=[{'image': image, 'member': CONSUMER2,
                   'reason': 'image member limit exceeded (attempted 2, '
                             'maximum 1)'}])
    assert snapshot(api) == before


@pytest.mark.parametrize('body', [
    {}, {'images': [], 'members': ['a']}, {'images': ['a'], 'members': []},
    {'images': ['a'] * 101, 'members': ['a']},
    {'images': ['a'], 'members': ['m%d' % n for n in range(101)]},
    {'images': ['a'], 'members': [True]}, {'images': ['a'], 'members': ['']},
    {'images': ['a'], 'members': [{'name': 'x'}]},
    {'images': ['a'], 'members': ['x' * 256]},
    {'images': ['a'], 'members': ['a'], 'expires_at': 'tomorrow'},
    {'images': ['a'], 'members': ['a'], 'expires_at': '2001-01-01T00:00:00Z'},
    {'images': ['a'], 'members': ['a'], 'other': 1}])
def test_batch_bad_body_is_400(api, shared_id, body):
    body = {k: ([shared_id] if v == ['a'] and k == 'images' else v)
            for k, v in body.items()}
    before = snapshot(api)
    r = api.post(ROOT + '/shares', body=body)
    assert r.status_code == 400, r.data
    assert snapshot(api) == before


def test_batch_members_by_name_on_the_static_backend(api, shared_id):
    r = api.post(ROOT + '/shares', body={'images': [shared_id], 'members': [
        {'name': CONSUMER2, 'domain': 'Default'}]})
    assert_json_ok(r)
    assert r.json['results'][0]['member_id'] == CONSUMER2
    r = api.post(ROOT + '/shares', body={'images': [shared_id], 'members': [
        {'name': 'nobody', 'domain': 'Default'}]})
    assert_error(
        r, 400, 'Nothing was shared. 1 failing pair: every image / every '
        'member: No enabled project named nobody in domain Default.',
        failures=[{'image': None, 'member': None, 'reason':
                   'No enabled project named nobody in domain Default.'}])


def test_verify_members_on_v2_and_batch(make_api):
    api = make_api(**{'sharing.verify_members': True})
    image = api.create_image()['id']
    r = api.post('/v2/images/%s/members' % image, body={'member': 'typo'})
    conftest.assert_error(r, 400,
                          'Member typo is not an existing, enabled project.')
    r = api.post('/v2/images/%s/members' % image, who='outsider',
                 body={'member': 'typo'})
    assert r.status_code == 404
    assert api.add_member(image, CONSUMER)['status'] == 'pending'
    r = api.post(ROOT + '/shares', body={'images': [image],
                                         'members': ['typo', CONSUMER2]})
    assert_error(
        r, 400, 'Nothing was shared. 1 failing pair: every image / typo: '
        'Member typo is not an existing, enabled project.', failures=[
            {'image': None, 'member': 'typo', 'reason':
             'Member typo is not an existing, enabled project.'}])


def test_the_static_token_file_turns_the_recipient_check_on(make_api):
    """Unset (None), [sharing] verify_members is on with the static token
    file: it lists every project there is (the embedded default)."""
    api = make_api(**{'sharing.verify_members': None})
    image = api.create_image()['id']
    for typo in ('0' * 32, 'consumer', 'not a project!'):
        r = api.post('/v2/images/%s/members' % image, body={'member': typo})
        conftest.assert_error(
            r, 400, 'Member %s is not an existing, enabled project.' % typo)
    assert api.get('/v2/images/%s/members' % image).json['members'] == []
    assert api.add_member(image, CONSUMER)['status'] == 'pending'
    r = api.post(ROOT + '/shares', body={'images': [image],
                                         'members': ['typo', CONSUMER2]})
    assert r.status_code == 400, r.json


def test_the_identity_lookups_of_openstack_are_refused(make_api):
    """The embedded default has no Keystone: `openstack image add project`
    asks /identity/v3 (the README's OS_ENDPOINT) and is answered 403, as
    Keystone answers a non-admin, so it passes the project id on."""
    api = make_api(**{'sharing.verify_members': None})
    for path in ('/projects/' + CONSUMER, '/projects', '/domains/default',
                 '/domains', '/projects?name=consumer'):
        r = api.get('/identity/v3' + path)
        conftest.assert_error(r, 403, identity.NO_IDENTITY_SERVICE)
        r = api.get('/identity/v3' + path, who=None)
        assert r.status_code == 401
    r = api.post('/identity/v3/projects', body={'project': {}})
    assert r.status_code == 405
    assert api.get('/identity/v3/users').status_code == 404


# --- expiry ----------------------------------------------------------------

def _expire(api, image_id, member_id):
    """Move a membership's expiry into the past (no clock to wait on)."""
    database = api.client.application.extensions[
        'glance_members'].repo.database
    with database.bind_ctx(models.ALL_MODELS):
        models.ImageMember.update(
            expires_at=datetime.datetime(2000, 1, 1)).where(
            (models.ImageMember.image == image_id) &
            (models.ImageMember.member == member_id)).execute()


def test_expiry_set_clear_and_refusals(api, shared_id):
    url = ROOT + '/images/%s/members/%s' % (shared_id, CONSUMER)
    r = api.patch(url, changes={'expires_at': '2099-01-01T01:00:00+01:00'},
                  content_type='application/json')
    assert_json_ok(r)
    assert list(r.json) == SHARE_KEYS
    assert r.json['expires_at'] == FUTURE
    r = api.patch(url, changes={'expires_at': None},
                  content_type='application/json')
    assert r.json['expires_at'] is None
    assert_error(api.patch(url, changes={'expires_at': '2000-01-01T00:00:00Z'},
                           content_type='application/json'), 400,
                 'expires_at must be in the future (UTC), not '
                 '2000-01-01T00:00:00Z.')
    assert_error(api.patch(ROOT + '/images/%s/members/nobody' % shared_id,
                           changes={'expires_at': None},
                           content_type='application/json'), 404,
                 'nobody not found in the member list of the image %s.'
                 % shared_id)
    assert api.patch(url, changes={}, content_type='application/json'
                     ).status_code == 400


def test_expired_membership_is_gone_from_every_view(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    assert api.list_ids(who='consumer') == [shared_id]
    _expire(api, shared_id, CONSUMER)
    assert api.list_ids(who='consumer') == []
    assert api.list_ids(who='consumer', query='?member_status=all') == []
    for path in ('/v2/images/%s' % shared_id, '/v2/images/%s/file' % shared_id,
                 '/v2/images/%s/members/%s' % (shared_id, CONSUMER)):
        assert api.get(path, who='consumer').status_code == 404, path
    assert api.get('/v2/images/%s/members' % shared_id).json['members'] == []
    inbox = api.get(ROOT + '/inbox?status=all', who='consumer').json
    assert inbox['inbox'] == []
    assert inbox['counts'] == {'pending': 0, 'accepted': 0, 'rejected': 0}
    assert api.put('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                   who='consumer',
                   body={'status': 'accepted'}).status_code == 404
    # Shared again: revived as a new pending membership, no expiry.
    member = api.add_member(shared_id, CONSUMER)
    assert member['status'] == 'pending'
    events = [e['event'] for e in api.get(
        ROOT + '/images/%s/history' % shared_id).json['history']]
    assert events[:2] == ['created', 'expired']


# --- history ---------------------------------------------------------------

def test_history_rows_for_every_change(api, shared_id):
    api.set_status(shared_id, CONSUMER, 'accepted')
    api.add_member(shared_id, CONSUMER2)
    api.delete('/v2/images/%s/members/%s' % (shared_id, CONSUMER2))
    api.delete(ROOT + '/inbox/' + shared_id, who='consumer')
    r = api.get(ROOT + '/images/%s/history' % shared_id)
    assert_json_ok(r)
    rows = r.json['history']
    assert [(e['event'], e['member_id']) for e in rows] == [
        ('left', CONSUMER), ('removed', CONSUMER2), ('created', CONSUMER2),
        ('status_changed', CONSUMER), ('created', CONSUMER)]
    left = rows[0]
    assert list(left) == ['id', 'image_id', 'member_id', 'member_name',
                          'event', 'actor', 'request_id', 'created_at',
                          'before', 'after']
    assert left['actor'] == {'user_id': 'u-consumer', 'user_name': None,
                             'project_id': CONSUMER, 'project_name': None}
    assert left['before'] == {'status': 'accepted', 'expires_at': None}
    assert left['after'] is None
    assert left['request_id'].startswith('req-')
    r = api.get(ROOT + '/history?as=consumer', who='consumer2')
    assert [e['event'] for e in r.json['history']] == ['removed', 'created']
    r = api.get(ROOT + '/history?as=producer&limit=2')
    assert len(r.json['history']) == 2 and 'next' in r.json
    r = api.get(api.get(r.json['next']).json['next'])
    assert len(r.json['history']) == 1 and 'next' not in r.json


def test_history_of_a_member_is_its_own_rows(api, shared_id):
    api.add_member(shared_id, CONSUMER2)
    rows = api.get(ROOT + '/images/%s/history' % shared_id,
                   who='consumer').json['history']
    assert {e['member_id'] for e in rows} == {CONSUMER}
    assert_error(api.get(ROOT + '/history?as=both'), 400,
                 'Invalid request: as: Must be one of: producer, consumer.')


def test_image_delete_is_in_the_history(api, shared_id):
    api.delete('/v2/images/' + shared_id)
    rows = api.get(ROOT + '/history?as=consumer',
                   who='consumer').json['history']
    assert [e['event'] for e in rows] == ['removed', 'created']


# --- the Rackspace example policy on the new rules ---------------------------

RACKSPACE = {
    'rs-observer': ('cloudImages:observer',),
    'rs-creator': ('cloudImages:creator',),
    'rs-admin': ('cloudImages:admin',),
}
# persona (consumer project unless producer's): the code of each route.
RACKSPACE_RBAC = {
    ('rs-observer', CONSUMER): (200, 200, 200, 200, 403, 403, 403, 403, 403,
                                403, 403, 200, 403),
    ('rs-creator', CONSUMER): (200, 200, 200, 200, 403, 403, 403, 403, 403,
                               403, 403, 200, 200),
    ('rs-admin', CONSUMER): (200, 200, 200, 200, 403, 403, 200, 200, 204,
                             403, 204, 404, 200),
    ('rs-observer', PRODUCER): (200, 200, 200, 200, 403, 403, 403, 403, 403,
                                403, 403, 200, 403),
    ('rs-creator', PRODUCER): (200, 200, 200, 200, 200, 200, 403, 403, 403,
                               200, 403, 200, 200),
}


@pytest.mark.parametrize('who,project', sorted(RACKSPACE_RBAC))
def test_rackspace_policy_on_the_sharing_routes(make_api, who, project):
    import os
    import yaml
    from glance_members import policy
    from testbed import personas
    from tests.unit import test_policy_rackspace
    api = make_api()
    services = api.client.application.extensions['glance_members']
    services.authz = policy.Authorizer(test_policy_rackspace.rackspace_conf())
    tokens = personas.token_file_document()
    tokens['tok-rs'] = {'user_id': 'u-rs', 'project_id': project,
                        'roles': list(RACKSPACE[who])}
    creator = {'user_id': 'u-rs-owner', 'project_id': PRODUCER,
               'roles': ['cloudImages:creator']}
    tokens['tok-rs-owner'] = creator
    data_dir = services.conf.data_dir
    with open(os.path.join(data_dir, 'tokens.yaml'), 'w') as f:
        yaml.safe_dump(tokens, f)
    personas.PERSONAS['rs'] = ('tok-rs', tokens['tok-rs'])
    personas.PERSONAS['rs-owner'] = ('tok-rs-owner', creator)
    try:
        image = api.create_image(who='rs-owner')['id']
        api.add_member(image, CONSUMER, who='rs-owner')
        codes = []
        for name, method, path, body in routes(image):
            before = snapshot(api)
            kwargs = {} if body is None else {'body': body}
            r = api.call(method, path, who='rs', **kwargs)
            codes.append(r.status_code)
            if r.status_code >= 400:
                assert snapshot(api) == before, (name, r.data)
    finally:
        del personas.PERSONAS['rs'], personas.PERSONAS['rs-owner']
    assert dict(zip(ROUTE_NAMES, codes)) == dict(zip(
        ROUTE_NAMES, RACKSPACE_RBAC[who, project]))


def test_manage_purge_expired(api, shared_id, capsys):
    import sys
    from glance_members.cmd import manage
    api.add_member(shared_id, CONSUMER2)
    _expire(api, shared_id, CONSUMER)
    repo = api.client.application.extensions['glance_members'].repo
    args = manage.parse_args(['members', 'purge-expired'])
    assert manage.members_command(args, repo, sys.stdout) == 0
    assert capsys.readouterr().out == 'Purged 1 expired memberships.\n'
    assert manage.members_command(args, repo, sys.stdout) == 0
    assert capsys.readouterr().out == 'Purged 0 expired memberships.\n'
    rows = api.get(ROOT + '/images/%s/history' % shared_id).json['history']
    assert (rows[0]['event'], rows[0]['member_id'],
            rows[0]['actor']['user_id']) == (
        'expired', CONSUMER, 'glance-members-manage')
    assert [m['member_id'] for m in api.get(
        '/v2/images/%s/members' % shared_id).json['members']] == [CONSUMER2]


def test_names_beside_ids_from_the_token_file(make_api, named_personas):
    """The token file's project and user names in every answer a person
    reads (never in /v2 bodies); an id it does not know has none."""
    api = make_api()
    named_personas(api, {PRODUCER: 'producer', CONSUMER: 'consumer'})
    image = api.create_image()['id']
    api.add_member(image, CONSUMER)
    api.add_member(image, CONSUMER2)
    r = api.get(ROOT + '/inbox', who='consumer')
    assert [i['producer_name'] for i in r.json['inbox']] == ['producer']
    r = api.get(ROOT + '/images/%s/members' % image)
    assert_json_ok(r)
    assert [(m['member_id'], m['member_name']) for m in r.json['members']] \
        == [(CONSUMER, 'consumer'), (CONSUMER2, None)]
    entry = api.get(ROOT + '/images/%s/history' % image).json['history'][-1]
    assert (entry['member_name'], entry['actor']['user_name'],
            entry['actor']['project_name']) == (
        'consumer', 'producer', 'producer')
    api.call('PUT', ROOT + '/trusted-producers/' + PRODUCER,
             who='consumer', body={})
    r = api.get(ROOT + '/trusted-producers', who='consumer')
    assert r.json['trusted_producers'][0]['project_name'] == 'producer'
    r = api.get('/v2/images/%s/members' % image)
    assert 'member_name' not in r.get_data(as_text=True)


def test_members_with_their_expiry(api, shared_id):
    """The producer's read of its members with each share's expiry; a
    member sees its own row only, an outsider nothing (as /v2)."""
    api.add_member(shared_id, CONSUMER2)
    api.patch(ROOT + '/images/%s/members/%s' % (shared_id, CONSUMER2),
              changes={'expires_at': '2099-01-01T00:00:00Z'},
              content_type='application/json')
    r = api.get(ROOT + '/images/%s/members' % shared_id)
    assert_json_ok(r)
    assert [(m['member_id'], m['status'], m['expires_at'])
            for m in r.json['members']] == [
        (CONSUMER, 'pending', None),
        (CONSUMER2, 'pending', '2099-01-01T00:00:00Z')]
    assert list(r.json['members'][0]) == SHARE_KEYS + ['member_name']
    r = api.get(ROOT + '/images/%s/members' % shared_id, who='consumer')
    assert [m['member_id'] for m in r.json['members']] == [CONSUMER]
    assert_error(api.get(ROOT + '/images/%s/members' % shared_id,
                         who='outsider'),
                 404, 'Image %s not found.' % shared_id)
    assert_error(api.get(ROOT + '/images/%s/members' % RND), 404,
                 'Image %s not found.' % RND)


def test_whose_project_an_id_is(make_api, named_personas):
    """Before sharing: the token file's name of a project id, null when
    it gives none, 404 for an id no project has."""
    api = make_api()
    named_personas(api, {CONSUMER: 'consumer'})
    r = api.get(ROOT + '/projects/' + CONSUMER)
    assert_json_ok(r)
    assert r.json == {'id': CONSUMER, 'name': 'consumer'}
    assert api.get(ROOT + '/projects/' + CONSUMER2).json == {
        'id': CONSUMER2, 'name': None}
    assert_error(api.get(ROOT + '/projects/not%20a%20project!'), 404,
                 'No enabled project has the id not a project!.')
