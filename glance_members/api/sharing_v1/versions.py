"""GET /sharing: the extension's versions document, with no token (as
Glance's own discovery)."""

import json

ROOT = '/sharing'
PREFIX = '/sharing/v1'


def versions_document(base_url):
    return {'versions': [{
        'id': 'v1.0', 'status': 'CURRENT',
        'links': [{'rel': 'self',
                   'href': base_url.rstrip('/') + PREFIX + '/'}]}]}


def application(public_endpoint):
    def serve(environ, start_response):
        base = public_endpoint or '%s://%s%s' % (
            environ.get('wsgi.url_scheme', 'http'),
            environ.get('HTTP_HOST') or environ.get('SERVER_NAME', ''),
            environ.get('SCRIPT_NAME', ''))
        body = json.dumps(versions_document(base)).encode()
        start_response('200 OK', [('Content-Type', 'application/json'),
                                  ('Content-Length', str(len(body)))])
        return [body]
    return serve
