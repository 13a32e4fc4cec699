"""The discovery API's rules (/v2/info): what this service tells clients
about its import methods and image stores. Plain Python, like the rules in
glance_members.sharing.
"""

from glance_members import exception
from glance_members.policy import discovery as discovery_rules
from glance_members.sharing import access

# Interoperable image import (POST /v2/images/{id}/import, staging) is not
# served: no import method is offered, so none is listed.
IMPORT_METHODS = ()


def import_methods():
    return list(IMPORT_METHODS)


def project_usage():
    """{resource: {usage, limit}}: empty, as Glance's without Keystone's
    unified limits (the only quotas here are per image)."""
    return {}


def stores_detail(ctx, authz, stores):
    """The stores with their kind and properties: admins and services."""
    if not authz.check(ctx, discovery_rules.STORES_INFO_DETAIL, {}):
        raise exception.Forbidden(access.NOT_AUTHORIZED %
                                  discovery_rules.STORES_INFO_DETAIL)
    return stores
