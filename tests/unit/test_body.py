"""A JSON body read whole however few bytes each read of the stream gives
(glance_members.api.body), as a socket's reads do.

The segmentation test (tests/integration/test_segmentation.py) cannot see
this loop: the server's bridge hands the application a buffered body, and
a2wsgi's reads fill the size asked. Any other server, or a change there,
would: these tests read through a stream that returns a few bytes a read.
"""

import json

import pytest
import werkzeug.exceptions
import werkzeug.test
import werkzeug.wrappers

from glance_members.api import body
from glance_members import exception

DOCUMENT = {'name': 'trickled', 'tags': ['t%03d' % i for i in range(300)]}
RAW = json.dumps(DOCUMENT).encode()


class Trickle:
    """A wsgi.input whose reads return at most `most` bytes."""

    def __init__(self, data, most=7):
        self.data = data
        self.most = most
        self.reads = 0

    def read(self, size=-1):
        self.reads += 1
        if size is None or size < 0:
            size = len(self.data)
        piece, self.data = (self.data[:min(size, self.most)],
                            self.data[min(size, self.most):])
        return piece

    def readline(self, size=-1):
        return self.read(size)


def _request(data, chunked=False, most=7):
    headers = {'Content-Type': 'application/json'}
    if chunked:
        headers['Transfer-Encoding'] = 'chunked'
    environ = werkzeug.test.EnvironBuilder(
        method='POST', path='/v2/images', headers=headers).get_environ()
    stream = Trickle(data, most)
    if chunked:
        environ.pop('CONTENT_LENGTH', None)
        environ['wsgi.input_terminated'] = True
        environ['wsgi.input'] = body.CheckedInput(stream, None)
    else:
        environ['CONTENT_LENGTH'] = str(len(data))
        environ['wsgi.input'] = body.CheckedInput(stream, len(data))
    return werkzeug.wrappers.Request(environ), stream


@pytest.mark.parametrize('chunked', [False, True])
@pytest.mark.parametrize('most', [1, 7, 1448])
def test_a_body_in_short_reads_is_read_whole(chunked, most):
    request, stream = _request(RAW, chunked, most)
    assert body.json_body(request, 65536) == DOCUMENT
    assert stream.reads > 1


@pytest.mark.parametrize('chunked', [False, True])
def test_a_body_past_the_limit_in_short_reads_is_too_large(chunked):
    raw = b'{"name": "big"' + b' ' * 2000 + b'}'
    request, _ = _request(raw, chunked)
    with pytest.raises(exception.RequestTooLarge):
        body.json_body(request, 1024)


def test_a_body_that_ends_before_its_length_is_a_400():
    request, stream = _request(RAW)
    stream.data = stream.data[:100]
    # BodyUnreadable, or werkzeug's ClientDisconnected raised over it.
    with pytest.raises(werkzeug.exceptions.BadRequest):
        body.json_body(request, 65536)
