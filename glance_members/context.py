"""The request context: who is calling, built once per request.

Every auth backend presents the identity the way keystonemiddleware does
(X-Identity-Status, X-Project-Id, X-Roles, ...), so this one constructor
serves them all; policy and the sharing rules consume the result.
"""

from oslo_context import context as oslo_context


class RequestContext(oslo_context.RequestContext):
    """oslo.context's context plus Glance's notion of `owner`."""

    def __init__(self, is_admin=False, **kwargs):
        super().__init__(is_admin=is_admin, **kwargs)
        # Roles are compared lower-cased, as Glance's context middleware does.
        self.roles = [r.strip().lower() for r in self.roles if r.strip()]

    @property
    def owner(self):
        """The project that owns what this caller creates (Glance's name)."""
        return self.project_id


def from_environ(environ, is_admin_check):
    """Build the context from identity headers; None if not authenticated.

    `is_admin_check(ctx)` decides is_admin (policy rule context_is_admin).
    """
    if environ.get('HTTP_X_IDENTITY_STATUS') != 'Confirmed':
        return None
    ctx = RequestContext.from_environ(environ)
    ctx.is_admin = bool(is_admin_check(ctx))
    return ctx
