"""Domain exceptions -> HTTP, in one table, with Glance's (WebOb's) bodies.

Glance raises webob.exc errors and lets WebOb pick the body format from the
request's Accept header (plain text, HTML or JSON). We render through the
same WebOb classes, so clients parse our errors exactly as Glance's.
"""

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


def render(error, environ):
    """A werkzeug response for a domain exception, body chosen by Accept."""
    return werkzeug.wrappers.Response.from_app(webob_error(error), environ)


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
