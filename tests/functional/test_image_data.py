"""Image data: PUT/GET /v2/images/{id}/file, deactivate/reactivate, in-process.

Expected codes and texts are what a real Glance 33.0.0 answered to the same
requests (captured when these tests were written; the literals below are
those answers), read against Glance 33.0.0's glance/api/v2/image_data.py,
glance/api/v2/image_actions.py, glance/common/wsgi.py (Range) and
glance/domain/__init__.py (status transitions). Error bodies are WebOb's JSON
format (Accept: application/json).
"""

import hashlib
import io
import os

import pytest

from tests.functional.conftest import (
    CONSUMER, RND, assert_error)
from tests.support import glance_errors

OCTET = 'application/octet-stream'
HELLO_MD5 = '5d41402abc4b2a76b9719d911017c592'
HELLO_SHA512 = (
    '9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca7'
    '2323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043')
TEN = b'0123456789'
NOT_AUTHORIZED = 'You are not authorized to complete %s action.'
DEACTIVATED = ('The requested image has been deactivated. '
               'Image data download is forbidden.')


def _file(image_id):
    return '/v2/images/%s/file' % image_id


def _upload(api, image_id, data, who='producer', content_type=OCTET, **kw):
    return api.put(_file(image_id), who=who, data=data,
                   content_type=content_type, **kw)


def _put_stream(api, image_id, stream, content_length=None, chunked=True):
    """PUT /file with `stream` as wsgi.input, as gunicorn hands it over: a
    de-chunked, terminated stream (wsgi.input_terminated). The test client
    cannot frame chunks, and it computes CONTENT_LENGTH from its own input
    stream, so the environ is set directly."""
    headers = {'X-Auth-Token': 'tok-producer', 'Content-Type': OCTET,
               'Accept': 'application/json'}
    if chunked:
        headers['Transfer-Encoding'] = 'chunked'
    environ = {'wsgi.input': stream, 'wsgi.input_terminated': True,
               'CONTENT_LENGTH': '' if content_length is None
               else str(content_length)}
    return api.client.put(_file(image_id), headers=headers,
                          environ_overrides=environ)


def _uploaded(api, data, **fields):
    image = api.create_image(**fields)
    r = _upload(api, image['id'], data)
    assert r.status_code == 204, r.data
    return image['id']


def _image(api, image_id, who='producer'):
    r = api.get('/v2/images/%s' % image_id, who=who)
    assert r.status_code == 200, r.data
    return r.json


def _action(api, image_id, action, who='producer'):
    return api.post('/v2/images/%s/actions/%s' % (image_id, action), who=who)


@pytest.fixture
def images_dir(tmp_path):
    """The filesystem store's directory of the `api` fixture's app."""
    return tmp_path / 'data' / 'images'


def _files_in(path):
    return sorted(os.listdir(path)) if os.path.isdir(path) else []


# --- upload -----------------------------------------------------------------

def test_upload_204_then_active_with_hashes(api, images_dir):
    image = api.create_image(name='data')
    assert image['status'] == 'queued'
    for key in ('size', 'virtual_size', 'checksum', 'os_hash_algo',
                'os_hash_value'):
        assert image[key] is None
    r = _upload(api, image['id'], b'hello')
    assert r.status_code == 204
    assert r.data == b''
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    shown = _image(api, image['id'])
    assert shown['status'] == 'active'
    assert shown['size'] == 5
    assert shown['virtual_size'] == 5  # raw: as in the Glance capture
    assert shown['checksum'] == HELLO_MD5
    assert shown['os_hash_algo'] == 'sha512'
    assert shown['os_hash_value'] == HELLO_SHA512
    # the filesystem store keeps one file named after the image
    assert _files_in(images_dir) == [image['id']]
    assert (images_dir / image['id']).read_bytes() == b'hello'


def test_image_json_carries_data_fields_everywhere(api):
    data = os.urandom(70000)
    image_id = _uploaded(api, data)
    expected = {'size': len(data), 'virtual_size': len(data),
                'checksum': hashlib.md5(data).hexdigest(),
                'os_hash_algo': 'sha512',
                'os_hash_value': hashlib.sha512(data).hexdigest()}
    shown = _image(api, image_id)
    listed = [i for i in api.get('/v2/images').json['images']
              if i['id'] == image_id][0]
    patched = api.patch('/v2/images/%s' % image_id, changes=[
        {'op': 'replace', 'path': '/name', 'value': 'renamed'}]).json
    for body in (shown, listed, patched):
        assert {k: body[k] for k in expected} == expected


