"""Whose project an id is: what a producer checks before sharing with
it, from the identity directory the recipient check asks."""

from glance_members import exception
from glance_members.policy import sharing_v1 as rules
from glance_members.sharing import access

NO_SUCH_PROJECT = 'No enabled project has the id %s.'


def show_project(ctx, authz, directory, project_id):
    """(id, name or None) of an existing, enabled project; NotFound
    otherwise, ServiceUnavailable when the directory cannot answer."""
    access.require_own(ctx, authz, rules.SHOW_PROJECT)
    if not directory.exists(project_id):
        raise exception.NotFound(NO_SUCH_PROJECT % project_id)
    return project_id, directory.project_name(project_id)
