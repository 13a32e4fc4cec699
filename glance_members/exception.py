"""Domain exceptions: what went wrong, in Glance's words. No HTTP here.

api/errors.py maps each class to its status code in one table.
"""


class GlanceMembersError(Exception):
    """Base class; `message` is the text the client sees."""

    message = 'An unknown exception occurred.'

    def __init__(self, message=None, headers=None, **details):
        # `detail=` words the error the way Glance does when it passes its
        # text positionally to webob: appended to the status's stock text.
        if message is None:
            message = details.get('detail')
        self.message = message if message is not None else self.message
        self.headers = headers or {}
        # Facts for whoever words the final message (e.g. quota counts).
        self.__dict__.update(details)
        super().__init__(self.message)


class Invalid(GlanceMembersError):
    """The request is malformed or a value is out of range (400)."""


class NotAuthenticated(GlanceMembersError):
    """No valid token (401)."""
    message = ('This server could not verify that you are authorized to '
               'access the document you requested. Either you supplied the '
               'wrong credentials (e.g., bad password), or your browser does '
               'not understand how to supply the credentials required.')


class Forbidden(GlanceMembersError):
    """The caller may see the resource but not do this to it (403)."""


class NotFound(GlanceMembersError):
    """The resource does not exist or is hidden from the caller (404)."""
    message = 'The resource could not be found.'


class MethodNotAllowed(GlanceMembersError):
    """Wrong HTTP method for this path (405); headers carry Allow."""


class Conflict(GlanceMembersError):
    """The request conflicts with the current state (409)."""


class Gone(GlanceMembersError):
    """The resource went away while we worked on it (410)."""


class Duplicate(Conflict):
    """The thing to create exists already (409)."""


class OverLimit(GlanceMembersError):
    """A quota would be exceeded (413)."""


class RequestTooLarge(GlanceMembersError):
    """The request body is larger than we accept (413)."""


class RequestTimeout(GlanceMembersError):
    """The request body stopped arriving (408)."""


class URITooLong(GlanceMembersError):
    """The request line is longer than we accept (414)."""


class UnsupportedMediaType(GlanceMembersError):
    """Wrong Content-Type (415); headers may carry Accept-Patch."""


class RangeNotSatisfiable(GlanceMembersError):
    """A Range the image cannot satisfy (416)."""


class ServiceUnavailable(GlanceMembersError):
    """A dependency (database, identity) is down (503)."""
    message = 'The service is temporarily unavailable. Please retry later.'