def test_chunked_upload(api):
    """Transfer-Encoding: chunked, as `glance image-upload` sends it. The
    test client cannot frame chunks; gunicorn hands the app a de-chunked,
    terminated stream (wsgi.input_terminated), which is what we emulate."""
    image = api.create_image()
    data = b''.join(os.urandom(1000) for _ in range(300))
    r = _put_stream(api, image['id'], io.BytesIO(data))
    assert r.status_code == 204, r.data
    shown = _image(api, image['id'])
    assert shown['status'] == 'active'
    assert shown['size'] == len(data)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    assert api.get(_file(image['id'])).data == data


def test_upload_to_image_with_data_is_409(api):
    image_id = _uploaded(api, b'hello')
    r = _upload(api, image_id, b'hello')
    assert_error(r, 409, 'Image status transition from active to saving is '
                         'not allowed')
    assert _image(api, image_id)['checksum'] == HELLO_MD5


def test_upload_to_deactivated_image_is_409(api):
    image_id = _uploaded(api, b'hello')
    assert _action(api, image_id, 'deactivate').status_code == 204
    r = _upload(api, image_id, b'other')
    assert_error(r, 409, 'Image status transition from deactivated to saving '
                         'is not allowed')


def test_upload_wrong_content_type_is_415(api):
    image = api.create_image()
    r = _upload(api, image['id'], b'{"a":1}', content_type='application/json')
    assert r.status_code == 415
    assert r.get_data(as_text=True) == glance_errors.json_error(
        415, 'The request media type application/json is not supported by '
             'this server.\n<br /><br />\nInvalid content type '
             'application/json', raw=True)
    assert _image(api, image['id'])['status'] == 'queued'


def test_upload_missing_content_type_is_415(api):
    image = api.create_image()
    r = _upload(api, image['id'], b'abc', content_type=None)
    assert r.status_code == 415
    assert r.get_data(as_text=True) == glance_errors.json_error(
        415, 'The request media type ${CONTENT_TYPE} is not supported by '
             'this server.\n<br /><br />\nInvalid content type None',
        raw=True)
    assert _image(api, image['id'])['status'] == 'queued'


@pytest.mark.parametrize('who', ['outsider', 'consumer'])
def test_upload_to_invisible_image_is_404(api, private, who):
    r = _upload(api, private, b'abc', who=who)
    assert_error(r, 404, 'No image found with ID %s' % private)


def test_upload_to_unknown_image_is_404(api):
    assert_error(_upload(api, RND, b'abc'), 404,
                 'No image found with ID %s' % RND)


@pytest.mark.parametrize('member_status', ['pending', 'accepted'])
def test_consumer_may_not_upload(api, shared_id, member_status, images_dir):
    if member_status == 'accepted':
        api.set_status(shared_id, CONSUMER, 'accepted')
    r = _upload(api, shared_id, b'abc', who='consumer')
    assert_error(r, 403, NOT_AUTHORIZED % 'upload_image')
    assert _image(api, shared_id)['status'] == 'queued'
    assert _files_in(images_dir) == []


def test_producer_reader_may_not_upload(api):
    image = api.create_image()
    r = _upload(api, image['id'], b'abc', who='producer_reader')
    assert_error(r, 403, NOT_AUTHORIZED % 'upload_image')


def test_admin_may_upload_to_producers_image(api):
    image = api.create_image()
    assert _upload(api, image['id'], b'hello', who='admin').status_code == 204
    assert _image(api, image['id'])['checksum'] == HELLO_MD5


def test_size_cap_413_leaves_queued_and_no_file(tmp_path, make_api):
    api = make_api(image_size_cap=1000)
    images_dir = tmp_path / 'data-0' / 'images'
    image = api.create_image()
    r = _upload(api, image['id'], b'x' * 1001)
    assert r.status_code == 413, r.data
    assert r.headers['Content-Type'] == 'application/json'
    shown = _image(api, image['id'])
    assert shown['status'] == 'queued'
    assert shown['size'] is None and shown['checksum'] is None
    assert _files_in(images_dir) == []
    # exactly the cap is allowed, and the image is usable afterwards
    assert _upload(api, image['id'], b'y' * 1000).status_code == 204
    shown = _image(api, image['id'])
    assert shown['status'] == 'active' and shown['size'] == 1000
    assert _files_in(images_dir) == [image['id']]


def test_size_cap_413_chunked_leaves_queued_and_no_file(tmp_path, make_api):
    api = make_api(image_size_cap=1000)
    images_dir = tmp_path / 'data-0' / 'images'
    image = api.create_image()
    r = _put_stream(api, image['id'], io.BytesIO(b'z' * 5000))
    assert r.status_code == 413, r.data
    assert _image(api, image['id'])['status'] == 'queued'
    assert _files_in(images_dir) == []


