"""A real Keystone 30's handle for tests and benchmarks: KeystoneStack
(its URL, identities, tokens, endpoint registration) and issue_token.
The session fixture that starts it is tests/support/keystone.py."""


from testbed.stack import identities as _identities


def issue_token(url, user, password, project=None, **kwargs):
    """Password-authenticate ``user`` scoped to ``project`` (by name).

    ``url`` is Keystone's URL with or without ``/v3``.  Returns a ``Token``
    (a ``str``: use it as X-Auth-Token; ``.body`` has the token document).
    """
    return _identities.issue_token(url, user, password, project, **kwargs)


class KeystoneStack:
    """A running test Keystone (what the ``keystone`` fixture yields)."""

    def __init__(self, server, identities, info):
        self.server = server
        self.identities = identities
        self.info = info
        self.workdir = server.workdir
        self.port = server.port
        self.base_url = server.url
        self.url = server.auth_url

    def password(self, user):
        return self.identities["credentials"][user]["password"]

    def project_of(self, user):
        return self.identities["credentials"][user]["project"]

    def admin_token(self):
        cred = self.identities["credentials"]["admin"]
        return issue_token(self.url, "admin", cred["password"],
                           cred["project"])

    def token(self, user, project=None):
        """A fresh token of ``user`` scoped to ``project`` (name; default:
        the user's own project)."""
        return issue_token(self.url, user, self.password(user),
                           project or self.project_of(user))

    def register_image_endpoint(self, url, region):
        return _identities.register_image_endpoint(
            self.admin_token(), url, region)

    def env(self, user="producer"):
        """OS_* variables for ``user`` (for subprocesses and clients)."""
        cred = self.identities["credentials"][user]
        return {
            "OS_AUTH_URL": self.url, "OS_IDENTITY_API_VERSION": "3",
            "OS_AUTH_TYPE": "password", "OS_USERNAME": user,
            "OS_PASSWORD": cred["password"],
            "OS_PROJECT_NAME": cred["project"],
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
            "OS_REGION_NAME": self.identities["region"],
            "OS_INTERFACE": "public",
        }


# One Keystone per test process, stopped when its last user is done.
