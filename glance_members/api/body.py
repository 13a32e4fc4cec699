"""Request bodies as Glance reads them (glance.common.wsgi's JSON rules),
and read the same way whatever server runs the application."""

import json
import re

import werkzeug.exceptions

from glance_members.api import errors
from glance_members import exception

BODY_EXPECTED = 'Body expected in request.'
TOO_LARGE = 'Request body is larger than %d bytes.'
# The only routes whose body (or answer) is image data, as long as the
# client makes it; every other body is JSON or a form, at most
# max_request_body_size. The server runs these on threads of their own.
IMAGE_DATA_PATH = re.compile(r'^/v2/images/[^/]+/file$')
IMAGE_DATA_METHODS = frozenset(('GET', 'HEAD', 'PUT'))
BODY_NOT_EXPECTED = 'A body is not expected with this request.'
_METHODS_WITH_BODY = ('POST', 'PUT', 'PATCH')
_METHODS_WITHOUT_BODY = ('GET', 'DELETE')


def has_body(request):
    """Glance's rule: a chunked POST/PUT/PATCH, or a positive length."""
    chunked = request.headers.get('Transfer-Encoding', '').lower() in (
        'chunked', 'compress', 'deflate', 'gzip', 'identity')
    if chunked and request.method in _METHODS_WITH_BODY:
        return True
    return bool(request.content_length)


def refuse_body(request):
    """GET and DELETE carry no body (Glance's router says 400); the app
    checks every routed request, so no view has to."""
    if request.method in _METHODS_WITHOUT_BODY and request.content_length:
        raise exception.Invalid(BODY_NOT_EXPECTED)


def refuse_any_body(request):
    """Routes Glance marks body_reject (the tag PUT among them)."""
    if has_body(request):
        raise exception.Invalid(BODY_NOT_EXPECTED)


def json_body(request, max_size):
    """The parsed JSON document (a dict or a list), or Invalid (400)."""
    if not has_body(request):
        raise exception.Invalid(BODY_EXPECTED)
    raw = _read_at_most(request.stream, max_size + 1)
    if len(raw) > max_size:
        raise exception.RequestTooLarge(TOO_LARGE % max_size)
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise exception.Invalid('Malformed JSON in request body.')
    if not isinstance(document, (dict, list)):
        raise exception.Invalid('Unexpected body type. Expected list/dict.')
    _check_strings(document)
    return document


def is_image_data(method, path):
    return method in IMAGE_DATA_METHODS and bool(IMAGE_DATA_PATH.match(path))


def _read_at_most(stream, size):
    """Up to `size` bytes, however many pieces the body arrives in (a read
    may return less than asked, as a socket's does)."""
    pieces, remaining = [], size
    while remaining > 0:
        piece = stream.read(remaining)
        if not piece:
            break
        pieces.append(piece)
        remaining -= len(piece)
    return b''.join(pieces)


def _check_strings(value, depth=0):
    """Refuse what no database stores faithfully: lone surrogates and NUL."""
    if depth > 32:
        raise exception.Invalid('Request body is nested too deeply.')
    if isinstance(value, str):
        if '\x00' in value:
            raise exception.Invalid('Strings may not contain NUL characters.')
        try:
            value.encode('utf-8')
        except UnicodeEncodeError:
            raise exception.Invalid('Malformed JSON in request body.')
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key, depth + 1)
            _check_strings(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, depth + 1)


# Each is both a domain error (the upload path undoes a stored image on
# one, the API renders it as Glance does) and a werkzeug HTTP error (the
# console renders it; werkzeug's own stream wrapper lets it through, where it
# would turn an OSError into its generic 400).
class BodyUnreadable(exception.Invalid, werkzeug.exceptions.BadRequest):
    """The body ended before its declared end: client gone, bad framing."""


class BodyTimedOut(exception.RequestTimeout,
                   werkzeug.exceptions.RequestTimeout):
    """The body stopped arriving."""


class BodyTooLarge(exception.RequestTooLarge,
                   werkzeug.exceptions.RequestEntityTooLarge):
    """More than max_request_body_size of a JSON body or a form."""


class RequestBodies:
    """WSGI middleware: every request body framed one way and read to its
    end, whatever server runs us.

    * Content-Length and Transfer-Encoding together is how a request is
      smuggled past a proxy that honours the other one (RFC 9112 6.1): 400,
      and the connection closed.
    * A chunked body was de-chunked by the server (PEP 3333): read it to
      its end (werkzeug reads nothing of it otherwise).
    * A failed read (short body, broken chunk, client gone, time-out) is a
      400 or 408, never a 500.
    * A body that is not image data is at most `max_size` bytes: reading
      past it is a 413, the same answer however the body arrives.
    """

    def __init__(self, app, max_size):
        self.app = app
        self.max_size = max_size

    def __call__(self, environ, start_response):
        if 'HTTP_TRANSFER_ENCODING' in environ:
            if environ.get('CONTENT_LENGTH'):
                error = exception.Invalid(
                    'A request may not have both Content-Length and '
                    'Transfer-Encoding.', headers={'Connection': 'close'})
                return _render(error, environ, start_response)
            environ['wsgi.input_terminated'] = True
        try:
            length = int(environ.get('CONTENT_LENGTH') or 0)
        except ValueError:
            length = 0   # werkzeug refuses it
        # Checked as it is read, so after authentication (Glance's 401
        # comes first), and the same however the body arrives.
        cap = None if is_image_data(environ.get('REQUEST_METHOD', ''),
                                    environ.get('PATH_INFO', '')) \
            else self.max_size
        environ['wsgi.input'] = CheckedInput(
            environ['wsgi.input'],
            None if environ.get('wsgi.input_terminated') else length, cap)
        return self.app(environ, start_response)


def _render(error, environ, start_response):
    return errors.render(error, environ)(environ, start_response)


class CheckedInput:
    """wsgi.input whose failures are BodyUnreadable / BodyTimedOut, and
    whose end before Content-Length is one too."""

    def __init__(self, stream, length, cap=None):
        self.stream = stream
        self.remaining = length   # None: read to the end (chunked)
        self.cap = cap            # None: no limit (image data)
        self.read_so_far = 0

    def read(self, size=-1):
        return self._checked(self.stream.read, size)

    def readline(self, size=-1):
        return self._checked(self.stream.readline, size)

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line

    def _checked(self, read, size):
        if size == 0:
            return b''
        if self.remaining is not None:
            if self.remaining <= 0:
                return b''
            size = self.remaining if size is None or size < 0 else min(
                size, self.remaining)
        try:
            data = read(size)
        except TimeoutError:
            raise BodyTimedOut('The request body stopped arriving.')
        except (OSError, ValueError) as e:
            raise BodyUnreadable('The request body could not be read: %s.'
                                 % (e or 'client disconnected'))
        if self.remaining is not None:
            self.remaining -= len(data)
            if not data:
                raise BodyUnreadable('The request body ended before its '
                                     'Content-Length.')
        self.read_so_far += len(data)
        if self.cap is not None and self.read_so_far > self.cap:
            raise BodyTooLarge(TOO_LARGE % self.cap)
        return data