def test_size_cap_413_text_is_glances(make_api):
    api = make_api(image_size_cap=1000)
    image = api.create_image()
    r = _upload(api, image['id'], b'x' * 1001)
    assert_error(r, 413, 'The incoming image is too large: The provided '
                         'image is too large.')


class _AbortingStream:
    """A request body whose read raises after `after` bytes, as gunicorn's
    sync worker does when its timeout (120 s) fires mid-request: the
    SIGABRT handler raises SystemExit(1) inside sock.recv."""

    def __init__(self, after, exc):
        self.left = after
        self.exc = exc

    def read(self, size=-1):
        if self.left <= 0:
            raise self.exc
        n = min(self.left, 65536 if size is None or size < 0 else size)
        self.left -= n
        return b'a' * n


def test_upload_aborted_by_worker_timeout_leaves_no_file(api, images_dir):
    image = api.create_image()
    with pytest.raises(SystemExit):
        _put_stream(api, image['id'], _AbortingStream(300000,
                                                      SystemExit(1)))
    assert _image(api, image['id'])['status'] == 'queued'
    assert _files_in(images_dir) == []
    assert _upload(api, image['id'], b'hello').status_code == 204


def test_upload_read_error_restores_queued_and_no_file(api, images_dir):
    image = api.create_image()
    r = _put_stream(api, image['id'], _AbortingStream(
        300000, IOError('connection reset')))
    assert r.status_code == 400, r.data
    assert _image(api, image['id'])['status'] == 'queued'
    assert _files_in(images_dir) == []
    assert _upload(api, image['id'], b'hello').status_code == 204


def test_upload_shorter_than_content_length_is_not_stored(api, images_dir):
    image = api.create_image()
    r = _put_stream(api, image['id'], io.BytesIO(b'h' * 500),
                    content_length=1000, chunked=False)
    assert r.status_code != 204
    assert _image(api, image['id'])['status'] == 'queued'
    assert _files_in(images_dir) == []


# --- download ---------------------------------------------------------------

def test_download_of_image_without_data_is_204_no_content_type(api, shared_id):
    for who in ('producer', 'consumer'):
        r = api.get(_file(shared_id), who=who)
        assert r.status_code == 204
        assert r.data == b''
        assert 'Content-Type' not in r.headers


def test_download_200_headers_and_bytes(api):
    image_id = _uploaded(api, b'hello')
    r = api.get(_file(image_id), accept=None)
    assert r.status_code == 200
    assert r.headers['Content-Type'] == OCTET
    assert r.headers['Content-Length'] == '5'
    assert r.headers['Content-MD5'] == HELLO_MD5
    assert 'Content-Range' not in r.headers
    assert r.data == b'hello'


@pytest.mark.parametrize('header,status,body,content_range', [
    ('bytes=2-5', 206, b'2345', 'bytes 2-5/10'),
    ('bytes=0-0', 206, b'0', 'bytes 0-0/10'),
    ('bytes=7-', 206, b'789', 'bytes 7-9/10'),
    ('bytes=0-', 206, TEN, 'bytes 0-9/10'),
    ('bytes=-3', 206, b'789', 'bytes 7-9/10'),
    ('bytes=-10', 206, TEN, 'bytes 0-9/10'),
    ('bytes=-50', 206, TEN, 'bytes 0-9/10'),   # suffix longer than image
    ('bytes=8-99', 206, b'89', 'bytes 8-9/10'),  # end past the end
    ('bytes=9-9', 206, b'9', 'bytes 9-9/10'),
])
def test_download_range(api, header, status, body, content_range):
    image_id = _uploaded(api, TEN)
    r = api.get(_file(image_id), headers={'Range': header})
    assert r.status_code == status, r.data
    assert r.data == body
    assert r.headers['Content-Type'] == OCTET
    assert r.headers['Content-Length'] == str(len(body))
    assert r.headers['Content-Range'] == content_range
    assert r.headers['Content-MD5'] == hashlib.md5(TEN).hexdigest()


@pytest.mark.parametrize('header', ['bytes=10-', 'bytes=10-20',
                                    'bytes=99-'])
def test_download_range_start_past_end_is_416(api, header):
    image_id = _uploaded(api, TEN)
    r = api.get(_file(image_id), headers={'Range': header})
    assert r.status_code == 416
    assert r.get_data(as_text=True) == glance_errors.json_error(
        416, glance_errors.RANGE,
        'Invalid start position in Range header. Start position MUST be in '
        'the inclusive range [0, 9].')


