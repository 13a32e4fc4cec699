"""Names beside ids: the projects and users of the identity directory
(Keystone, or the static token file), for a person to read. A name is a
courtesy: a directory that cannot answer leaves the id alone (None),
never an error.

`directory` is anything with project_name(id) and user_name(id) returning
a name or None (glance_members.auth.projects).
"""

from glance_members import exception


def _each(lookup, ids):
    names = {}
    for one in dict.fromkeys(i for i in ids if i):
        try:
            names[one] = lookup(one)
        except exception.ServiceUnavailable:
            names[one] = None
    return names


def project_names(directory, project_ids):
    """{project id: name or None}."""
    if directory is None:
        return {}
    return _each(directory.project_name, project_ids)


def user_names(directory, user_ids):
    """{user id: name or None}."""
    if directory is None:
        return {}
    return _each(directory.user_name, user_ids)
