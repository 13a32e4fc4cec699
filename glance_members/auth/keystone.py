"""The Keystone backend: keystonemiddleware's auth_token, configured from
`[keystone_authtoken]` exactly as Glance's is (copy that section from
glance-api.conf), validating through keystoneauth1.

As Glance, it runs with delay_auth_decision: an invalid token reaches the app
as `X-Identity-Status: Invalid` and gets Glance's 401 body there, to which
auth_token adds `WWW-Authenticate: Keystone uri=...`. Unlike a plain delayed
auth_token, Keystone being unreachable is a 503, never a 401 or a 2xx.
Validations are cached in-process, or in memcached with `memcached_servers`;
a cached token is never honoured past its expiry (auth_token checks it).
"""

from keystonemiddleware import auth_token
from keystonemiddleware.auth_token import _exceptions as ksm_exceptions
import webob.exc

KEYSTONE_UNAVAILABLE = 'The Keystone service is temporarily unavailable.'


class KeystoneAuth(auth_token.AuthProtocol):

    def __init__(self, app, conf):
        super().__init__(app, {'oslo_config_config': conf,
                               'delay_auth_decision': True})

    def fetch_token(self, token, **kwargs):
        try:
            return super().fetch_token(token, **kwargs)
        except ksm_exceptions.InvalidToken as e:
            # Delayed mode turns an outage into "invalid token"; say 503.
            if str(e).startswith('Keystone unavailable'):
                raise webob.exc.HTTPServiceUnavailable(
                    explanation=KEYSTONE_UNAVAILABLE)
            raise
