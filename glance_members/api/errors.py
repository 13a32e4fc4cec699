"""Domain exceptions -> HTTP, in one table, with Glance's (WebOb's) bodies.

Glance raises webob.exc errors and lets WebOb pick the body format from the
request's Accept header (plain text, HTML or JSON). We render through the
same WebOb classes, so clients parse our errors exactly as Glance's.
"""

import json
import logging

import webob.exc
import werkzeug.exceptions
import werkzeug.wrappers

from glance_members import exception

LOG = logging.getLogger(__name__)

STATUS_TABLE = (
    (exception.Invalid, webob.exc.HTTPBadRequest),
    (exception.NotAuthenticated, webob.exc.HTTPUnauthorized),
    (exception.Forbidden, webob.exc.HTTPForbidden),
    (exception.NotFound, webob.exc.HTTPNotFound),
    (exception.MethodNotAllowed, webob.exc.HTTPMethodNotAllowed),
    (exception.Conflict, webob.exc.HTTPConflict),
    (exception.Gone, webob.exc.HTTPGone),
    (exception.OverLimit, webob.exc.HTTPRequestEntityTooLarge),
    (exception.RequestTooLarge, webob.exc.HTTPRequestEntityTooLarge),
    (exception.RequestTimeout, webob.exc.HTTPRequestTimeout),
    (exception.URITooLong, webob.exc.HTTPRequestURITooLong),
    (exception.UnsupportedMediaType, webob.exc.HTTPUnsupportedMediaType),
    (exception.RangeNotSatisfiable, webob.exc.HTTPRequestRangeNotSatisfiable),
    (exception.ServiceUnavailable, webob.exc.HTTPServiceUnavailable),
)

# Errors whose Glance body carries WebOb's default text, not ours.
_DEFAULT_TEXT = (exception.MethodNotAllowed, exception.UnsupportedMediaType)


def webob_error(error):
    for domain_class, http_class in STATUS_TABLE:
        if isinstance(error, domain_class):
            break
    else:
        domain_class, http_class = None, webob.exc.HTTPInternalServerError
    kwargs = {'headers': list(error.headers.items())}
    if getattr(error, 'detail', None):
        kwargs['detail'] = error.detail
    elif not isinstance(error, _DEFAULT_TEXT):
        kwargs['explanation'] = error.message
    return http_class(**kwargs)


# The extension's own API: JSON errors whose message is plain text.
SHARING_PREFIX = '/sharing'


def render(error, environ):
    """A werkzeug response for a domain exception: under /v2 WebOb's body
    chosen by Accept, as Glance's; under /sharing a JSON body."""
    path = environ.get('PATH_INFO', '')
    if path == SHARING_PREFIX or path.startswith(SHARING_PREFIX + '/'):
        return sharing_error(error)
    return werkzeug.wrappers.Response.from_app(webob_error(error), environ)


def plain_message(error, http_error=None):
    """The sentence a person reads: the error's own words (its detail
    when it has one), no markup, no stock text before it."""
    http_error = http_error or webob_error(error)
    if getattr(error, 'detail', None):
        return error.detail
    if isinstance(error, _DEFAULT_TEXT) or not error.message:
        return http_error.explanation
    return error.message


def sharing_error(error):
    """Glance's JSON error keys (message, code, title) with a plain-text
    message, plus `failures` (a refused batch's pairs) when there are."""
    http_error = webob_error(error)
    body = {'message': plain_message(error, http_error),
            'code': http_error.status, 'title': http_error.title}
    failures = getattr(error, 'failures', None)
    if failures:
        body['failures'] = failures
    response = werkzeug.wrappers.Response(
        json.dumps(body), status=http_error.status,
        content_type='application/json')
    for name, value in error.headers.items():
        response.headers[name] = value
    return response


_METHOD_ORDER = ('GET', 'POST', 'PUT', 'PATCH', 'DELETE')


def method_not_allowed(methods):
    """405 listing the route's methods in Glance's order (no HEAD)."""
    allowed = [m for m in _METHOD_ORDER if m in methods]
    return exception.MethodNotAllowed(headers={'Allow': ', '.join(allowed)})


def from_werkzeug(error):
    """Routing errors (404, 405) as domain exceptions."""
    if isinstance(error, werkzeug.exceptions.MethodNotAllowed):
        return method_not_allowed(error.valid_methods or ())
    if isinstance(error, werkzeug.exceptions.NotFound):
        return exception.NotFound()
    if isinstance(error, werkzeug.exceptions.RequestEntityTooLarge):
        return exception.RequestTooLarge('Request body too large.')
    if isinstance(error, werkzeug.exceptions.RequestURITooLarge):
        return exception.URITooLong()
    if isinstance(error, werkzeug.exceptions.RequestTimeout):
        return exception.RequestTimeout(error.description)
    return exception.Invalid(error.description)
