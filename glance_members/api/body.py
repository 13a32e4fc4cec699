"""Request bodies as Glance reads them (glance.common.wsgi's JSON rules)."""

import json

from glance_members import exception

BODY_EXPECTED = 'Body expected in request.'
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
    raw = request.stream.read(max_size + 1)
    if len(raw) > max_size:
        raise exception.RequestTooLarge(
            'Request body is larger than %d bytes.' % max_size)
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise exception.Invalid('Malformed JSON in request body.')
    if not isinstance(document, (dict, list)):
        raise exception.Invalid('Unexpected body type. Expected list/dict.')
    _check_strings(document)
    return document


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
