"""The static token backend: a YAML or JSON file of token -> identity.

    <token>:
      user_id: 4f1c...           # required
      project_id: 9a8b...        # required unless system: all
      roles: [member, reader]    # taken as given: list implied roles too
      system: all                # optional: a system-scoped token
      user_name: demo            # optional
      project_name: demo         # optional

The file is re-read when it changes, so tokens can be added or revoked
without a restart.
"""

import json
import logging
import os
import threading

import yaml

from glance_members import auth

LOG = logging.getLogger(__name__)


class TokenFileError(ValueError):
    pass


def load(path):
    with open(path, 'rb') as f:
        text = f.read().decode('utf-8')
    try:
        data = json.loads(text) if path.endswith('.json') else \
            yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise TokenFileError('%s: not valid YAML/JSON: %s' % (path, e))
    if not isinstance(data, dict):
        raise TokenFileError('%s: expected a mapping of token -> identity'
                             % path)
    tokens = {}
    for token, identity in data.items():
        if not isinstance(identity, dict) or 'user_id' not in identity:
            raise TokenFileError('%s: token %.6s... needs a user_id'
                                 % (path, token))
        if 'project_id' not in identity and identity.get('system') != 'all':
            raise TokenFileError('%s: token %.6s... needs a project_id or '
                                 'system: all' % (path, token))
        roles = identity.get('roles') or []
        if not isinstance(roles, list):
            raise TokenFileError('%s: roles of token %.6s... must be a list'
                                 % (path, token))
        tokens[str(token)] = identity
    return tokens


def identity_headers(identity):
    headers = {
        'X-Identity-Status': 'Confirmed',
        'X-User-Id': str(identity['user_id']),
        'X-User-Name': str(identity.get('user_name', identity['user_id'])),
        'X-User-Domain-Id': 'default',
        'X-User-Domain-Name': 'Default',
        'X-Roles': ','.join(str(r) for r in identity.get('roles') or []),
        'X-Is-Admin-Project': 'False',
    }
    if identity.get('system') == 'all':
        headers['OpenStack-System-Scope'] = 'all'
    else:
        headers.update({
            'X-Project-Id': str(identity['project_id']),
            'X-Project-Name': str(identity.get('project_name',
                                               identity['project_id'])),
            'X-Project-Domain-Id': 'default',
            'X-Project-Domain-Name': 'Default',
        })
    return headers


class StaticTokenAuth:
    """WSGI middleware; an unknown or missing token is left `Invalid` for
    the app to answer 401, as Glance with delay_auth_decision does."""

    def __init__(self, app, path):
        self.app = app
        self.path = path
        self._lock = threading.Lock()
        self._stamp = None
        self._tokens = {}
        self._reload()

    def _reload(self):
        stat = os.stat(self.path)
        stamp = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        if stamp == self._stamp:
            return
        with self._lock:
            self._tokens = load(self.path)
            self._stamp = stamp
            LOG.info('Loaded %d tokens from %s', len(self._tokens), self.path)

    def __call__(self, environ, start_response):
        auth.strip_identity(environ)
        try:
            self._reload()
        except (OSError, TokenFileError) as e:
            # Keep serving the last good file rather than open or shut
            # the door on a half-written edit.
            LOG.error('Keeping previous tokens: %s', e)
        identity = self._tokens.get(environ.get('HTTP_X_AUTH_TOKEN', ''))
        if identity is None:
            environ[auth.environ_key('X-Identity-Status')] = 'Invalid'
        else:
            for header, value in identity_headers(identity).items():
                environ[auth.environ_key(header)] = value
        return self.app(environ, start_response)