def test_download_malformed_range_is_416(api):
    image_id = _uploaded(api, TEN)
    r = api.get(_file(image_id), headers={'Range': 'bytes=5-2'})
    assert r.status_code == 416
    assert 'Invalid Range header.' in r.get_data(as_text=True)


def test_download_multiple_ranges_is_400(api):
    image_id = _uploaded(api, TEN)
    r = api.get(_file(image_id), headers={'Range': 'bytes=0-1,4-5'})
    assert_error(r, 400, 'Requests with multiple ranges are not supported in '
                         'Glance. You may make multiple single-range '
                         'requests instead.')


def test_download_content_range_request_header_is_honoured(api):
    image_id = _uploaded(api, TEN)
    r = api.get(_file(image_id), headers={'Content-Range': 'bytes 2-4/*'})
    assert r.status_code == 206
    assert r.data == b'234'
    assert r.headers['Content-Range'] == 'bytes 2-4/10'


@pytest.mark.parametrize('member_status', ['pending', 'accepted', 'rejected'])
def test_consumer_downloads_producers_bytes_in_any_member_status(
        api, member_status):
    data = os.urandom(200 * 1024 + 7)
    image = api.create_image()
    api.add_member(image['id'], CONSUMER)
    assert _upload(api, image['id'], data).status_code == 204
    if member_status != 'pending':
        api.set_status(image['id'], CONSUMER, member_status)
    for who in ('consumer', 'consumer_colleague'):
        r = api.get(_file(image['id']), who=who)
        assert r.status_code == 200
        assert r.data == data
        assert r.headers['Content-MD5'] == hashlib.md5(data).hexdigest()


def test_non_member_cannot_download(api):
    image_id = _uploaded(api, b'hello')  # shared, no members
    for who in ('outsider', 'consumer'):
        assert_error(api.get(_file(image_id), who=who), 404,
                     'No image found with ID %s' % image_id)


def test_removed_member_gets_404_on_next_request(api):
    image_id = _uploaded(api, b'hello')
    api.add_member(image_id, CONSUMER)
    api.set_status(image_id, CONSUMER, 'accepted')
    assert api.get(_file(image_id), who='consumer').data == b'hello'
    r = api.delete('/v2/images/%s/members/%s' % (image_id, CONSUMER))
    assert r.status_code == 204
    assert_error(api.get(_file(image_id), who='consumer'), 404,
                 'No image found with ID %s' % image_id)
    assert_error(api.get(_file(image_id), who='consumer',
                         headers={'Range': 'bytes=0-1'}), 404,
                 'No image found with ID %s' % image_id)


def test_image_made_private_gets_consumer_404(api):
    image_id = _uploaded(api, b'hello')
    api.add_member(image_id, CONSUMER)
    api.set_status(image_id, CONSUMER, 'accepted')
    assert api.get(_file(image_id), who='consumer').status_code == 200
    api.set_visibility(image_id, 'private')
    assert_error(api.get(_file(image_id), who='consumer'), 404,
                 'No image found with ID %s' % image_id)


def test_reader_only_consumer_gets_403_on_download(api):
    """download_image is Glance's ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE:
    'role:member and (...)'; a reader passes get_image (so 403, not 404)."""
    from glance_members.policy import base
    assert base.ADMIN_OR_PROJECT_MEMBER_DOWNLOAD_IMAGE == (
        "rule:context_is_admin or (role:member and (project_id:%(project_id)s"
        " or project_id:%(member_id)s or 'community':%(visibility)s or "
        "'public':%(visibility)s or 'shared':%(visibility)s))")
    image_id = _uploaded(api, b'hello')
    api.add_member(image_id, CONSUMER)
    api.set_status(image_id, CONSUMER, 'accepted')
    assert api.get('/v2/images/%s' % image_id,
                   who='consumer_reader').status_code == 200
    assert_error(api.get(_file(image_id), who='consumer_reader'), 403,
                 NOT_AUTHORIZED % 'download_image')
    assert_error(api.get(_file(image_id), who='producer_reader'), 403,
                 NOT_AUTHORIZED % 'download_image')


def test_download_when_store_lost_the_file_is_204(api, images_dir):
    """Glance turns glance_store.NotFound into 204 No Content."""
    image_id = _uploaded(api, b'hello')
    os.remove(str(images_dir / image_id))
    r = api.get(_file(image_id))
    assert r.status_code == 204
    assert r.data == b''


