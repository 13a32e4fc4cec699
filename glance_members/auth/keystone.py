"""The Keystone backend: keystonemiddleware's auth_token, configured from
`[keystone_authtoken]` exactly as Glance's is (copy that section from
glance-api.conf), validating through keystoneauth1.

As Glance, it runs with delay_auth_decision: an invalid token reaches the app
as `X-Identity-Status: Invalid` and gets Glance's 401 body there, to which
auth_token adds `WWW-Authenticate: Keystone uri=...`. Unlike a plain delayed
auth_token, Keystone being unreachable is a 503, never a 401 or a 2xx.
Validations are cached in-process, or in memcached with `memcached_servers`;
a cached token is never honoured past its expiry (auth_token checks it).

In front of auth_token, each process remembers the identity headers it set
for a confirmed user token (IdentityCache), so a token seen again skips
auth_token's per-request work. An entry never outlives the token's expiry
nor `token_cache_time` after Keystone validated the token, so a revoked
token stops working no later than it would without this cache.
"""

import collections
import hashlib
import threading
import time

from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _exceptions as ksm_exceptions
from keystonemiddleware.auth_token import _request as ksm_request
import webob.exc

KEYSTONE_UNAVAILABLE = 'The Keystone service is temporarily unavailable.'
MAX_IDENTITIES = 4096
EXPIRY_MARGIN = 5  # seconds: an entry ends this long before its token does
# Stamped in Keystone's answer before auth_token caches it (in memcached
# too), so any process knows how long ago Keystone vouched for the token.
# Inside data['token']: auth_token would take a cached dict of two keys for
# its old (data, expiry) tuple.
VALIDATED_AT = 'glance_members.validated_at'
_TOKEN_KEY = 'glance_members.token_key'
# Where auth_token puts the user's keystoneauth1 auth plugin.
TOKEN_AUTH = 'keystone.token_auth'


def _environ_key(header):
    return 'HTTP_' + header.upper().replace('-', '_')


_REQUEST = ksm_request._AuthTokenRequest
# The identity headers auth_token strips from every request, so that a
# client cannot send its own ...
STRIPPED = tuple(_environ_key(header)
                 for header in _REQUEST.blank('/')._all_auth_headers())
# ... and those it may set for a user token (the system scope it overwrites
# instead of stripping).
IDENTITY = STRIPPED + (_environ_key(_REQUEST._SYSTEM_SCOPE_HEADER),)


class IdentityCache:
    """sha256(token) -> identity environ entries, until a deadline.

    Thread-safe, least recently used entries dropped beyond `size`.
    """

    def __init__(self, cache_time, size=MAX_IDENTITIES, clock=time.time):
        self._cache_time = cache_time
        self._size = size
        self._clock = clock
        self._entries = collections.OrderedDict()
        self._lock = threading.Lock()

    def deadline(self, validated_at, expires_at):
        # Never later than auth_token would ask Keystone again, nor than the
        # token expires; min(): another host's clock may be ahead of ours.
        validated_at = min(validated_at, self._clock())
        return min(validated_at + self._cache_time,
                   expires_at - EXPIRY_MARGIN)

    def get(self, key):
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if now >= entry[1]:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key, identity, validated_at, expires_at):
        if self._cache_time <= 0:
            return  # auth_token's own cache is off (or never expires)
        deadline = self.deadline(validated_at, expires_at)
        if deadline <= self._clock():
            return
        with self._lock:
            self._entries[key] = (identity, deadline)
            self._entries.move_to_end(key)
            if len(self._entries) > self._size:
                self._entries.popitem(last=False)


class KeystoneAuth(auth_token.AuthProtocol):

    def __init__(self, app, conf):
        super().__init__(app, {'oslo_config_config': conf,
                               'delay_auth_decision': True})
        self._identities = IdentityCache(self._conf.get('token_cache_time'))
        # Beside an existing Glance a write is made there with the user's
        # auth plugin (glance.shares): remembered with the identity.
        self._keep_auth = conf.image_backend == 'glance'
        # auth_token calls self._app once it has set the identity headers.
        self._next_app, self._app = self._app, self._remember_identity

    def __call__(self, environ, start_response):
        token = environ.get('HTTP_X_AUTH_TOKEN')
        # Service tokens (and what they allow, e.g. expired user tokens)
        # are auth_token's business every time.
        if token and 'HTTP_X_SERVICE_TOKEN' not in environ:
            key = hashlib.sha256(token.encode()).digest()
            identity = self._identities.get(key)
            if identity is not None:
                for name in STRIPPED:
                    environ.pop(name, None)
                environ.update(identity)
                # A confirmed identity never gets the 401 to which
                # auth_token's process_response would add WWW-Authenticate.
                return self._next_app(environ, start_response)
            environ[_TOKEN_KEY] = key
        return super().__call__(environ, start_response)

    def _remember_identity(self, environ, start_response):
        key = environ.pop(_TOKEN_KEY, None)
        body = (environ.get('keystone.token_info') or {}).get('token') or {}
        if (key is not None and body.get(VALIDATED_AT) is not None
                and environ.get('HTTP_X_IDENTITY_STATUS') == 'Confirmed'):
            user = environ[TOKEN_AUTH].user
            # auth_token checks a bound token or one limited by access rules
            # against each request: those it always sees.
            app_cred = body.get('application_credential') or {}
            if (user.expires is not None and not user.bind
                    and app_cred.get('access_rules') is None):
                identity = {name: environ[name] for name in IDENTITY
                            if name in environ}
                if self._keep_auth:
                    identity[TOKEN_AUTH] = environ[TOKEN_AUTH]
                self._identities.put(key, identity, body[VALIDATED_AT],
                                     user.expires.timestamp())
        return self._next_app(environ, start_response)

    def _create_identity_server(self):
        server = super()._create_identity_server()
        verify_token = server.verify_token

        def stamped_verify_token(*args, **kwargs):
            data = verify_token(*args, **kwargs)
            data['token'][VALIDATED_AT] = time.time()
            return data
        server.verify_token = stamped_verify_token
        return server

    def fetch_token(self, token, **kwargs):
        try:
            return super().fetch_token(token, **kwargs)
        except ksm_exceptions.InvalidToken as e:
            # Delayed mode turns an outage into "invalid token"; say 503.
            if str(e).startswith('Keystone unavailable'):
                raise webob.exc.HTTPServiceUnavailable(
                    explanation=KEYSTONE_UNAVAILABLE)
            raise
