"""A requests transport adapter that calls a WSGI app in-process.

Inside `glance-members serve` the console calls the API of its own process
through this adapter, not over the socket: a console request then never
waits for a worker thread that only another request can free (with two
threads, two console pages calling back over HTTP would deadlock).
"""

import io

import requests
import requests.adapters
import requests.structures
import urllib3
import werkzeug.test

# Where the local API "lives": a name under .invalid (RFC 2606) can never
# resolve, so a request that missed the adapter fails instead of leaving.
LOCAL_ENDPOINT = 'http://local.glance-members.invalid'


class _BodyReader(io.RawIOBase):
    """The WSGI app's body iterable as a file, read as it is produced."""

    def __init__(self, app_iter):
        self._iter = iter(app_iter)
        self._app_iter = app_iter
        self._pending = b''

    def readable(self):
        return True

    def readinto(self, buffer):
        while not self._pending:
            try:
                self._pending = next(self._iter)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size

    def close(self):
        if not self.closed:
            close = getattr(self._app_iter, 'close', None)
            if close is not None:
                close()
        super().close()


class LocalWSGIAdapter(requests.adapters.BaseAdapter):
    """Send each request into `app` (a WSGI callable) in this thread."""

    def __init__(self, app, remote_addr='127.0.0.1'):
        super().__init__()
        self.app = app
        self.remote_addr = remote_addr

    def send(self, request, stream=False, timeout=None, verify=True,
             cert=None, proxies=None):
        split = urllib3.util.parse_url(request.url)
        body = request.body
        if isinstance(body, str):
            body = body.encode('utf-8')
        builder = werkzeug.test.EnvironBuilder(
            path=split.path or '/', query_string=split.query or '',
            method=request.method, headers=list(request.headers.items()),
            data=body or b'',
            base_url='%s://%s' % (split.scheme, split.netloc),
            environ_overrides={'REMOTE_ADDR': self.remote_addr})
        try:
            environ = builder.get_environ()
        finally:
            builder.close()
        app_iter, status, headers = werkzeug.test.run_wsgi_app(
            self.app, environ, buffered=False)
        return self._response(request, app_iter, status, headers, stream)

    def _response(self, request, app_iter, status, headers, stream):
        response = requests.Response()
        response.status_code = int(status.split(' ', 1)[0])
        response.reason = status.split(' ', 1)[1] if ' ' in status else ''
        response.headers = requests.structures.CaseInsensitiveDict(
            headers.items())
        response.url = request.url
        response.request = request
        response.encoding = requests.utils.get_encoding_from_headers(
            response.headers)
        response.raw = io.BufferedReader(_BodyReader(app_iter))
        response.connection = self
        if not stream:
            response.content  # read it all now, as requests does
        return response

    def close(self):
        pass


def mount_local(requests_session, app, prefixes=(LOCAL_ENDPOINT,)):
    """Route every URL under `prefixes` of `requests_session` into `app`."""
    adapter = LocalWSGIAdapter(app)
    for prefix in prefixes:
        requests_session.mount(prefix.rstrip('/') + '/', adapter)
    return requests_session
