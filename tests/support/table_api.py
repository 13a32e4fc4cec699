"""A WSGI app answering from a table and recording what it was sent: the
image API or Keystone as the console's in-process transport reaches them
(test_console_client.py, test_console_identity.py)."""

import json


class FakeAPI:
    """A WSGI app answering from a table, recording what it was sent."""

    def __init__(self, answers):
        self.answers = answers
        self.seen = []

    def __call__(self, environ, start_response):
        path = environ['PATH_INFO'] + (
            '?' + environ['QUERY_STRING'] if environ['QUERY_STRING'] else '')
        self.seen.append((environ['REQUEST_METHOD'], path,
                          environ.get('HTTP_X_AUTH_TOKEN'),
                          environ['wsgi.input'].read()))
        status, body, content_type = self.answers[path]
        data = body.encode() if isinstance(body, str) else \
            json.dumps(body).encode()
        start_response(status, [('Content-Type', content_type),
                                ('x-openstack-request-id', 'req-1')])
        # Two chunks: the adapter must stream them into one body.
        return [data[:5], data[5:]]
