"""Request bodies read correctly whatever the server (issue 22, point 2):
the application reads until the declared length or the end of a chunked
stream however many pieces the server's wsgi.input hands it, enforces
max_request_body_size on what it read (413), and turns every body error
(short body, broken chunk or client gone, time-out) into a Glance-shaped
400 or 408 with nothing written. Content-Length with Transfer-Encoding is
refused (400, connection closed).

The wsgi.input here is a stream of our own that behaves as a socket does:
short reads, then an end, an error or a time-out.
"""

import json

import werkzeug.test

from testbed import personas
from tests.functional.conftest import assert_error

IMAGE = dict({'name': 'x' * 200, 'disk_format': 'raw',
              'container_format': 'bare',
              'tags': ['t%03d' % i for i in range(100)]},
             **{'p%02d' % i: 'v' * 40 for i in range(40)})


class SocketLike:
    """Hands out `data` at most `piece` bytes per read, then `then`: None
    (the end), or an exception to raise (client gone, time-out)."""

    def __init__(self, data, piece=1, then=None):
        self.data, self.piece, self.then = data, piece, then

    def read(self, size=-1):
        if not self.data:
            if self.then is not None:
                raise self.then
            return b''
        n = self.piece if size is None or size < 0 else min(size, self.piece)
        out, self.data = self.data[:n], self.data[n:]
        return out

    def readline(self, size=-1):
        return self.read(size)


def send(app, method, path, stream, length=None, chunked=False,
         content_type='application/json', who='producer'):
    environ = werkzeug.test.EnvironBuilder(
        path=path, method=method, headers={
            'X-Auth-Token': personas.token(who), 'Accept': 'application/json',
            'Content-Type': content_type}).get_environ()
    environ['wsgi.input'] = stream
    environ.pop('CONTENT_LENGTH', None)
    if length is not None:
        environ['CONTENT_LENGTH'] = str(length)
    if chunked:
        # As a server hands over a chunked request: de-chunked, no length.
        environ['HTTP_TRANSFER_ENCODING'] = 'chunked'
    return werkzeug.test.run_wsgi_app(app, environ, buffered=True)


def response(result):
    app_iter, status, headers = result
    return int(status.split()[0]), headers, b''.join(app_iter)


def image_count(api):
    return len(api.list_ids())


def test_a_json_body_in_one_byte_pieces_is_read_whole(app, api):
    body = json.dumps(IMAGE).encode()
    assert len(body) > 1448
    status, _, answer = response(send(app, 'POST', '/v2/images',
                                      SocketLike(body), len(body)))
    assert status == 201, answer
    assert json.loads(answer)['name'] == IMAGE['name']


def test_a_chunked_json_body_is_read_to_its_end(app, api):
    body = json.dumps(IMAGE).encode()
    status, _, answer = response(send(app, 'POST', '/v2/images',
                                      SocketLike(body, piece=700),
                                      chunked=True))
    assert status == 201, answer


def test_the_size_limit_applies_to_what_is_read(app, api):
    body = json.dumps({'name': 'x', 'padding': 'p' * 70000}).encode()
    status, _, answer = response(send(app, 'POST', '/v2/images',
                                      SocketLike(body, piece=1448),
                                      chunked=True))
    assert status == 413, answer
    assert image_count(api) == 0


def test_a_body_shorter_than_its_length_is_400_nothing_written(app, api):
    body = json.dumps(IMAGE).encode()
    status, headers, answer = response(send(
        app, 'POST', '/v2/images', SocketLike(body[:500], piece=100),
        len(body)))
    assert status == 400, answer
    assert b'ended before its Content-Length' in answer
    assert image_count(api) == 0


def test_a_client_gone_mid_body_is_400_nothing_written(app, api):
    body = json.dumps(IMAGE).encode()
    status, _, answer = response(send(
        app, 'POST', '/v2/images', SocketLike(
            body[:900], piece=300, then=ConnectionResetError('reset')),
        chunked=True))
    assert status == 400, answer
    assert b'could not be read' in answer
    assert image_count(api) == 0


def test_a_body_time_out_is_408(app, api):
    body = json.dumps(IMAGE).encode()
    status, _, answer = response(send(
        app, 'POST', '/v2/images', SocketLike(
            body[:900], piece=300, then=TimeoutError('timed out')),
        len(body)))
    assert status == 408, answer
    assert image_count(api) == 0


def test_an_upload_cut_mid_body_leaves_the_image_queued(app, api):
    image_id = api.create_image(name='upload')['id']
    status, _, answer = response(send(
        app, 'PUT', '/v2/images/%s/file' % image_id, SocketLike(
            b'x' * 300000, piece=65536, then=ConnectionResetError('gone')),
        chunked=True, content_type='application/octet-stream'))
    assert status == 400, answer
    image = api.get('/v2/images/%s' % image_id).json
    assert image['status'] == 'queued' and image['size'] is None


def test_content_length_with_transfer_encoding_is_refused(client, api):
    body = json.dumps(IMAGE).encode()
    r = client.post('/v2/images', data=body, headers={
        'X-Auth-Token': personas.token('producer'),
        'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked',
        'Accept': 'application/json'})
    assert_error(r, 400, 'A request may not have both Content-Length and '
                 'Transfer-Encoding.', request_id=False)
    assert r.headers['Connection'] == 'close'
    assert image_count(api) == 0


def test_a_console_form_cut_mid_body_is_400_not_500(app):
    form = b'token=' + b'a' * 3000
    status, _, answer = response(send(
        app, 'POST', '/console/sign-in', SocketLike(
            form[:1000], piece=400, then=ConnectionResetError('gone')),
        len(form), content_type='application/x-www-form-urlencoded',
        who='producer'))
    assert 400 <= status < 500, (status, answer[:300])
