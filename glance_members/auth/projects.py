"""The identity directory the recipient check asks: does this project
exist (and is it enabled), which id has this project name in this domain.

KeystoneDirectory asks Keystone with the service's own
`[keystone_authtoken]` credentials through keystoneauth1 (the section
keystonemiddleware reads), caching answers for `[sharing]
directory_cache_time` seconds; Keystone unreachable is ServiceUnavailable,
never a guess. StaticDirectory answers from the static token file's
projects (re-read when the file changes).
"""

import os
import threading
import time
import urllib.parse

from glance_members.auth import static
from glance_members import exception

GROUP = 'keystone_authtoken'
KEYSTONE_DOWN = ('The identity service cannot be reached to check the '
                 'members: %s')
DEFAULT_DOMAINS = ('default', 'Default')
# Seconds a name lookup may wait for Keystone: names never hold a page up.
NAME_TIMEOUT = 2.0


class _Cache:
    def __init__(self, seconds, clock=time.monotonic):
        self.seconds = seconds
        self.clock = clock
        self.entries = {}
        self.lock = threading.Lock()

    # At most this many answers are kept (then all are dropped at once).
    LIMIT = 10000

    def get(self, key, compute):
        now = self.clock()
        with self.lock:
            hit = self.entries.get(key)
        if hit is not None and hit[1] > now:
            return hit[0]
        value = compute()
        with self.lock:
            if len(self.entries) >= self.LIMIT:
                self.entries.clear()
            self.entries[key] = (value, now + self.seconds)
        return value


class StaticDirectory:
    """The projects of the static token file."""

    def __init__(self, path):
        self.path = path
        self._stamp = None
        self._projects = {}
        self._users = {}

    def _load(self):
        try:
            stat = os.stat(self.path)
            stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if stamp != self._stamp:
                projects, users = {}, {}
                for identity in static.load(self.path).values():
                    # Names as the file gives them (None: none given).
                    uid = str(identity['user_id'])
                    if identity.get('user_name') is not None:
                        users[uid] = str(identity['user_name'])
                    if 'project_id' in identity:
                        pid = str(identity['project_id'])
                        name = identity.get('project_name')
                        projects[pid] = None if name is None else str(name)
                self._projects, self._users = projects, users
                self._stamp = stamp
        except (OSError, static.TokenFileError) as e:
            raise exception.ServiceUnavailable(KEYSTONE_DOWN % e)
        return self._projects

    def exists(self, project_id):
        return project_id in self._load()

    def project_name(self, project_id):
        return self._load().get(project_id)

    def user_name(self, user_id):
        self._load()
        return self._users.get(user_id)

    def find(self, name, domain):
        if domain not in DEFAULT_DOMAINS:
            return None
        for pid, project_name in sorted(self._load().items()):
            if (project_name or pid) == name:
                return pid
        return None


class KeystoneDirectory:
    """Keystone's projects, as the service user sees them."""

    def __init__(self, conf, cache_seconds):
        self.conf = conf
        self._cache = _Cache(cache_seconds)
        self._session = None
        self._lock = threading.Lock()

    def _get(self, path, timeout=None):
        # Imported here: the static backend needs no keystoneauth1.
        from keystoneauth1 import exceptions as ksa_exceptions
        from keystoneauth1 import loading
        from keystoneauth1 import session
        with self._lock:
            if self._session is None:
                # keystonemiddleware has registered the section's options.
                loading.register_auth_conf_options(self.conf, GROUP)
                auth = loading.load_auth_from_conf_options(self.conf, GROUP)
                self._session = session.Session(auth=auth, timeout=10)
        section = self.conf[GROUP]
        endpoint = {'service_type': 'identity', 'version': (3, 0),
                    'interface': getattr(section, 'interface', None) or
                    'internal',
                    'region_name': getattr(section, 'region_name', None)}
        try:
            response = self._session.get(path, raise_exc=False,
                                         endpoint_filter=endpoint,
                                         timeout=timeout or 10)
        except ksa_exceptions.ClientException as e:
            raise exception.ServiceUnavailable(KEYSTONE_DOWN % e)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise exception.ServiceUnavailable(KEYSTONE_DOWN % (
                'HTTP %d from %s: the [keystone_authtoken] user needs admin '
                'or a system reader role to read projects' % (
                    response.status_code, path)))
        if response.status_code != 200:
            raise exception.ServiceUnavailable(KEYSTONE_DOWN % (
                'HTTP %d from %s' % (response.status_code, path)))
        return response.json()

    def _project(self, project_id, timeout=None):
        """Keystone's project document (None: no such project)."""
        def ask():
            found = self._get('/projects/%s' % _quote(project_id), timeout)
            return found and found.get('project')
        return self._cache.get(('id', project_id), ask)

    def exists(self, project_id):
        found = self._project(project_id)
        return bool(found and found.get('enabled', True))

    def project_name(self, project_id):
        """The name, or None: unknown, or Keystone slow or down (a name
        is a courtesy; a miss is remembered as long as an answer, so a
        slow Keystone costs one short wait per id and period)."""
        return self._courtesy(('project name', project_id), lambda: (
            self._project(project_id, NAME_TIMEOUT) or {}).get('name'))

    def user_name(self, user_id):
        def ask():
            found = self._get('/users/%s' % _quote(user_id), NAME_TIMEOUT)
            return ((found or {}).get('user') or {}).get('name')
        return self._courtesy(('user name', user_id), ask)

    def _courtesy(self, key, ask):
        def guarded():
            try:
                return ask()
            except exception.ServiceUnavailable:
                return None
        return self._cache.get(key, guarded)

    def find(self, name, domain):
        def ask():
            domain_id = domain
            domains = self._get('/domains?name=%s' % _quote(domain))
            if domains and domains.get('domains'):
                domain_id = domains['domains'][0]['id']
            found = self._get('/projects?name=%s&domain_id=%s' % (
                _quote(name), _quote(domain_id)))
            for project in (found or {}).get('projects', []):
                if project.get('enabled', True):
                    return project['id']
            return None
        return self._cache.get(('name', name, domain), ask)


def _quote(value):
    return urllib.parse.quote(value, safe='')


def make_directory(conf, token_file):
    if conf.auth.backend == 'keystone':
        return KeystoneDirectory(conf, conf.sharing.directory_cache_time)
    return StaticDirectory(token_file)
