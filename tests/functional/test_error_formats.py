"""Contract §3.7 and the captures' section a/b/c/m: WebOb picks the error
body format from Accept over [text/html, application/json, text/plain]
(default text/plain). Bodies compared byte for byte with the captures."""


import pytest

from tests.functional.conftest import assert_error
from tests.functional.conftest import CONSUMER
from tests.functional.conftest import NOT_AUTHENTICATED
from tests.functional.conftest import REQUEST_ID
from tests.functional.conftest import RND
from tests.support import glance_errors

NO_IMAGE = 'No image found with ID %s' % RND


# Accept header -> the format WebOb chose for real Glance (section a, m).
ACCEPT_TABLE = [
    ('application/json', 'json'),
    ('*/*', 'html'),
    (None, 'text'),
    ('text/plain', 'text'),
    ('application/xml', 'text'),
    ('text/html', 'html'),
    ('application/json;q=0.1, text/html', 'html'),
    ('text/html;q=0.1, application/json', 'json'),
    ('application/*', 'json'),
    ('text/*', 'html'),
    ('*/*;q=0.5, application/json', 'json'),
    ('application/json, text/plain', 'json'),
    ('text/plain, application/json', 'json'),
    ('APPLICATION/JSON', 'json'),
    ('application/json; charset=utf-8', 'text'),
    ('foo', 'html'),
]


@pytest.mark.parametrize('accept,fmt', ACCEPT_TABLE)
def test_404_image_show_format_follows_accept(api, accept, fmt):
    r = api.get('/v2/images/%s' % RND, accept=accept)
    assert_error(r, 404, NO_IMAGE, fmt=fmt)


def test_404_verbatim_bodies(api):
    """The three captured byte strings, spelled out once."""
    r = api.get('/v2/images/%s' % RND, accept='application/json')
    assert r.data == (
        b'{"message": "No image found with ID 0b5c8e4e-2f43-4a36-9d6e-'
        b'6f1bb2c3d111<br /><br />\\n\\n\\n", "code": "404 Not Found", '
        b'"title": "Not Found"}')
    assert len(r.data) == 139
    r = api.get('/v2/images/%s' % RND, accept='*/*')
    assert r.data == (
        b'<html>\n <head>\n  <title>404 Not Found</title>\n </head>\n <body>'
        b'\n  <h1>404 Not Found</h1>\n  No image found with ID 0b5c8e4e-2f43-'
        b'4a36-9d6e-6f1bb2c3d111<br /><br />\n\n\n\n </body>\n</html>')
    assert len(r.data) == 181
    r = api.get('/v2/images/%s' % RND, accept=None)
    assert r.data == (b'404 Not Found\n\nNo image found with ID 0b5c8e4e-'
                      b'2f43-4a36-9d6e-6f1bb2c3d111\n\n   ')
    assert len(r.data) == 79


@pytest.mark.parametrize('accept,fmt', [('application/json', 'json'),
                                        ('*/*', 'html'), (None, 'text'),
                                        ('text/plain', 'text')])
def test_403_member_create_on_private_image(api, private, accept, fmt):
    r = api.post('/v2/images/%s/members' % private, accept=accept,
                 body={'member': CONSUMER})
    assert_error(r, 403, 'Not allowed to create members for image %s.'
                 % private, fmt=fmt)


@pytest.mark.parametrize('accept,fmt', [('application/json', 'json'),
                                        ('*/*', 'html'), (None, 'text'),
                                        ('text/plain', 'text')])
def test_409_duplicate_member(api, shared_id, accept, fmt):
    r = api.post('/v2/images/%s/members' % shared_id, accept=accept,
                 body={'member': CONSUMER})
    assert_error(r, 409, 'Member %s is duplicated for image %s'
                 % (CONSUMER, shared_id), fmt=fmt)


@pytest.mark.parametrize('accept,fmt', [('application/json', 'json'),
                                        ('*/*', 'html'), (None, 'text'),
                                        ('text/plain', 'text')])
def test_400_member_create_without_member_key(api, shared_id, accept, fmt):
    r = api.post('/v2/images/%s/members' % shared_id, accept=accept, body={})
    assert_error(r, 400, 'Member to be added not specified', fmt=fmt)


@pytest.mark.parametrize('accept,fmt', [('application/json', 'json'),
                                        ('*/*', 'html'), (None, 'text'),
                                        ('text/plain', 'text')])
def test_400_bad_status_quotes_are_escaped_per_format(api, shared_id, accept,
                                                      fmt):
    r = api.put('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                who='consumer', accept=accept, body={'status': 'bogus'})
    assert_error(r, 400, 'Incorrect request: Status must be "pending", '
                 '"accepted" or "rejected".', fmt=fmt)


def test_400_bad_status_html_verbatim(api, shared_id):
    r = api.put('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                who='consumer', accept='*/*', body={'status': 'bogus'})
    assert r.data == (
        b'<html>\n <head>\n  <title>400 Bad Request</title>\n </head>\n'
        b' <body>\n  <h1>400 Bad Request</h1>\n  Incorrect request: Status '
        b'must be &quot;pending&quot;, &quot;accepted&quot; or &quot;rejected'
        b'&quot;.<br /><br />\n\n\n\n </body>\n</html>')
    r = api.put('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                who='consumer', accept=None, body={'status': 'bogus'})
    assert r.data == (b'400 Bad Request\n\nIncorrect request: Status must be '
                      b'"pending", "accepted" or "rejected".\n\n   ')


@pytest.mark.parametrize('token', [None, 'garbage'])
@pytest.mark.parametrize('accept,fmt', [('application/json', 'json'),
                                        ('*/*', 'html'), (None, 'text'),
                                        ('text/plain', 'text')])
