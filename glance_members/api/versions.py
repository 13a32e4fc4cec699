"""Version discovery, in front of everything else and with no token.

Glance's versionnegotiation filter runs before authtoken: `GET /versions`
answers 200, any path that names no known version answers 300 with the same
document, and `/v2.N/...` is an alias of `/v2/...`.
"""

import json
import re

# Glance 33 with no image cache and a single store lists exactly these,
# in this order (glance/api/versions.py); 2.17 is CURRENT.
VERSIONS = (('2.15', 'SUPPORTED'), ('2.9', 'SUPPORTED'), ('2.17', 'CURRENT'),
            ('2.7', 'SUPPORTED'), ('2.6', 'SUPPORTED'), ('2.5', 'SUPPORTED'),
            ('2.4', 'SUPPORTED'), ('2.3', 'SUPPORTED'), ('2.2', 'SUPPORTED'),
            ('2.1', 'SUPPORTED'), ('2.0', 'SUPPORTED'))
_KNOWN_MINORS = {v.split('.')[1] for v, _ in VERSIONS}
# DOTALL: a path may hold a decoded newline (%0A); it is still a /v2 path.
_VERSIONED_PATH = re.compile(r'^/v2(?:\.(\d+))?(/.*)?$', re.DOTALL)


def versions_document(base_url):
    href = base_url.rstrip('/') + '/v2/'
    return {'versions': [
        {'id': 'v' + version, 'status': status,
         'links': [{'rel': 'self', 'href': href}]}
        for version, status in VERSIONS]}


def _application_url(environ):
    scheme = environ.get('wsgi.url_scheme', 'http')
    host = environ.get('HTTP_HOST')
    if not host:
        host = environ['SERVER_NAME']
        port = environ.get('SERVER_PORT')
        if port and port != {'http': '80', 'https': '443'}.get(scheme):
            host += ':' + port
    return '%s://%s%s' % (scheme, host, environ.get('SCRIPT_NAME', ''))


class VersionNegotiation:
    """WSGI middleware: answers discovery itself, passes /v2 on."""

    def __init__(self, app, public_endpoint=None, unversioned=None,
                 extensions=(), not_served=None):
        self.app = app
        # Beside an existing Glance, /v2 is Glance's: every path that is
        # neither unversioned nor an extension's goes to `not_served` (a
        # 404) instead of version negotiation.
        self.not_served = not_served
        self.public_endpoint = public_endpoint
        # Paths outside the API versions (health check, API document).
        self.unversioned = unversioned or {}
        # Roots of APIs beside /v2 (the sharing extension), passed on.
        self.extensions = tuple(extensions)

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '') or '/'
        if '//' in path:
            # Glance's router treats //v2//images as /v2/images.
            path = re.sub('/{2,}', '/', path)
        if environ.get('REQUEST_METHOD') == 'OPTIONS':
            # Glance answers OPTIONS with a bare 200, token or not.
            start_response('200 OK', [('Content-Type', 'text/html; '
                                       'charset=UTF-8'),
                                      ('Content-Length', '0')])
            return [b'']
        if path in self.unversioned:
            return self.unversioned[path](environ, start_response)
        if self.extensions and path.startswith(self.extensions):
            environ['PATH_INFO'] = path
            return self.app(environ, start_response)
        if self.not_served is not None:
            return self.not_served(environ, start_response)
        if path in ('/versions', '/versions/'):
            return self._versions(environ, start_response, '200 OK')
        if path.startswith('/v2/') and '\n' not in path:
            # The API itself (nearly every request): nothing to rewrite.
            environ['PATH_INFO'] = path
            return self.app(environ, start_response)
        match = _VERSIONED_PATH.match(path)
        if match is None or (match.group(1) is not None and
                             match.group(1) not in _KNOWN_MINORS):
            return self._versions(environ, start_response,
                                  '300 Multiple Choices')
        environ['PATH_INFO'] = '/v2' + (match.group(2) or '')
        return self.app(environ, start_response)

    def _versions(self, environ, start_response, status):
        base = self.public_endpoint or _application_url(environ)
        body = json.dumps(versions_document(base)).encode()
        start_response(status, [('Content-Type', 'application/json'),
                                ('Content-Length', str(len(body)))])
        return [body]
