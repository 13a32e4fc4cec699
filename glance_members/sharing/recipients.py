"""The recipient check: with `[sharing] verify_members`, a new member id
must name an existing, enabled project of the identity directory (Keystone,
or the static token file); batch members may be named by project name and
domain, resolved to ids. A directory that cannot answer raises
ServiceUnavailable (503): never a silent pass.

`directory` is anything with exists(project_id) -> bool and
find(name, domain) -> project id or None (glance_members.auth.projects).
"""

from glance_members import exception

NOT_A_PROJECT = 'Member %s is not an existing, enabled project.'
NOT_FOUND_BY_NAME = ('No enabled project named %s in domain %s.')


def unknown_members(directory, member_ids):
    """The ids among `member_ids` that name no enabled project."""
    return [m for m in dict.fromkeys(member_ids) if not directory.exists(m)]


def check_member(directory, member_id):
    if not directory.exists(member_id):
        raise exception.Invalid(NOT_A_PROJECT % member_id)


def resolve(directory, specs):
    """([ids], [failure messages]) for members given as ids or as
    {"name": ..., "domain": ...}; ids pass through unchecked."""
    ids, failures = [], []
    for spec in specs:
        if isinstance(spec, str):
            ids.append(spec)
            continue
        found = directory.find(spec['name'], spec['domain'])
        if found is None:
            failures.append(NOT_FOUND_BY_NAME % (spec['name'],
                                                 spec['domain']))
        else:
            ids.append(found)
    return list(dict.fromkeys(ids)), failures


class VerifyingRepository:
    """A repository whose add_member checks the member first: the /v2
    create, after the sharing rules' image and policy checks (404, 403)
    and before quota and duplicates (413, 409), with no network call
    inside the database transaction."""

    def __init__(self, repo, directory):
        self._repo = repo
        self._directory = directory

    def __getattr__(self, name):
        return getattr(self._repo, name)

    def add_member(self, image_id, member_id, quota):
        check_member(self._directory, member_id)
        return self._repo.add_member(image_id, member_id, quota)