def test_401_format_follows_accept_and_has_a_request_id(api, token, accept,
                                                        fmt):
    # Glance sends no request id on a 401; we send one on every response
    # so that operators can follow any request (issue: logs and ids).
    headers = {'X-Auth-Token': token} if token else {}
    r = api.get('/v2/images', who=None, accept=accept, headers=headers)
    assert_error(r, 401, NOT_AUTHENTICATED, fmt=fmt)


@pytest.mark.parametrize('method,path', [
    ('POST', '/v2/images/%s/members' % RND),
    ('GET', '/v2/nothing'),
    ('GET', '/v2/schemas/member'),
    ('PATCH', '/v2/images/%s/members' % RND),
])
def test_401_comes_before_routing_and_body_parsing(api, method, path):
    r = api.call(method, path, who=None, data='garbage',
                 content_type='application/json')
    assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)


def _405_json(method):
    return glance_errors.json_error(
        405, glance_errors.METHOD_NOT_ALLOWED % method, raw=True)


def test_405_json(api, shared_id):
    r = api.call('PATCH', '/v2/images/%s/members' % shared_id)
    assert r.status_code == 405
    assert r.headers['Allow'] == 'GET, POST'
    assert r.headers['Content-Type'] == 'application/json'
    assert r.get_data(as_text=True) == _405_json('PATCH')
    assert REQUEST_ID.match(r.headers['x-openstack-request-id'])


def test_405_html(api, shared_id):
    r = api.call('PATCH', '/v2/images/%s/members' % shared_id, accept='*/*')
    assert r.status_code == 405
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert r.get_data(as_text=True) == (
        '<html>\n <head>\n  <title>405 Method Not Allowed</title>\n </head>\n'
        ' <body>\n  <h1>405 Method Not Allowed</h1>\n  The method PATCH is '
        'not allowed for this resource. <br /><br />\n\n </body>\n</html>')


def test_405_text(api, shared_id):
    r = api.call('PATCH', '/v2/images/%s/members' % shared_id, accept=None)
    assert r.status_code == 405
    assert r.headers['Content-Type'] == 'text/plain; charset=UTF-8'
    assert r.get_data(as_text=True) == (
        '405 Method Not Allowed\n\nThe method PATCH is not allowed for this '
        'resource. \n\n ')


def test_405_without_token_is_401(api, shared_id):
    r = api.call('PATCH', '/v2/images/%s/members' % shared_id, who=None)
    assert_error(r, 401, NOT_AUTHENTICATED, request_id=False)


@pytest.mark.parametrize('accept', ['text/plain', 'application/xml', '*/*',
                                    None])
def test_success_bodies_are_json_whatever_the_accept(api, shared_id, accept):
    r = api.get('/v2/images/%s/members/%s' % (shared_id, CONSUMER),
                accept=accept)
    assert r.status_code == 200
    assert r.headers['Content-Type'] == 'application/json'
    assert r.json['member_id'] == CONSUMER


def test_json_error_keeps_non_ascii_member_id(api, shared_id):
    # Deliberate difference: Glance decodes path segments as latin-1 and so
    # answers about "\u00c3\u00a9"; we decode UTF-8, as the client meant.
    r = api.get('/v2/images/%s/members/%%C3%%A9' % shared_id)
    assert r.status_code == 404
    assert r.headers['Content-Type'] == 'application/json'
    assert r.get_data(as_text=True) == glance_errors.json_error(
        404,
        '\u00e9 not found in the member list of the image %s.' % shared_id)


def test_unknown_route_404(api):
    r = api.get('/v2/nothing')
    assert_error(r, 404, 'The resource could not be found.')


def test_request_id_is_generated(api):
    ids = {api.get('/v2/images').headers['x-openstack-request-id']
           for _ in range(3)}
    assert len(ids) == 3
    assert all(REQUEST_ID.match(i) for i in ids)


@pytest.mark.parametrize('given,echoed', [
    ('req-11111111-2222-3333-4444-555555555555',
     'req-11111111-2222-3333-4444-555555555555'),
    ('bogus', 'req-bogus'),
    ('REQ-abc', 'req-REQ-abc'),
])
def test_client_request_id_is_echoed(api, given, echoed):
    r = api.get('/v2/images/%s' % RND,
                headers={'X-Openstack-Request-Id': given})
    assert r.status_code == 404
    assert r.headers['x-openstack-request-id'] == echoed


def test_overlong_client_request_id_is_never_500(api):
    # Glance answers 500 here; we never answer 500.
    r = api.get('/v2/images/%s' % RND,
                headers={'X-Openstack-Request-Id': 'x' * 65})
    assert r.status_code < 500