def test_admin_downloads_any_image(api, private):
    assert _upload(api, private, b'hello').status_code == 204
    assert api.get(_file(private), who='admin').data == b'hello'


# --- deactivate / reactivate -------------------------------------------------

def test_deactivate_reactivate_cycle(api):
    image_id = _uploaded(api, b'hello')
    api.add_member(image_id, CONSUMER)
    api.set_status(image_id, CONSUMER, 'accepted')
    r = _action(api, image_id, 'deactivate')
    assert r.status_code == 204 and r.data == b''
    assert r.headers['Content-Type'] == 'text/html; charset=UTF-8'
    assert _image(api, image_id)['status'] == 'deactivated'
    # metadata stays visible to the same people
    shown = _image(api, image_id, who='consumer')
    assert shown['status'] == 'deactivated'
    assert shown['checksum'] == HELLO_MD5
    assert image_id in api.list_ids(who='consumer')
    # data is forbidden to every non-admin, owner included
    for who in ('producer', 'consumer'):
        assert_error(api.get(_file(image_id), who=who), 403, DEACTIVATED)
    assert api.get(_file(image_id), who='admin').data == b'hello'
    # deactivating again is a no-op
    assert _action(api, image_id, 'deactivate').status_code == 204
    r = _action(api, image_id, 'reactivate')
    assert r.status_code == 204 and r.data == b''
    assert _image(api, image_id)['status'] == 'active'
    assert api.get(_file(image_id), who='consumer').data == b'hello'


def test_reactivate_of_active_image_is_noop_204(api):
    image_id = _uploaded(api, b'hello')
    r = _action(api, image_id, 'reactivate')
    assert r.status_code == 204 and r.data == b''
    assert _image(api, image_id)['status'] == 'active'


@pytest.mark.parametrize('member_status', ['pending', 'accepted'])
def test_consumer_may_not_deactivate_or_reactivate(api, member_status):
    image_id = _uploaded(api, b'hello')
    api.add_member(image_id, CONSUMER)
    if member_status == 'accepted':
        api.set_status(image_id, CONSUMER, 'accepted')
    assert_error(_action(api, image_id, 'deactivate', who='consumer'), 403,
                 NOT_AUTHORIZED % 'deactivate')
    assert _image(api, image_id)['status'] == 'active'
    assert _action(api, image_id, 'deactivate').status_code == 204
    assert_error(_action(api, image_id, 'reactivate', who='consumer'), 403,
                 NOT_AUTHORIZED % 'reactivate')
    assert _image(api, image_id)['status'] == 'deactivated'


def test_producer_reader_may_not_deactivate(api):
    image_id = _uploaded(api, b'hello')
    assert_error(_action(api, image_id, 'deactivate', who='producer_reader'),
                 403, NOT_AUTHORIZED % 'deactivate')


def test_outsider_deactivate_reactivate_is_404(api):
    image_id = _uploaded(api, b'hello')
    for action in ('deactivate', 'reactivate'):
        assert_error(_action(api, image_id, action, who='outsider'), 404,
                     'No image found with ID %s' % image_id)
    assert_error(_action(api, RND, 'deactivate'), 404,
                 'No image found with ID %s' % RND)


def test_admin_may_deactivate_and_reactivate(api):
    image_id = _uploaded(api, b'hello')
    assert _action(api, image_id, 'deactivate', who='admin').status_code == 204
    assert _action(api, image_id, 'reactivate', who='admin').status_code == 204
    assert _image(api, image_id)['status'] == 'active'


@pytest.mark.parametrize('action', ['deactivate', 'reactivate'])
def test_status_action_on_queued_image_is_403(api, action):
    image = api.create_image()
    assert_error(_action(api, image['id'], action), 403,
                 "Not allowed to %s image in status 'queued'" % action)
    assert _image(api, image['id'])['status'] == 'queued'


# --- delete ------------------------------------------------------------------

def test_image_delete_removes_its_data(api, images_dir):
    keep = _uploaded(api, b'keep me')
    image_id = _uploaded(api, b'hello')
    assert _files_in(images_dir) == sorted([keep, image_id])
    r = api.delete('/v2/images/%s' % image_id)
    assert r.status_code == 204
    assert _files_in(images_dir) == [keep]
    assert api.get(_file(image_id)).status_code == 404


def test_deleting_deactivated_image_removes_its_data(api, images_dir):
    image_id = _uploaded(api, b'hello')
    assert _action(api, image_id, 'deactivate').status_code == 204
    assert api.delete('/v2/images/%s' % image_id).status_code == 204
    assert _files_in(images_dir) == []
