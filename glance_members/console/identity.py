"""Who signs in: Keystone (password, projects, rescoping, revocation,
through keystoneauth1) or the static token file of the embedded default."""

import dataclasses
import urllib.parse

from keystoneauth1 import exceptions as ksa_exceptions
from keystoneauth1.identity import v3
from keystoneauth1 import session as ksa_session
from oslo_config import cfg

from glance_members.auth import static
from glance_members.console import regions

WRONG_CREDENTIALS = 'The user name, password or domain is not correct.'
WRONG_TOKEN = 'This token is not valid.'
KEYSTONE_DOWN = 'The identity service cannot be reached. Try again later.'
NO_PROJECT = ('You have no project on this cloud: ask an administrator '
              'for a role on one.')


class SignInError(Exception):
    """A sign-in or rescoping refused, with a message fit for the page."""


@dataclasses.dataclass
class Scoped:
    """A project-scoped token and what the console needs from it."""
    token: str
    user_id: str
    user_name: str
    project_id: str
    project_name: str
    endpoints: dict  # {region: image URL} from the catalog
    # {region: image-sharing URL}: beside an existing Glance, /sharing/v1
    # has its own service (none: the image endpoint serves it).
    sharing_endpoints: dict = dataclasses.field(default_factory=dict)


def keystone_url(conf):
    """The Keystone URL password sign-in uses, or None for static tokens."""
    if conf.console.auth_url:
        return conf.console.auth_url
    if conf.auth.backend != 'keystone':
        return None
    try:
        section = conf.keystone_authtoken
        return section.www_authenticate_uri or section.auth_url
    except (cfg.NoSuchOptError, cfg.NoSuchGroupError):
        return None


def _v3(url):
    url = url.rstrip('/')
    return url if url.endswith('/v3') else url + '/v3'


class Keystone:

    kind = 'keystone'

    def __init__(self, auth_url, requests_session, interface='public',
                 timeout=30.0):
        self.auth_url = _v3(auth_url)
        self.interface = interface
        self._session = ksa_session.Session(session=requests_session,
                                            timeout=timeout)

    def _access(self, plugin):
        try:
            return plugin.get_access(self._session)
        except ksa_exceptions.Unauthorized:
            raise SignInError(WRONG_CREDENTIALS)
        except ksa_exceptions.HttpError as e:
            raise SignInError('%s (HTTP %s)' % (WRONG_CREDENTIALS,
                                                e.http_status))
        except ksa_exceptions.ClientException:
            raise SignInError(KEYSTONE_DOWN)

    def sign_in(self, user_name, password, domain):
        """An unscoped token: (token, user_id, user_name)."""
        access = self._access(v3.Password(
            self.auth_url, password=password, username=user_name,
            user_domain_name=domain, unscoped=True))
        return access.auth_token, access.user_id, access.username

    def projects(self, token):
        """[{'id', 'name'}] the token's user may scope to, by name."""
        response = self._get('/auth/projects', token)
        return sorted(({'id': p['id'], 'name': p.get('name', p['id'])}
                       for p in response.get('projects', [])
                       if p.get('enabled', True)),
                      key=lambda p: (p['name'], p['id']))

    def default_project_id(self, token, user_id):
        """The user's default project in Keystone, or None (none set, the
        cloud's policy does not let users read their own record, or an
        answer that is not a user)."""
        try:
            response = self._get('/users/%s' % urllib.parse.quote(
                user_id, safe=''), token)
            return response['user'].get('default_project_id')
        except (SignInError, ValueError, LookupError, TypeError,
                AttributeError):
            return None

    def scope(self, token, project_id):
        """The user's token rescoped to `project_id`."""
        return self._scoped(self._access(v3.Token(
            self.auth_url, token=token, project_id=project_id)))

    def password_scoped(self, user_name, password, domain, project_name):
        """Another account's token, scoped to its project (named in the
        user's domain): the credentials are used once, never stored."""
        return self._scoped(self._access(v3.Password(
            self.auth_url, password=password, username=user_name,
            user_domain_name=domain, project_name=project_name,
            project_domain_name=domain)))

    def revoke(self, token):
        """DELETE /v3/auth/tokens; a token already gone is fine."""
        try:
            self._session.delete(
                self.auth_url + '/auth/tokens', authenticated=False,
                raise_exc=False, headers={'X-Auth-Token': token,
                                          'X-Subject-Token': token})
        except ksa_exceptions.ClientException:
            pass  # it expires on its own; sign-out must not fail

    def _get(self, path, token):
        try:
            response = self._session.get(
                self.auth_url + path, authenticated=False, raise_exc=False,
                headers={'X-Auth-Token': token, 'Accept': 'application/json'})
        except ksa_exceptions.ClientException:
            raise SignInError(KEYSTONE_DOWN)
        if response.status_code != 200:
            raise SignInError('%s (HTTP %d from %s)' % (
                KEYSTONE_DOWN, response.status_code,
                urllib.parse.urlsplit(response.url).path))
        return response.json()

    def _scoped(self, access):
        return Scoped(access.auth_token, access.user_id, access.username,
                      access.project_id, access.project_name,
                      regions.from_catalog(access.service_catalog,
                                           self.interface),
                      regions.from_catalog(access.service_catalog,
                                           self.interface,
                                           regions.SHARING_SERVICE))


class StaticTokens:
    """The embedded default's token file: a token is its own sign-in and
    names one project."""

    kind = 'static'

    def __init__(self, path):
        self.path = path

    def scoped(self, token):
        try:
            identity = static.load(self.path).get(token)
        except (OSError, static.TokenFileError):
            raise SignInError(KEYSTONE_DOWN)
        if identity is None:
            raise SignInError(WRONG_TOKEN)
        if 'project_id' not in identity:
            raise SignInError(NO_PROJECT)
        project_id = str(identity['project_id'])
        return Scoped(token, str(identity['user_id']),
                      str(identity.get('user_name', identity['user_id'])),
                      project_id, str(identity.get('project_name',
                                                   project_id)), {})

    def revoke(self, token):
        pass  # the file's tokens outlive any session
