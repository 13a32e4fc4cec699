"""Token backends. Each is WSGI middleware that sets the identity headers
keystonemiddleware sets (X-Identity-Status, X-Project-Id, X-Roles, ...), so
the request context is built one way whatever the backend."""

IDENTITY_HEADERS = (
    'X-Identity-Status', 'X-Service-Identity-Status', 'X-Roles',
    'X-Project-Id', 'X-Project-Name', 'X-Project-Domain-Id',
    'X-Project-Domain-Name', 'X-User-Id', 'X-User-Name', 'X-User-Domain-Id',
    'X-User-Domain-Name', 'X-Domain-Id', 'X-Domain-Name',
    'X-Is-Admin-Project', 'OpenStack-System-Scope', 'X-Service-Catalog',
    'X-Tenant-Id', 'X-Tenant-Name', 'X-Tenant', 'X-User', 'X-Role',
    'X-Service-Roles', 'X-Service-User-Id', 'X-Service-Project-Id',
)


def environ_key(header):
    return 'HTTP_' + header.upper().replace('-', '_')


def strip_identity(environ):
    """Never trust identity headers a client sent."""
    for header in IDENTITY_HEADERS:
        environ.pop(environ_key(header), None)
